//! CSV import of contacts.
//!
//! The header row names the columns: `email` (required), `name`,
//! `first_name` and `last_name` (joined into the name when there is no
//! `name` column), `status`, `timezone`, `tags` (`;`-separated) and custom
//! fields by their declared name. A column written `NAME:TYPE` (such as
//! `birthday:date`) declares the field when it does not exist yet. Any other
//! column is an error naming it, because silently dropping a column loses the
//! user's data — unless the import says what to do with it: a file from
//! another tool (a Kit or Mailchimp export) is imported with a mapping
//! ([`CsvImportOptions::map`]: column → built-in column, existing field or
//! new `NAME:TYPE` field; [`CsvImportOptions::skip_columns`]; or
//! [`CsvImportOptions::new_fields`] for every unknown column). Until every
//! column has a meaning, nothing is imported.
//!
//! The import is two passes. The first parses and checks every row without
//! writing, so every invalid row can be reported with its line number and
//! reason. The second writes all valid rows in one transaction: by default
//! only when no row was invalid, with `skip_invalid` the valid ones anyway.
//! A row whose email exists updates that contact (empty cells leave values as
//! they are; tags are added); the same email twice in one file is an error
//! on its second line.
//!
//! The `csv` crate does the parsing (quotes, embedded commas and newlines,
//! CRLF, a UTF-8 BOM): hand-written CSV splitting always gets one of them wrong.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use cairn_model::Timestamp;
use cairn_model::contact::{BUILTIN_FIELDS, ContactStatus, FieldDef, FieldType};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consent::{Consent, ConsentVia};
use crate::contacts::{
    CheckedContact, ContactInput, FieldInfo, TagIds, check_field_name, check_input,
    define_field_using, fields_by_key_using, id_by_email_using, write_checked_as_using,
};
use crate::{Result, Store, StoreError};

/// The `source` recorded in `contact.created` for imported contacts.
pub const CSV_SOURCE: &str = "csv";

/// How to import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct CsvImportOptions {
    /// Import the valid rows even when some rows are invalid.
    pub skip_invalid: bool,
    /// The file's name, recorded in each new contact's consent.
    pub file_name: Option<String>,
    /// Contacts erased earlier come back with the file's status (normally
    /// subscribed) instead of unsubscribed.
    pub resubscribe_erased: bool,
    /// A file from another tool: header cell (ignoring case) → what the
    /// column holds instead of what its header says: a built-in column
    /// (`email`, `name`, …), an existing field, or `NAME:TYPE` for a new
    /// field.
    pub map: BTreeMap<String, String>,
    /// Header cells (ignoring case) whose columns are left out.
    pub skip_columns: Vec<String>,
    /// Every column that is neither built in, declared, mapped nor skipped
    /// becomes a new field of this type (instead of refusing the file).
    pub new_fields: Option<FieldType>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvalidRow {
    /// The line of the file the row starts on (the header is line 1).
    #[ts(type = "number")]
    pub line: u64,
    /// The email cell, when the row has one.
    pub email: Option<String>,
    /// Every problem found in the row, joined with "; ".
    pub reason: String,
}

/// What an import found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CsvImportReport {
    /// Data rows read (blank rows are not counted).
    #[ts(type = "number")]
    pub rows: u64,
    /// Whether anything was written. False when some row was invalid and
    /// `skip_invalid` was not set.
    pub imported: bool,
    #[ts(type = "number")]
    pub created: u64,
    #[ts(type = "number")]
    pub updated: u64,
    /// Rows of existing contacts that changed nothing.
    #[ts(type = "number")]
    pub unchanged: u64,
    /// Invalid rows left out (with `skip_invalid`).
    #[ts(type = "number")]
    pub skipped: u64,
    /// Contacts erased earlier that this file brought back, unsubscribed
    /// (without `resubscribe_erased`) or as the file says (with it).
    #[ts(type = "number")]
    pub returned_erased: u64,
    /// Fields declared by `NAME:TYPE` columns.
    pub fields_created: Vec<FieldDef>,
    pub invalid: Vec<InvalidRow>,
}

/// What a column holds.
#[derive(Debug, Clone)]
enum Column {
    Email,
    Name,
    FirstName,
    LastName,
    Status,
    Timezone,
    Tags,
    Field(FieldInfo),
    /// Left out on purpose (`skip_columns`).
    Skip,
}

struct Header {
    columns: Vec<Column>,
    /// Fields to declare before writing (from `NAME:TYPE` columns).
    new_fields: Vec<FieldDef>,
    /// Declared fields, with the new ones given placeholder ids until written.
    fields: HashMap<String, FieldInfo>,
}

