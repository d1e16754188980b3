//! Contacts, their custom fields and tags.
//!
//! Every change made here records its own event in the same transaction
//! (`contact.created`, `tag.added`, `tag.removed`, `field.changed`,
//! `status.changed`) so that triggers can react to it. A new contact's
//! initial name, status, time zone and field values belong to its
//! `contact.created`; only later changes record `field.changed` or
//! `status.changed`. Initial tags do record `tag.added`, because "tag added"
//! is how a signup form usually starts a workflow.
//!
//! Input is checked completely ([`check_input`]) before anything is written,
//! so a bad value never leaves half a contact behind, and the CSV import can
//! check every row before it writes any.

use std::collections::{BTreeMap, HashMap};

use cairn_model::contact::{
    BUILTIN_FIELDS, Contact, ContactStatus, FieldDef, FieldType, normalize_email,
};
use cairn_model::event::{sources, types};
use cairn_model::time::parse_tz;
use cairn_model::{ModelError, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::consent::{self, Consent};
use crate::events::{EventRecord, append_using};
use crate::{Result, Store, StoreError, ms, ts};

/// What a caller knows about a contact to add or update. `None` leaves a
/// value as it is; an empty `name`, `timezone` or field value clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ContactInput {
    pub email: String,
    pub name: Option<String>,
    pub status: Option<ContactStatus>,
    pub timezone: Option<String>,
    /// Raw text values by field name, parsed with the field's declared type.
    pub fields: BTreeMap<String, String>,
    /// Tags to add (existing tags are kept).
    pub tags: Vec<String>,
    pub is_test: bool,
}

/// How to find contacts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ContactQuery {
    /// Matches email or name, case-insensitively.
    pub search: Option<String>,
    pub tag: Option<String>,
    pub status: Option<ContactStatus>,
    pub sort: Option<ContactSort>,
    pub descending: bool,
    #[ts(type = "number | null")]
    pub limit: Option<i64>,
    #[ts(type = "number | null")]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ContactSort {
    Email,
    Name,
    Created,
    Status,
}

/// A declared custom field, as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub id: i64,
    /// As declared (lookups ignore case).
    pub name: String,
    pub field_type: FieldType,
}

/// Every declared field, keyed by lower-cased name.
pub fn fields_by_key_using(c: &Connection) -> Result<HashMap<String, FieldInfo>> {
    let mut st = c.prepare_cached("SELECT id, name, type FROM fields")?;
    let rows = st.query_map([], |r| {
        Ok(FieldInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            field_type: FieldType::parse(&r.get::<_, String>(2)?).unwrap_or(FieldType::Text),
        })
    })?;
    let mut out = HashMap::new();
    for f in rows {
        let f = f?;
        out.insert(f.name.to_lowercase(), f);
    }
    Ok(out)
}

/// A contact input that passed every check: ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedContact {
    /// As written, trimmed.
    pub email: String,
    /// Lower-cased: what uniqueness compares.
    pub key: String,
    /// `None` leaves the name; `Some(None)` clears it.
    pub name: Option<Option<String>>,
    pub status: Option<ContactStatus>,
    /// `None` leaves the time zone; `Some(None)` clears it.
    pub timezone: Option<Option<String>>,
    /// Values already of the field's type; `Null` clears.
    pub fields: Vec<(FieldInfo, Value)>,
    pub tags: Vec<String>,
    pub is_test: bool,
}

