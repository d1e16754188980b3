//! Contacts, their custom fields and tags.
//!
//! Every change made here records its own event in the same transaction
//! (`contact.created`, `tag.added`, `tag.removed`, `field.changed`,
//! `status.changed`) so that triggers can react to it.

use std::collections::BTreeMap;

use cairn_model::contact::{
    BUILTIN_FIELDS, Contact, ContactStatus, FieldDef, FieldType, normalize_email,
};
use cairn_model::event::{sources, types};
use cairn_model::time::parse_tz;
use cairn_model::{ModelError, Timestamp};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::events::append_using;
use crate::{Result, Store, StoreError, ms, ts};

/// What a caller knows about a contact to add or update. `None` leaves a
/// value as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ContactInput {
    pub email: String,
    pub name: Option<String>,
    pub status: Option<ContactStatus>,
    pub timezone: Option<String>,
    /// Raw text values by field name, parsed with the field's declared type.
    pub fields: BTreeMap<String, String>,
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

fn check_timezone(tz: &str) -> Result<()> {
    if parse_tz(tz).is_none() {
        return Err(ModelError::InvalidTimezone(tz.into()).into());
    }
    Ok(())
}

/// Finds a contact id by email (case-insensitive).
pub fn id_by_email_using(tx: &rusqlite::Connection, email: &str) -> Result<Option<i64>> {
    let key = email.trim().to_lowercase();
    Ok(tx
        .prepare_cached("SELECT id FROM contacts WHERE email_key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Returns the contact with this email, creating it (and recording
/// `contact.created`) when missing. The bool says whether it was created.
pub fn ensure_using(
    tx: &Transaction<'_>,
    email: &str,
    source: &str,
    now: Timestamp,
) -> Result<(i64, bool)> {
    let (email, key) = normalize_email(email)?;
    if let Some(id) = id_by_email_using(tx, &key)? {
        return Ok((id, false));
    }
    tx.prepare_cached(
        "INSERT INTO contacts (email, email_key, status, created_at, updated_at)
         VALUES (?1, ?2, 'subscribed', ?3, ?3)",
    )?
    .execute(params![email, key, ms(now)])?;
    let id = tx.last_insert_rowid();
    append_using(
        tx,
        types::CONTACT_CREATED,
        Some(id),
        &json!({"email": email, "source": source}),
        now,
        sources::CAIRN,
        None,
        now,
    )?;
    Ok((id, true))
}

/// Adds or updates a contact from `input`. Returns `(id, created)`.
pub fn upsert_using(
    tx: &Transaction<'_>,
    input: &ContactInput,
    source: &str,
    now: Timestamp,
) -> Result<(i64, bool)> {
    let (id, created) = ensure_using(tx, &input.email, source, now)?;
    if let Some(name) = &input.name {
        let name = name.trim();
        tx.prepare_cached("UPDATE contacts SET name = ?2, updated_at = ?3 WHERE id = ?1 AND name IS NOT ?2")?
            .execute(params![id, (!name.is_empty()).then_some(name), ms(now)])?;
    }
    if let Some(tz) = &input.timezone {
        let tz = tz.trim();
        if !tz.is_empty() {
            check_timezone(tz)?;
        }
        tx.prepare_cached("UPDATE contacts SET timezone = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![id, (!tz.is_empty()).then_some(tz), ms(now)])?;
    }
    if input.is_test {
        tx.execute("UPDATE contacts SET is_test = 1 WHERE id = ?1", [id])?;
    }
    if let Some(st) = input.status {
        set_status_using(tx, id, st, now)?;
    }
    for (k, raw) in &input.fields {
        let ft = field_type_using(tx, k)?.ok_or_else(|| ModelError::InvalidFieldValue {
            field: k.clone(),
            reason: "there is no such field; create it first".into(),
        })?;
        let v = ft
            .parse_value(raw)
            .map_err(|reason| ModelError::InvalidFieldValue {
                field: k.clone(),
                reason,
            })?;
        set_field_using(tx, id, k, v, now)?;
    }
    for t in &input.tags {
        add_tag_using(tx, id, t, now)?;
    }
    Ok((id, created))
}

/// Declares a custom field, or checks an existing one has the same type.
pub fn define_field_using(tx: &Transaction<'_>, def: &FieldDef, now: Timestamp) -> Result<()> {
    let name = def.name.trim();
    if name.is_empty() {
        return Err(ModelError::Invalid("a field needs a name".into()).into());
    }
    if BUILTIN_FIELDS.contains(&name.to_lowercase().as_str()) {
        return Err(ModelError::Invalid(format!("{name:?} is a built-in field")).into());
    }
    match field_type_using(tx, name)? {
        Some(t) if t == def.field_type => Ok(()),
        Some(t) => Err(StoreError::Conflict(format!(
            "field {name:?} already exists as a {t} field, not {}",
            def.field_type
        ))),
        None => {
            tx.execute(
                "INSERT INTO fields (name, type, created_at) VALUES (?1, ?2, ?3)",
                params![name, def.field_type.as_str(), ms(now)],
            )?;
            Ok(())
        }
    }
}

pub fn field_type_using(c: &rusqlite::Connection, name: &str) -> Result<Option<FieldType>> {
    let t: Option<String> = c
        .prepare_cached("SELECT type FROM fields WHERE name = ?1")?
        .query_row([name.trim()], |r| r.get(0))
        .optional()?;
    Ok(t.and_then(|t| FieldType::parse(&t)))
}

/// Sets a custom field (`name` may also be the built-in `name`). A null
/// value clears it. Records `field.changed` when the value changed.
pub fn set_field_using(
    tx: &Transaction<'_>,
    contact_id: i64,
    field: &str,
    value: Value,
    now: Timestamp,
) -> Result<bool> {
    if field.eq_ignore_ascii_case("name") {
        let new = value.as_str().map(str::trim).filter(|s| !s.is_empty());
        let old: Option<String> =
            tx.query_row("SELECT name FROM contacts WHERE id = ?1", [contact_id], |r| r.get(0))?;
        if old.as_deref() == new {
            return Ok(false);
        }
        tx.execute(
            "UPDATE contacts SET name = ?2, updated_at = ?3 WHERE id = ?1",
            params![contact_id, new, ms(now)],
        )?;
        append_using(
            tx,
            types::FIELD_CHANGED,
            Some(contact_id),
            &json!({"field": "name", "old": old, "new": new}),
            now,
            sources::CAIRN,
            None,
            now,
        )?;
        return Ok(true);
    }
    let (field_id, ft): (i64, String) = tx
        .prepare_cached("SELECT id, type FROM fields WHERE name = ?1")?
        .query_row([field.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::not_found("field", field))?;
    let ft = FieldType::parse(&ft).unwrap_or(FieldType::Text);
    let value = ft
        .check_json(&value)
        .map_err(|reason| ModelError::InvalidFieldValue {
            field: field.into(),
            reason,
        })?;
    let old: Option<String> = tx
        .prepare_cached("SELECT value FROM contact_fields WHERE contact_id = ?1 AND field_id = ?2")?
        .query_row(params![contact_id, field_id], |r| r.get(0))
        .optional()?;
    let old: Value = old
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    if old == value {
        return Ok(false);
    }
    if value.is_null() {
        tx.execute(
            "DELETE FROM contact_fields WHERE contact_id = ?1 AND field_id = ?2",
            params![contact_id, field_id],
        )?;
    } else {
        tx.prepare_cached(
            "INSERT INTO contact_fields (contact_id, field_id, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (contact_id, field_id) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![contact_id, field_id, value.to_string()])?;
    }
    tx.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![contact_id, ms(now)])?;
    let field_name: String =
        tx.query_row("SELECT name FROM fields WHERE id = ?1", [field_id], |r| r.get(0))?;
    append_using(
        tx,
        types::FIELD_CHANGED,
        Some(contact_id),
        &json!({"field": field_name, "old": old, "new": value}),
        now,
        sources::CAIRN,
        None,
        now,
    )?;
    Ok(true)
}

fn tag_id_using(tx: &Transaction<'_>, tag: &str, now: Timestamp) -> Result<i64> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(ModelError::Invalid("a tag cannot be empty".into()).into());
    }
    tx.prepare_cached("INSERT INTO tags (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING")?
        .execute(params![tag, ms(now)])?;
    Ok(tx
        .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row([tag], |r| r.get(0))?)
}

/// Tags a contact; records `tag.added` when the tag is new to the contact.
pub fn add_tag_using(tx: &Transaction<'_>, contact_id: i64, tag: &str, now: Timestamp) -> Result<bool> {
    let tag_id = tag_id_using(tx, tag, now)?;
    let n = tx
        .prepare_cached(
            "INSERT INTO contact_tags (contact_id, tag_id, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![contact_id, tag_id, ms(now)])?;
    if n == 1 {
        let name: String = tx.query_row("SELECT name FROM tags WHERE id = ?1", [tag_id], |r| r.get(0))?;
        append_using(
            tx,
            types::TAG_ADDED,
            Some(contact_id),
            &json!({"tag": name}),
            now,
            sources::CAIRN,
            None,
            now,
        )?;
    }
    Ok(n == 1)
}

/// Untags a contact; records `tag.removed` when it had the tag.
pub fn remove_tag_using(tx: &Transaction<'_>, contact_id: i64, tag: &str, now: Timestamp) -> Result<bool> {
    let found: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, name FROM tags WHERE name = ?1")?
        .query_row([tag.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((tag_id, name)) = found else {
        return Ok(false);
    };
    let n = tx.execute(
        "DELETE FROM contact_tags WHERE contact_id = ?1 AND tag_id = ?2",
        params![contact_id, tag_id],
    )?;
    if n == 1 {
        append_using(
            tx,
            types::TAG_REMOVED,
            Some(contact_id),
            &json!({"tag": name}),
            now,
            sources::CAIRN,
            None,
            now,
        )?;
    }
    Ok(n == 1)
}

/// Sets the status; records `status.changed` when it changed.
pub fn set_status_using(
    tx: &Transaction<'_>,
    contact_id: i64,
    status: ContactStatus,
    now: Timestamp,
) -> Result<bool> {
    let old: String = tx.query_row("SELECT status FROM contacts WHERE id = ?1", [contact_id], |r| r.get(0))?;
    if old == status.as_str() {
        return Ok(false);
    }
    tx.execute(
        "UPDATE contacts SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![contact_id, status.as_str(), ms(now)],
    )?;
    append_using(
        tx,
        types::STATUS_CHANGED,
        Some(contact_id),
        &json!({"old": old, "new": status.as_str()}),
        now,
        sources::CAIRN,
        None,
        now,
    )?;
    Ok(true)
}

/// Loads a contact by id.
pub fn get_using(c: &rusqlite::Connection, id: i64) -> Result<Option<Contact>> {
    let base = c
        .prepare_cached(
            "SELECT id, email, name, status, timezone, is_test, created_at, updated_at FROM contacts WHERE id = ?1",
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
    for r in st.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
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

impl Store {
    /// Adds a new contact; an existing email is a conflict.
    pub fn add_contact(&mut self, input: &ContactInput, now: Timestamp) -> Result<Contact> {
        let id = self.write(|tx| {
            normalize_email(&input.email)?;
            if id_by_email_using(tx, &input.email)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "a contact with email {:?} already exists",
                    input.email.trim()
                )));
            }
            Ok(upsert_using(tx, input, sources::CAIRN, now)?.0)
        })?;
        Ok(get_using(self.conn(), id)?.expect("just written"))
    }

    /// Adds or updates a contact.
    pub fn upsert_contact(&mut self, input: &ContactInput, now: Timestamp) -> Result<Contact> {
        let id = self.write(|tx| Ok::<_, StoreError>(upsert_using(tx, input, sources::CAIRN, now)?.0))?;
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

    pub fn tag_contact(&mut self, email: &str, tag: &str, now: Timestamp) -> Result<bool> {
        let c = self.require_contact(email)?;
        self.write(|tx| add_tag_using(tx, c.id, tag, now))
    }

    pub fn untag_contact(&mut self, email: &str, tag: &str, now: Timestamp) -> Result<bool> {
        let c = self.require_contact(email)?;
        self.write(|tx| remove_tag_using(tx, c.id, tag, now))
    }

    pub fn define_field(&mut self, def: &FieldDef, now: Timestamp) -> Result<()> {
        self.write(|tx| define_field_using(tx, def, now))
    }

    /// Declared custom fields, by name.
    pub fn fields(&self) -> Result<Vec<FieldDef>> {
        let mut st = self.conn().prepare_cached("SELECT name, type FROM fields ORDER BY name")?;
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
        let mut st = self.conn().prepare_cached("SELECT name FROM tags ORDER BY name")?;
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
    let mut wh: Vec<String> = vec![];
    let mut args: Vec<V> = vec![];
    if let Some(tag) = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        args.push(V::Text(tag.into()));
        wh.push(format!(
            "c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?{})",
            args.len()
        ));
    }
    if let Some(s) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pat = format!("%{}%", s.to_lowercase().replace('%', "\\%").replace('_', "\\_"));
        args.push(V::Text(pat));
        wh.push(format!(
            "(c.email_key LIKE ?{n} ESCAPE '\\' OR lower(c.name) LIKE ?{n} ESCAPE '\\')",
            n = args.len()
        ));
    }
    if let Some(st) = q.status {
        args.push(V::Text(st.as_str().into()));
        wh.push(format!("c.status = ?{}", args.len()));
    }
    if !wh.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&wh.join(" AND "));
    }
    if select != "COUNT(*)" {
        let col = match q.sort.unwrap_or(ContactSort::Created) {
            ContactSort::Email => "c.email_key",
            ContactSort::Name => "lower(coalesce(c.name, ''))",
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