fn parse_header(
    cells: &[String],
    mut fields: HashMap<String, FieldInfo>,
    opts: &CsvImportOptions,
) -> Result<Header> {
    let err = |message: String| StoreError::Csv { line: 1, message };
    let map: HashMap<String, &String> = opts
        .map
        .iter()
        .map(|(k, v)| (k.trim().to_lowercase(), v))
        .collect();
    let skip: Vec<String> = opts
        .skip_columns
        .iter()
        .map(|c| c.trim().to_lowercase())
        .collect();
    for name in map.keys().chain(skip.iter()) {
        if !cells.iter().any(|c| c.trim().to_lowercase() == *name) {
            return Err(err(format!(
                "the mapping names a column {name:?} that the header row does not have"
            )));
        }
    }
    let mut columns = Vec::with_capacity(cells.len());
    let mut new_fields = vec![];
    let mut unknown = vec![];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in cells.iter().enumerate() {
        let n = i + 1;
        let header = raw.trim();
        if skip.contains(&header.to_lowercase()) {
            columns.push(Column::Skip);
            continue;
        }
        let cell = map
            .get(&header.to_lowercase())
            .map_or(header, |target| target.trim());
        if cell.is_empty() {
            return Err(err(format!("column {n} has no name in the header row")));
        }
        let (name, declared) = match cell.rsplit_once(':') {
            Some((name, t)) => {
                let ft = FieldType::parse(t).ok_or_else(|| {
                    err(format!(
                        "column {n} {cell:?}: unknown field type {:?} (expected text, number, date or boolean)",
                        t.trim()
                    ))
                })?;
                (name.trim(), Some(ft))
            }
            None => (cell, None),
        };
        let key = name.to_lowercase();
        if let Some(first) = seen.insert(key.clone(), n) {
            return Err(err(format!("column {n} {cell:?} repeats column {first}")));
        }
        let builtin = match key.as_str() {
            "email" => Some(Column::Email),
            "name" => Some(Column::Name),
            "first_name" => Some(Column::FirstName),
            "last_name" => Some(Column::LastName),
            "status" => Some(Column::Status),
            "timezone" => Some(Column::Timezone),
            "tags" => Some(Column::Tags),
            _ => None,
        };
        if let Some(col) = builtin {
            if declared.is_some() {
                return Err(err(format!(
                    "column {n} {cell:?}: {name:?} is a built-in column and takes no type"
                )));
            }
            columns.push(col);
            continue;
        }
        match (fields.get(&key), declared) {
            (Some(f), Some(t)) if f.field_type != t => {
                return Err(err(format!(
                    "column {n} {cell:?}: the field {:?} already exists as a {} field",
                    f.name, f.field_type
                )));
            }
            (Some(f), _) => columns.push(Column::Field(f.clone())),
            (None, Some(t)) => {
                let name =
                    check_field_name(name).map_err(|e| err(format!("column {n} {cell:?}: {e}")))?;
                debug_assert!(!BUILTIN_FIELDS.contains(&key.as_str()));
                let info = FieldInfo {
                    id: -(new_fields.len() as i64) - 1,
                    name: name.to_string(),
                    field_type: t,
                };
                new_fields.push(FieldDef {
                    name: name.to_string(),
                    field_type: t,
                });
                fields.insert(key, info.clone());
                columns.push(Column::Field(info));
            }
            (None, None) if opts.new_fields.is_none() => {
                unknown.push(format!("{cell:?} (column {n})"));
                columns.push(Column::Tags); // placeholder; the header is refused below
            }
            (None, None) => {
                let t = opts.new_fields.expect("checked above");
                let name =
                    check_field_name(name).map_err(|e| err(format!("column {n} {cell:?}: {e}")))?;
                let info = FieldInfo {
                    id: -(new_fields.len() as i64) - 1,
                    name: name.to_string(),
                    field_type: t,
                };
                new_fields.push(FieldDef {
                    name: name.to_string(),
                    field_type: t,
                });
                fields.insert(key, info.clone());
                columns.push(Column::Field(info));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(err(format!(
            "unknown column{} {}: not a built-in column (email, name, first_name, last_name, status, timezone, tags) nor a declared field; map it to a field (--map COLUMN=FIELD[:TYPE]), skip it (--skip-column), create every unknown column as a field (--new-fields text), declare the field first, or write the column as NAME:TYPE (e.g. \"birthday:date\"; types: text, number, date, boolean)",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", ")
        )));
    }
    if !columns.iter().any(|c| matches!(c, Column::Email)) {
        return Err(err(format!(
            "the header row has no email column (found: {})",
            cells
                .iter()
                .map(|c| c.trim())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Header {
        columns,
        new_fields,
        fields,
    })
}

/// Reads one row into a contact input, or the reasons it is invalid.
fn check_row(
    header: &Header,
    cells: &[String],
) -> std::result::Result<CheckedContact, (Option<String>, String)> {
    let mut input = ContactInput::default();
    let mut email = None;
    let mut first = None;
    let mut last = None;
    let mut problems: Vec<String> = vec![];
    for (col, cell) in header.columns.iter().zip(cells) {
        let v = cell.trim();
        match col {
            Column::Email => {
                input.email = cell.clone();
                email = (!v.is_empty()).then(|| v.to_string());
            }
            Column::Name if !v.is_empty() => input.name = Some(v.to_string()),
            Column::FirstName if !v.is_empty() => first = Some(v.to_string()),
            Column::LastName if !v.is_empty() => last = Some(v.to_string()),
            Column::Status if !v.is_empty() => match ContactStatus::parse(v) {
                Some(s) => input.status = Some(s),
                None => problems.push(format!(
                    "unknown status {v:?} (expected subscribed, unsubscribed or bounced)"
                )),
            },
            Column::Timezone if !v.is_empty() => input.timezone = Some(v.to_string()),
            Column::Tags => input.tags.extend(
                v.split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
            ),
            Column::Field(f) if !v.is_empty() => {
                input.fields.insert(f.name.clone(), cell.clone());
            }
            _ => {}
        }
    }
    if input.name.is_none() && (first.is_some() || last.is_some()) {
        input.name = Some(
            [first, last]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    match check_input(&input, &header.fields) {
        Ok(c) if problems.is_empty() => Ok(c),
        Ok(_) => Err((email, problems.join("; "))),
        Err(found) => {
            problems.extend(found.iter().map(ToString::to_string));
            Err((email, problems.join("; ")))
        }
    }
}

/// Turns byte offsets into line numbers. The `csv` crate's own line count
/// skips newlines inside quoted cells (it counts only outside its fast
/// in-field scan), so a row after a multi-line address would be reported on
/// the wrong line; counting the newlines before the row's byte offset is exact.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line a record reported at byte `offset` starts on. Offsets must
    /// not go backwards. After a CRLF, `csv` reports the record as starting
    /// at the `\n`, so line breaks at the offset are stepped over first.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut to = (offset as usize).min(self.bytes.len()).max(self.offset);
        while to < self.bytes.len() && matches!(self.bytes[to], b'\r' | b'\n') {
            to += 1;
        }
        self.line += self.bytes[self.offset..to]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = to;
        self.line
    }
}

/// What a CSV file's columns are, before importing it: the app's mapping
/// step shows this with the first rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CsvPreview {
    pub columns: Vec<ColumnPreview>,
    /// The first data rows, as read (at most the number asked for).
    pub rows: Vec<Vec<String>>,
}

/// One column of a [`CsvPreview`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ColumnPreview {
    /// The header cell, as written.
    pub header: String,
    /// What Cairn reads it as without a mapping: `builtin`, `field`
    /// (a declared field, or `NAME:TYPE`), or `unknown` (the import needs a
    /// mapping for it).
    pub known: String,
}

impl Store {
    /// The header and first `rows` rows of CSV text, and which columns need
    /// a mapping before [`Store::import_contacts_csv`] accepts the file.
    pub fn preview_contacts_csv(&self, bytes: &[u8], rows: usize) -> Result<CsvPreview> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let bad = |e: csv::Error| StoreError::Csv {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        };
        let fields = fields_by_key_using(self.conn())?;
        let columns = rdr
            .headers()
            .map_err(bad)?
            .iter()
            .map(|h| {
                let key = h.trim().trim_start_matches('\u{feff}').to_lowercase();
                let known = if [
                    "email",
                    "name",
                    "first_name",
                    "last_name",
                    "status",
                    "timezone",
                    "tags",
                ]
                .contains(&key.as_str())
                {
                    "builtin"
                } else if fields.contains_key(&key)
                    || key
                        .rsplit_once(':')
                        .is_some_and(|(_, t)| FieldType::parse(t).is_some())
                {
                    "field"
                } else {
                    "unknown"
                };
                ColumnPreview {
                    header: h.trim().trim_start_matches('\u{feff}').to_string(),
                    known: known.into(),
                }
            })
            .collect();
        let mut out = vec![];
        for rec in rdr.records().take(rows) {
            out.push(rec.map_err(bad)?.iter().map(str::to_string).collect());
        }
        Ok(CsvPreview { columns, rows: out })
    }

    /// Imports contacts from CSV text (see the module docs for the columns).
    ///
    /// A problem with the file as a whole (no header, an unknown column, not
    /// CSV) is an error. Problems with rows are listed in the report; when
    /// there are any and `skip_invalid` is off, nothing is written.
    pub fn import_contacts_csv<R: Read>(
        &mut self,
        mut input: R,
        opts: &CsvImportOptions,
        now: Timestamp,
    ) -> Result<CsvImportReport> {
        // Read it whole: line numbers are counted from byte offsets below,
        // and a contacts file of 100,000 rows is only a few megabytes.
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| StoreError::Csv {
            line: 0,
            message: format!("cannot read the file: {e}"),
        })?;
        let mut lines = LineCounter::new(&bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let csv_err = |e: csv::Error| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            StoreError::Csv {
                line,
                message: match e.kind() {
                    csv::ErrorKind::Io(io) => format!("cannot read the file: {io}"),
                    _ => e.to_string(),
                },
            }
        };
        let header_cells: Vec<String> = {
            let h = rdr.byte_headers().map_err(csv_err)?;
            if h.is_empty() || (h.len() == 1 && h[0].is_empty()) {
                return Err(StoreError::Csv {
                    line: 1,
                    message:
                        "the file is empty; its first line must name the columns, one of them email"
                            .into(),
                });
            }
            h.iter()
                .map(|c| {
                    std::str::from_utf8(c)
                        .map(str::to_string)
                        .map_err(|_| StoreError::Csv {
                            line: 1,
                            message: "the header row is not valid UTF-8 (save the file as UTF-8)"
                                .into(),
                        })
                })
                .collect::<Result<_>>()?
        };
        let header = parse_header(&header_cells, fields_by_key_using(self.conn())?, opts)?;

        let mut report = CsvImportReport::default();
        let mut valid: Vec<CheckedContact> = vec![];
        let mut first_line_of: HashMap<String, u64> = HashMap::new();
        let mut record = csv::ByteRecord::new();
        let width = header.columns.len();
        while rdr.read_byte_record(&mut record).map_err(csv_err)? {
            let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
            if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            report.rows += 1;
            let mut invalid = |email: Option<String>, reason: String| {
                report.invalid.push(InvalidRow {
                    line,
                    email,
                    reason,
                });
            };
            let cells: Vec<String> = match record
                .iter()
                .map(|c| std::str::from_utf8(c).map(str::to_string))
                .collect()
            {
                Ok(c) => c,
                Err(_) => {
                    invalid(
                        None,
                        "the row is not valid UTF-8 (save the file as UTF-8)".into(),
                    );
                    continue;
                }
            };
            if cells.len() != width {
                let email = header
                    .columns
                    .iter()
                    .position(|c| matches!(c, Column::Email))
                    .and_then(|i| cells.get(i))
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty());
                invalid(
                    email,
                    format!(
                        "the row has {} cells but the header has {width}",
                        cells.len()
                    ),
                );
                continue;
            }
            match check_row(&header, &cells) {
                Err((email, reason)) => invalid(email, reason),
                Ok(c) => match first_line_of.get(&c.key) {
                    Some(first) => invalid(
                        Some(c.email.clone()),
                        format!(
                            "the email {} is already on line {first} of this file",
                            c.email
                        ),
                    ),
                    None => {
                        first_line_of.insert(c.key.clone(), line);
                        valid.push(c);
                    }
                },
            }
        }
        drop(first_line_of);

        if !report.invalid.is_empty() && !opts.skip_invalid {
            return Ok(report);
        }
        report.skipped = report.invalid.len() as u64;
        let (created, updated, unchanged, fields_created, returned_erased) = self.write(|tx| {
            let mut fields_created = vec![];
            for def in &header.new_fields {
                if define_field_using(tx, def, now)? {
                    fields_created.push(def.clone());
                }
            }
            // Give the new fields their real ids.
            let ids = fields_by_key_using(tx)?;
            let (mut created, mut updated, mut unchanged) = (0u64, 0u64, 0u64);
            let mut tag_ids = TagIds::default();
            let how = Consent {
                via: ConsentVia::Import,
                detail: opts.file_name.clone(),
                resubscribe_erased: opts.resubscribe_erased,
            };
            let mut returned_erased = 0u64;
            for mut c in valid {
                for (f, _) in c.fields.iter_mut() {
                    if f.id < 0 {
                        f.id = ids[&f.name.to_lowercase()].id;
                    }
                }
                if id_by_email_using(tx, &c.key)?.is_none()
                    && crate::privacy::erased_at_using(tx, &c.key)?.is_some()
                {
                    returned_erased += 1;
                }
                let w = write_checked_as_using(tx, &c, CSV_SOURCE, &how, now, &mut tag_ids)?;
                match (w.created, w.changed) {
                    (true, _) => created += 1,
                    (false, true) => updated += 1,
                    (false, false) => unchanged += 1,
                }
            }
            Ok::<_, StoreError>((created, updated, unchanged, fields_created, returned_erased))
        })?;
        report.imported = true;
        report.created = created;
        report.updated = updated;
        report.unchanged = unchanged;
        report.fields_created = fields_created;
        report.returned_erased = returned_erased;
        tracing::info!(
            rows = report.rows,
            created,
            updated,
            unchanged,
            skipped = report.skipped,
            "imported contacts from CSV"
        );
        Ok(report)
    }
}