/// A case-insensitive `LIKE … ESCAPE '\'` pattern matching `s` anywhere
/// (its `%`, `_` and `\` taken literally); compare it with a lower-cased column.
pub(crate) fn like_pattern(s: &str) -> String {
    format!(
        "%{}%",
        s.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Refuses a value holding a control character (C0 including tab, CR and
/// LF; DEL; C1). Every value of a contact can reach an email header or a
/// CSV cell, where a line break starts a new header or row; no field of a
/// contact has a use for one, so they are refused at every door (forms,
/// the CLI, the CSV import, connectors, workflow actions) rather than
/// cleaned at each exit.
pub fn check_no_control(what: &str, value: &str) -> std::result::Result<(), ModelError> {
    match value.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(ModelError::Invalid(format!(
            "{what} {:?} contains a control character ({}); line breaks, tabs and other control characters are not allowed",
            clip(value),
            control_name(c)
        ))),
    }
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn control_name(c: char) -> String {
    match c {
        '\n' => "line feed".into(),
        '\r' => "carriage return".into(),
        '\t' => "tab".into(),
        '\0' => "NUL".into(),
        c => format!("U+{:04X}", c as u32),
    }
}

fn blank_to_none(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Checks every part of `input` against the declared `fields` and returns
/// all problems found, not just the first.
pub fn check_input(
    input: &ContactInput,
    fields: &HashMap<String, FieldInfo>,
) -> std::result::Result<CheckedContact, Vec<ModelError>> {
    let mut problems = vec![];
    let mut no_control_problems = vec![];
    // Surrounding white space is trimmed anyway; what stays must be clean.
    let mut no_control = |what: &str, v: &str| {
        if let Err(e) = check_no_control(what, v.trim()) {
            problems.push(e);
        }
    };
    no_control("the email", &input.email);
    if let Some(n) = &input.name {
        no_control("the name", n);
    }
    if let Some(t) = &input.timezone {
        no_control("the time zone", t);
    }
    for (k, v) in &input.fields {
        // Text values are kept as written, so the untrimmed value counts.
        if let Err(e) = check_no_control(&format!("the field {:?}", clip(k)), v) {
            no_control_problems.push(e);
        }
    }
    for t in &input.tags {
        no_control("the tag", t);
    }
    problems.append(&mut no_control_problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let (email, key) = match normalize_email(&input.email) {
        Ok(ok) => ok,
        Err(e) => {
            problems.push(e);
            Default::default()
        }
    };
    let timezone = input.timezone.as_deref().map(blank_to_none);
    if let Some(Some(tz)) = &timezone
        && parse_tz(tz).is_none()
    {
        problems.push(ModelError::InvalidTimezone(tz.clone()));
    }
    let mut checked_fields = Vec::with_capacity(input.fields.len());
    for (k, raw) in &input.fields {
        let lk = k.trim().to_lowercase();
        if BUILTIN_FIELDS.contains(&lk.as_str()) {
            problems.push(ModelError::InvalidFieldValue {
                field: k.clone(),
                reason: "this is a built-in field, not a custom one".into(),
            });
            continue;
        }
        let Some(info) = fields.get(&lk) else {
            problems.push(ModelError::InvalidFieldValue {
                field: k.clone(),
                reason: "there is no such field; declare it first".into(),
            });
            continue;
        };
        if raw.trim().is_empty() {
            checked_fields.push((info.clone(), Value::Null));
            continue;
        }
        match info.field_type.parse_value(raw) {
            Ok(v) => checked_fields.push((info.clone(), v)),
            Err(reason) => problems.push(ModelError::InvalidFieldValue {
                field: info.name.clone(),
                reason,
            }),
        }
    }
    let mut tags: Vec<String> = vec![];
    for t in &input.tags {
        match blank_to_none(t) {
            Some(t) if !tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) => tags.push(t),
            Some(_) => {}
            None => problems.push(ModelError::Invalid("a tag cannot be empty".into())),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CheckedContact {
        email,
        key,
        name: input.name.as_deref().map(blank_to_none),
        status: input.status,
        timezone,
        fields: checked_fields,
        tags,
        is_test: input.is_test,
    })
}

/// One error for a list of problems: the first one's code, every message.
fn one_error(mut problems: Vec<ModelError>) -> StoreError {
    if problems.len() == 1 {
        return problems.remove(0).into();
    }
    let first = problems.remove(0);
    let rest: Vec<String> = problems.iter().map(ToString::to_string).collect();
    StoreError::Invalid(match first {
        ModelError::InvalidEmail { email, reason } => ModelError::InvalidEmail {
            email,
            reason: format!("{reason}; also: {}", rest.join("; ")),
        },
        other => ModelError::Invalid(format!("{other}; also: {}", rest.join("; "))),
    })
}

/// Finds a contact id by email (case-insensitive).
pub fn id_by_email_using(c: &Connection, email: &str) -> Result<Option<i64>> {
    let key = email.trim().to_lowercase();
    Ok(
        c.prepare_cached("SELECT id FROM contacts WHERE email_key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?,
    )
}

/// What writing a contact did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Written {
    #[ts(type = "number")]
    pub id: i64,
    /// A new contact was made.
    pub created: bool,
    /// Anything changed (always true when created).
    pub changed: bool,
}

fn insert_using(
    tx: &Connection,
    c: &CheckedContact,
    source: &str,
    how: &Consent,
    now: Timestamp,
) -> Result<i64> {
    let name = c.name.clone().flatten();
    let mut status = c.status.unwrap_or_default();
    // An erased contact comes back unsubscribed unless brought back on
    // purpose: an old list or a later sync must not re-subscribe them.
    let mut note = None;
    if let Some(erased) = crate::privacy::erased_at_using(tx, &c.key)? {
        let when = erased.format("%Y-%m-%d");
        if how.resubscribe_erased {
            crate::privacy::forget_erasure_using(tx, &c.key)?;
            note = Some(format!(
                "added again on purpose after being erased on {when}"
            ));
        } else {
            status = ContactStatus::Unsubscribed;
            note = Some(format!(
                "erased on {when}; came back unsubscribed until re-subscribed on purpose"
            ));
        }
    }
    tx.prepare_cached(
        "INSERT INTO contacts (email, email_key, name, status, timezone, is_test, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        c.email,
        c.key,
        name,
        status.as_str(),
        c.timezone.clone().flatten(),
        c.is_test,
        ms(now)
    ])?;
    let id = tx.last_insert_rowid();
    consent::record_using(tx, id, status, how, note.as_deref(), now)?;
    for (f, v) in &c.fields {
        if !v.is_null() {
            tx.prepare_cached(
                "INSERT INTO contact_fields (contact_id, field_id, value) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, f.id, v.to_string()])?;
        }
    }
    append_using(
        tx,
        &EventRecord::cairn(
            types::CONTACT_CREATED,
            Some(id),
            &json!({"email": c.email, "name": name, "status": status.as_str(), "source": source}),
            now,
        ),
        now,
    )?;
    Ok(id)
}

/// Tag ids already looked up in this transaction, by ASCII-lower-cased name
/// (the fold SQLite's `NOCASE` uses). A bulk import asks for the same few
/// tags 100,000 times; one lookup each is enough.
#[derive(Debug, Default)]
pub struct TagIds(HashMap<String, (i64, String)>);

impl TagIds {
    fn get(&mut self, tx: &Connection, tag: &str, now: Timestamp) -> Result<(i64, String)> {
        let key = tag.trim().to_ascii_lowercase();
        if let Some(found) = self.0.get(&key) {
            return Ok(found.clone());
        }
        let found = tag_id_using(tx, tag, now)?;
        self.0.insert(key, found.clone());
        Ok(found)
    }
}

/// Writes a checked contact: creates it, or updates the one with its email.
pub fn write_checked_using(
    tx: &Connection,
    c: &CheckedContact,
    source: &str,
    now: Timestamp,
) -> Result<Written> {
    write_checked_with_tags_using(tx, c, source, now, &mut TagIds::default())
}

/// [`write_checked_with_tags_using`] with its consent (how the contact came
/// or changed status) given, rather than read from `source`.
pub fn write_checked_as_using(
    tx: &Connection,
    c: &CheckedContact,
    source: &str,
    how: &Consent,
    now: Timestamp,
    tag_ids: &mut TagIds,
) -> Result<Written> {
    write_inner_using(tx, c, source, how, now, tag_ids)
}

/// [`write_checked_using`] reusing tag ids across many contacts written in
/// one transaction (the `TagIds` must not outlive it).
pub fn write_checked_with_tags_using(
    tx: &Connection,
    c: &CheckedContact,
    source: &str,
    now: Timestamp,
    tag_ids: &mut TagIds,
) -> Result<Written> {
    write_inner_using(tx, c, source, &Consent::from_source(source), now, tag_ids)
}

fn write_inner_using(
    tx: &Connection,
    c: &CheckedContact,
    source: &str,
    how: &Consent,
    now: Timestamp,
    tag_ids: &mut TagIds,
) -> Result<Written> {
    let Some(id) = id_by_email_using(tx, &c.key)? else {
        let id = insert_using(tx, c, source, how, now)?;
        for t in &c.tags {
            let (tag_id, name) = tag_ids.get(tx, t, now)?;
            link_tag_using(tx, id, tag_id, &name, now, false)?;
        }
        return Ok(Written {
            id,
            created: true,
            changed: true,
        });
    };
    let mut changed = false;
    if let Some(name) = &c.name {
        changed |= set_name_using(tx, id, name.as_deref(), now)?;
    }
    if let Some(tz) = &c.timezone {
        changed |= set_timezone_using(tx, id, tz.as_deref(), now)?;
    }
    if let Some(st) = c.status {
        changed |= set_status_as_using(tx, id, st, how, now)?;
    }
    for (f, v) in &c.fields {
        changed |= set_field_value_using(tx, id, f, v, now)?;
    }
    for t in &c.tags {
        let (tag_id, name) = tag_ids.get(tx, t, now)?;
        changed |= link_tag_using(tx, id, tag_id, &name, now, true)?;
    }
    if c.is_test {
        changed |= tx
            .prepare_cached("UPDATE contacts SET is_test = 1 WHERE id = ?1 AND is_test = 0")?
            .execute([id])?
            > 0;
    }
    Ok(Written {
        id,
        created: false,
        changed,
    })
}

/// Returns the contact with this email, creating it (and recording
/// `contact.created`) when missing. The bool says whether it was created.
pub fn ensure_using(
    tx: &Connection,
    email: &str,
    source: &str,
    now: Timestamp,
) -> Result<(i64, bool)> {
    ensure_as_using(tx, email, source, &Consent::from_source(source), now)
}

/// [`ensure_using`] with the consent of a new contact given.
pub fn ensure_as_using(
    tx: &Connection,
    email: &str,
    source: &str,
    how: &Consent,
    now: Timestamp,
) -> Result<(i64, bool)> {
    check_no_control("the email", email.trim())?;
    let (email, key) = normalize_email(email)?;
    if let Some(id) = id_by_email_using(tx, &key)? {
        return Ok((id, false));
    }
    let c = CheckedContact {
        email,
        key,
        name: None,
        status: None,
        timezone: None,
        fields: vec![],
        tags: vec![],
        is_test: false,
    };
    Ok((insert_using(tx, &c, source, how, now)?, true))
}

/// Adds or updates a contact from `input`. Returns `(id, created)`.
pub fn upsert_using(
    tx: &Connection,
    input: &ContactInput,
    source: &str,
    now: Timestamp,
) -> Result<(i64, bool)> {
    let fields = fields_by_key_using(tx)?;
    let checked = check_input(input, &fields).map_err(one_error)?;
    let w = write_checked_using(tx, &checked, source, now)?;
    Ok((w.id, w.created))
}

/// Checks a field name a user wants to declare (the model's one rule).
pub use cairn_model::contact::check_field_name;

/// Declares a custom field, or checks an existing one has the same type.
/// Returns whether it was created.
pub fn define_field_using(tx: &Connection, def: &FieldDef, now: Timestamp) -> Result<bool> {
    let name = check_field_name(&def.name)?;
    match field_type_using(tx, name)? {
        Some(t) if t == def.field_type => Ok(false),
        Some(t) => Err(StoreError::Conflict(format!(
            "field {name:?} already exists as a {t} field, not {}",
            def.field_type
        ))),
        None => {
            tx.execute(
                "INSERT INTO fields (name, type, created_at) VALUES (?1, ?2, ?3)",
                params![name, def.field_type.as_str(), ms(now)],
            )?;
            Ok(true)
        }
    }
}

pub fn field_type_using(c: &Connection, name: &str) -> Result<Option<FieldType>> {
    let t: Option<String> = c
        .prepare_cached("SELECT type FROM fields WHERE name = ?1")?
        .query_row([name.trim()], |r| r.get(0))
        .optional()?;
    Ok(t.and_then(|t| FieldType::parse(&t)))
}

fn field_changed_using(
    tx: &Connection,
    contact_id: i64,
    field: &str,
    old: Value,
    new: Value,
    now: Timestamp,
) -> Result<()> {
    append_using(
        tx,
        &EventRecord::cairn(
            types::FIELD_CHANGED,
            Some(contact_id),
            &json!({"field": field, "old": old, "new": new}),
            now,
        ),
        now,
    )?;
    Ok(())
}

/// Sets or clears the name; records `field.changed` when it changed.
pub fn set_name_using(
    tx: &Connection,
    contact_id: i64,
    name: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    let new = name.map(str::trim).filter(|s| !s.is_empty());
    if let Some(n) = new {
        check_no_control("the name", n)?;
    }
    let old: Option<String> = tx
        .prepare_cached("SELECT name FROM contacts WHERE id = ?1")?
        .query_row([contact_id], |r| r.get(0))?;
    if old.as_deref() == new {
        return Ok(false);
    }
    tx.prepare_cached("UPDATE contacts SET name = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![contact_id, new, ms(now)])?;
    field_changed_using(tx, contact_id, "name", json!(old), json!(new), now)?;
    Ok(true)
}

/// Sets or clears the time zone (an IANA name); records `field.changed`.
pub fn set_timezone_using(
    tx: &Connection,
    contact_id: i64,
    tz: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    let new = tz.map(str::trim).filter(|s| !s.is_empty());
    if let Some(t) = new {
        check_no_control("the time zone", t)?;
    }
    if let Some(t) = new
        && parse_tz(t).is_none()
    {
        return Err(ModelError::InvalidTimezone(t.into()).into());
    }
    let old: Option<String> = tx
        .prepare_cached("SELECT timezone FROM contacts WHERE id = ?1")?
        .query_row([contact_id], |r| r.get(0))?;
    if old.as_deref() == new {
        return Ok(false);
    }
    tx.prepare_cached("UPDATE contacts SET timezone = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![contact_id, new, ms(now)])?;
    field_changed_using(tx, contact_id, "timezone", json!(old), json!(new), now)?;
    Ok(true)
}

/// Sets a custom field to a value already of its type (`Null` clears).
/// Records `field.changed` when the value changed.
pub fn set_field_value_using(
    tx: &Connection,
    contact_id: i64,
    field: &FieldInfo,
    value: &Value,
    now: Timestamp,
) -> Result<bool> {
    if let Value::String(s) = value {
        check_no_control(&format!("the field {:?}", field.name), s)?;
    }
    let old: Option<String> = tx
        .prepare_cached("SELECT value FROM contact_fields WHERE contact_id = ?1 AND field_id = ?2")?
        .query_row(params![contact_id, field.id], |r| r.get(0))
        .optional()?;
    let old: Value = old
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    if &old == value {
        return Ok(false);
    }
    if value.is_null() {
        tx.prepare_cached("DELETE FROM contact_fields WHERE contact_id = ?1 AND field_id = ?2")?
            .execute(params![contact_id, field.id])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO contact_fields (contact_id, field_id, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (contact_id, field_id) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![contact_id, field.id, value.to_string()])?;
    }
    tx.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![contact_id, ms(now)])?;
    field_changed_using(tx, contact_id, &field.name, old, value.clone(), now)?;
    Ok(true)
}

/// Sets a field by name: a custom field, or the built-in `name` or
/// `timezone`. The value is checked against the field's type; `Null`
/// clears. Records `field.changed` when the value changed.
pub fn set_field_using(
    tx: &Connection,
    contact_id: i64,
    field: &str,
    value: Value,
    now: Timestamp,
) -> Result<bool> {
    let as_text = |v: &Value| -> Result<Option<String>> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            other => Err(ModelError::InvalidFieldValue {
                field: field.into(),
                reason: format!("{other} is not text"),
            }
            .into()),
        }
    };
    if field.trim().eq_ignore_ascii_case("name") {
        return set_name_using(tx, contact_id, as_text(&value)?.as_deref(), now);
    }
    if field.trim().eq_ignore_ascii_case("timezone") {
        return set_timezone_using(tx, contact_id, as_text(&value)?.as_deref(), now);
    }
    let info = fields_by_key_using(tx)?
        .remove(&field.trim().to_lowercase())
        .ok_or_else(|| StoreError::not_found("field", field.trim()))?;
    let value =
        info.field_type
            .check_json(&value)
            .map_err(|reason| ModelError::InvalidFieldValue {
                field: info.name.clone(),
                reason,
            })?;
    set_field_value_using(tx, contact_id, &info, &value, now)
}

fn tag_id_using(tx: &Connection, tag: &str, now: Timestamp) -> Result<(i64, String)> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(ModelError::Invalid("a tag cannot be empty".into()).into());
    }
    check_no_control("the tag", tag)?;
    tx.prepare_cached(
        "INSERT INTO tags (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![tag, ms(now)])?;
    Ok(tx
        .prepare_cached("SELECT id, name FROM tags WHERE name = ?1")?
        .query_row([tag], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Tags a contact; records `tag.added` when the tag is new to the contact.
/// Tag names ignore case: "VIP" and "vip" are one tag, spelled as first made.
pub fn add_tag_using(tx: &Connection, contact_id: i64, tag: &str, now: Timestamp) -> Result<bool> {
    let (tag_id, name) = tag_id_using(tx, tag, now)?;
    link_tag_using(tx, contact_id, tag_id, &name, now, true)
}

/// Links a contact to a tag and records `tag.added`; `touch` also moves the
/// contact's `updated_at` (not needed for a contact created this instant).
fn link_tag_using(
    tx: &Connection,
    contact_id: i64,
    tag_id: i64,
    name: &str,
    now: Timestamp,
    touch: bool,
) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "INSERT INTO contact_tags (contact_id, tag_id, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![contact_id, tag_id, ms(now)])?;
    if n == 1 {
        if touch {
            tx.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE id = ?1")?
                .execute(params![contact_id, ms(now)])?;
        }
        append_using(
            tx,
            &EventRecord::cairn(
                types::TAG_ADDED,
                Some(contact_id),
                &json!({"tag": name}),
                now,
            ),
            now,
        )?;
    }
    Ok(n == 1)
}

/// Untags a contact; records `tag.removed` when it had the tag.
pub fn remove_tag_using(
    tx: &Connection,
    contact_id: i64,
    tag: &str,
    now: Timestamp,
) -> Result<bool> {
    let found: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, name FROM tags WHERE name = ?1")?
        .query_row([tag.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((tag_id, name)) = found else {
        return Ok(false);
    };
    let n = tx
        .prepare_cached("DELETE FROM contact_tags WHERE contact_id = ?1 AND tag_id = ?2")?
        .execute(params![contact_id, tag_id])?;
    if n == 1 {
        tx.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE id = ?1")?
            .execute(params![contact_id, ms(now)])?;
        append_using(
            tx,
            &EventRecord::cairn(
                types::TAG_REMOVED,
                Some(contact_id),
                &json!({"tag": name}),
                now,
            ),
            now,
        )?;
    }
    Ok(n == 1)
}

/// Sets the status by hand; records `status.changed` when it changed.
pub fn set_status_using(
    tx: &Connection,
    contact_id: i64,
    status: ContactStatus,
    now: Timestamp,
) -> Result<bool> {
    set_status_as_using(tx, contact_id, status, &Consent::manual(), now)
}

/// Sets the status; records `status.changed` and a consent row saying how
/// when it changed.
pub fn set_status_as_using(
    tx: &Connection,
    contact_id: i64,
    status: ContactStatus,
    how: &Consent,
    now: Timestamp,
) -> Result<bool> {
    let old: String = tx
        .prepare_cached("SELECT status FROM contacts WHERE id = ?1")?
        .query_row([contact_id], |r| r.get(0))?;
    if old == status.as_str() {
        return Ok(false);
    }
    tx.prepare_cached("UPDATE contacts SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![contact_id, status.as_str(), ms(now)])?;
    consent::record_using(tx, contact_id, status, how, None, now)?;
    append_using(
        tx,
        &EventRecord::cairn(
            types::STATUS_CHANGED,
            Some(contact_id),
            &json!({"old": old, "new": status.as_str()}),
            now,
        ),
        now,
    )?;
    Ok(true)
}

pub fn get_using(c: &rusqlite::Connection, id: i64) -> Result<Option<Contact>> {
    let base = c
        .prepare_cached(
            "SELECT id, email, name, status, timezone, is_test, created_at, updated_at FROM contacts WHERE id = ?1 AND erased_at IS NULL",
        )?
        .query_row([id], |r| {
            Ok(Contact {
                id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                status: ContactStatus::parse(&r.get::<_, String>(3)?).unwrap_or_default(),
                timezone: r.get(4)?,
                is_test: r.get(5)?,
                created_at: ts(r.get(6)?),
                updated_at: ts(r.get(7)?),
                fields: BTreeMap::new(),
                tags: vec![],
            })
        })
        .optional()?;
    let Some(mut contact) = base else {
        return Ok(None);
    };
    let mut st = c.prepare_cached(
        "SELECT f.name, cf.value FROM contact_fields cf JOIN fields f ON f.id = cf.field_id WHERE cf.contact_id = ?1",
    )?;
    for r in st.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })? {
        let (k, v) = r?;
        contact
            .fields
            .insert(k, serde_json::from_str(&v).unwrap_or(Value::Null));
    }
    let mut st = c.prepare_cached(
        "SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ?1 ORDER BY t.name",
    )?;
    contact.tags = st
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(contact))
}

/// A contact a time-based trigger may start a run for: subscribed and not a
/// test contact.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceMember {
    pub id: i64,
    pub timezone: Option<String>,
}

/// The audience ([`audience_using`]) members who have tag `tag` (named in
/// any case, as [`Contact::has_tag`] compares), by id: read through the
/// tag's index, so a condition that requires a tag
/// (`Condition::required_tag`) reads only those contacts.
pub fn audience_tagged_using(c: &Connection, tag: &str) -> Result<Vec<AudienceMember>> {
    let mut st = c.prepare_cached(
        // CROSS JOIN keeps this order: the tag, its contacts through the
        // (tag_id, contact_id) index, then each contact's row.
        "SELECT c.id, c.timezone FROM tags t \
         CROSS JOIN contact_tags ct ON ct.tag_id = t.id \
         CROSS JOIN contacts c ON c.id = ct.contact_id \
         WHERE t.name = ?1 AND c.status = 'subscribed' AND c.is_test = 0 \
         ORDER BY c.id",
    )?;
    let rows = st.query_map([tag], |r| {
        Ok(AudienceMember {
            id: r.get(0)?,
            timezone: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every subscribed, non-test contact, by id.
pub fn audience_using(c: &Connection) -> Result<Vec<AudienceMember>> {
    let mut st = c.prepare_cached(
        "SELECT id, timezone FROM contacts WHERE status = 'subscribed' AND is_test = 0 ORDER BY id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(AudienceMember {
            id: r.get(0)?,
            timezone: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The audience ([`audience_using`]) with each member's stored value of
/// field `field` (as its JSON text), by contact id; members without a
/// value are left out. With `month_days` (",MM-DD,MM-DD,"), only the values
/// that could be such a date: a value that does not begin with a
/// `"YYYY-MM-DD` string is always kept, one that does is kept when its
/// `MM-DD` is in the list.
///
/// With `month_days` each half seeks through its own index (migration
/// 0017): the listed month-days through `contact_fields_month_day`, the
/// values that are not dates through the partial `contact_fields_undated`;
/// the GLOB pattern and the `substr` are written exactly as the indexes
/// are, or SQLite could not use them. `INDEXED BY` holds SQLite to them:
/// without statistics (no `ANALYZE`) it prefers walking the field's whole
/// `(field_id, value)` index, and it would turn the first half's GLOB into
/// a range over every date (hence `+cf.value`, kept off that index).
pub fn audience_field_using(
    c: &Connection,
    field: &str,
    month_days: Option<&str>,
) -> Result<Vec<(AudienceMember, String)>> {
    let Some(days) = month_days else {
        let mut st = c.prepare_cached(
            // CROSS JOIN keeps this order: the field's values through the
            // (field_id, value) index, then their contacts.
            "SELECT c.id, c.timezone, cf.value FROM fields f \
             CROSS JOIN contact_fields cf ON cf.field_id = f.id \
             CROSS JOIN contacts c ON c.id = cf.contact_id \
             WHERE f.name = ?1 AND c.status = 'subscribed' AND c.is_test = 0 \
             ORDER BY c.id",
        )?;
        return collect_field_audience(st.query_map([field], field_audience_row)?);
    };
    let list: Vec<&str> = days.split(',').filter(|d| !d.is_empty()).collect();
    let list = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
    let mut st = c.prepare_cached(
        "SELECT c.id, c.timezone, cf.value FROM fields f \
         CROSS JOIN contact_fields cf INDEXED BY contact_fields_month_day ON cf.field_id = f.id \
         CROSS JOIN contacts c ON c.id = cf.contact_id \
         WHERE f.name = ?1 AND c.status = 'subscribed' AND c.is_test = 0 \
         AND substr(cf.value, 7, 5) IN (SELECT value FROM json_each(?2)) \
         AND +cf.value GLOB '\"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' \
         UNION ALL \
         SELECT c.id, c.timezone, cf.value FROM fields f \
         CROSS JOIN contact_fields cf INDEXED BY contact_fields_undated ON cf.field_id = f.id \
         CROSS JOIN contacts c ON c.id = cf.contact_id \
         WHERE f.name = ?1 AND c.status = 'subscribed' AND c.is_test = 0 \
         AND cf.value NOT GLOB '\"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' \
         ORDER BY 1",
    )?;
    collect_field_audience(st.query_map(rusqlite::params![field, list], field_audience_row)?)
}

fn field_audience_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(AudienceMember, String)> {
    Ok((
        AudienceMember {
            id: r.get(0)?,
            timezone: r.get(1)?,
        },
        r.get(2)?,
    ))
}

fn collect_field_audience(
    rows: impl Iterator<Item = rusqlite::Result<(AudienceMember, String)>>,
) -> Result<Vec<(AudienceMember, String)>> {
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Adds a new contact by hand; an existing email (in any case) is a
    /// conflict.
    pub fn add_contact(&mut self, input: &ContactInput, now: Timestamp) -> Result<Contact> {
        self.add_contact_as(input, &Consent::manual(), now)
    }

    /// [`Store::add_contact`] with its consent given: how it came, and
    /// whether an erased contact may come back subscribed.
    pub fn add_contact_as(
        &mut self,
        input: &ContactInput,
        how: &Consent,
        now: Timestamp,
    ) -> Result<Contact> {
        let id = self.write(|tx| {
            let checked = check_input(input, &fields_by_key_using(tx)?).map_err(one_error)?;
            if let Some(existing) = id_by_email_using(tx, &checked.key)? {
                let stored: String = tx.query_row(
                    "SELECT email FROM contacts WHERE id = ?1",
                    [existing],
                    |r| r.get(0),
                )?;
                return Err(StoreError::Conflict(format!(
                    "a contact with email {stored:?} already exists"
                )));
            }
            Ok(write_checked_as_using(
                tx,
                &checked,
                sources::CAIRN,
                how,
                now,
                &mut TagIds::default(),
            )?
            .id)
        })?;
        Ok(get_using(self.conn(), id)?.expect("just written"))
    }

    /// Adds or updates a contact.
    pub fn upsert_contact(&mut self, input: &ContactInput, now: Timestamp) -> Result<Contact> {
        let id =
            self.write(|tx| Ok::<_, StoreError>(upsert_using(tx, input, sources::CAIRN, now)?.0))?;
        Ok(get_using(self.conn(), id)?.expect("just written"))
    }

    /// Edits the contact `id` (the contacts screen): `input` as for
    /// [`Store::upsert_contact`] (its email must be the contact's own; an
    /// email is the contact's identity and is not changed here), and the
    /// tags in `untag` removed, all in one transaction. Each change records
    /// its event (`field.changed`, `status.changed`, `tag.added`,
    /// `tag.removed`).
    pub fn update_contact(
        &mut self,
        id: i64,
        input: &ContactInput,
        untag: &[String],
        now: Timestamp,
    ) -> Result<Contact> {
        self.write(|tx| {
            let key: String = tx
                .query_row("SELECT email_key FROM contacts WHERE id = ?1 AND erased_at IS NULL", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| StoreError::not_found("contact", id.to_string()))?;
            let checked = check_input(input, &fields_by_key_using(tx)?).map_err(one_error)?;
            if checked.key != key {
                return Err(StoreError::Conflict(format!(
                    "contact {id} has another email; a contact's email is its identity and cannot be changed by an edit"
                )));
            }
            write_checked_using(tx, &checked, sources::CAIRN, now)?;
            for t in untag {
                if !checked.tags.iter().any(|k| k.eq_ignore_ascii_case(t.trim())) {
                    remove_tag_using(tx, id, t, now)?;
                }
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(get_using(self.conn(), id)?.expect("just written"))
    }

    pub fn contact(&self, id: i64) -> Result<Option<Contact>> {
        get_using(self.conn(), id)
    }

    pub fn contact_by_email(&self, email: &str) -> Result<Option<Contact>> {
        match id_by_email_using(self.conn(), email)? {
            Some(id) => get_using(self.conn(), id),
            None => Ok(None),
        }
    }

    /// Like [`Store::contact_by_email`] but a missing contact is an error.
    pub fn require_contact(&self, email: &str) -> Result<Contact> {
        self.contact_by_email(email)?
            .ok_or_else(|| StoreError::not_found("contact", email.trim()))
    }

    /// Tags a contact by email; false when it already had the tag.
    pub fn tag_contact(&mut self, email: &str, tag: &str, now: Timestamp) -> Result<bool> {
        let c = self.require_contact(email)?;
        self.write(|tx| add_tag_using(tx, c.id, tag, now))
    }

    /// Untags a contact by email; false when it did not have the tag.
    pub fn untag_contact(&mut self, email: &str, tag: &str, now: Timestamp) -> Result<bool> {
        let c = self.require_contact(email)?;
        if tag.trim().is_empty() {
            return Err(ModelError::Invalid("a tag cannot be empty".into()).into());
        }
        self.write(|tx| remove_tag_using(tx, c.id, tag, now))
    }

    /// Sets a contact's status by email; false when it already had it.
    pub fn set_contact_status(
        &mut self,
        email: &str,
        status: ContactStatus,
        now: Timestamp,
    ) -> Result<bool> {
        let c = self.require_contact(email)?;
        self.write(|tx| set_status_using(tx, c.id, status, now))
    }

    /// Declares a custom field; false when it already exists with this type.
    pub fn define_field(&mut self, def: &FieldDef, now: Timestamp) -> Result<bool> {
        self.write(|tx| define_field_using(tx, def, now))
    }

    /// Declared custom fields, by name.
    pub fn fields(&self) -> Result<Vec<FieldDef>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT name, type FROM fields ORDER BY name COLLATE NOCASE")?;
        let rows = st.query_map([], |r| {
            Ok(FieldDef {
                name: r.get(0)?,
                field_type: FieldType::parse(&r.get::<_, String>(1)?).unwrap_or(FieldType::Text),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every tag name, sorted.
    pub fn tags(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT name FROM tags ORDER BY name COLLATE NOCASE")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Contacts matching a query, with their fields and tags.
    pub fn contacts(&self, q: &ContactQuery) -> Result<Vec<Contact>> {
        let (sql, args) = query_sql(q, "c.id");
        let mut st = self.conn().prepare(&sql)?;
        let ids: Vec<i64> = st
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter()
            .filter_map(|id| get_using(self.conn(), id).transpose())
            .collect()
    }

    /// The ids of the contacts matching a query, in its order.
    pub fn contact_ids(&self, q: &ContactQuery) -> Result<Vec<i64>> {
        let (sql, args) = query_sql(q, "c.id");
        let mut st = self.conn().prepare(&sql)?;
        let ids = st
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// How many contacts match a query (limit and offset ignored).
    pub fn count_contacts(&self, q: &ContactQuery) -> Result<i64> {
        let q = ContactQuery {
            limit: None,
            offset: None,
            sort: None,
            ..q.clone()
        };
        let (sql, args) = query_sql(&q, "COUNT(*)");
        Ok(self
            .conn()
            .query_row(&sql, rusqlite::params_from_iter(args.iter()), |r| r.get(0))?)
    }
}

fn query_sql(q: &ContactQuery, select: &str) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value as V;
    let mut sql = format!("SELECT {select} FROM contacts c");
    // Erased contacts are tombstones kept for their runs' analytics.
    let mut wh: Vec<String> = vec!["c.erased_at IS NULL".into()];
    let mut args: Vec<V> = vec![];
    if let Some(tag) = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        args.push(V::Text(tag.into()));
        wh.push(format!(
            "c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?{})",
            args.len()
        ));
    }
    if let Some(s) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        args.push(V::Text(like_pattern(s)));
        wh.push(format!(
            "(c.email_key LIKE ?{n} ESCAPE '\\' OR lower(c.name) LIKE ?{n} ESCAPE '\\')",
            n = args.len()
        ));
    }
    if let Some(st) = q.status {
        args.push(V::Text(st.as_str().into()));
        wh.push(format!("c.status = ?{}", args.len()));
    }
    {
        sql.push_str(" WHERE ");
        sql.push_str(&wh.join(" AND "));
    }
    if select != "COUNT(*)" {
        let col = match q.sort.unwrap_or(ContactSort::Created) {
            ContactSort::Email => "c.email_key",
            // Served by the contacts_name index (migration 0002); NULL names first.
            ContactSort::Name => "c.name COLLATE NOCASE",
            ContactSort::Created => "c.created_at",
            ContactSort::Status => "c.status",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        sql.push_str(&format!(" ORDER BY {col} {dir}, c.id {dir}"));
        sql.push_str(&format!(" LIMIT {}", q.limit.unwrap_or(-1)));
        if let Some(o) = q.offset {
            sql.push_str(&format!(" OFFSET {o}"));
        }
    }
    (sql, args)
}
