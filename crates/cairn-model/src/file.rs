//! The workflow file: reading with precise errors, writing canonically.
//!
//! Reading never half-succeeds: a file either parses completely into a
//! [`WorkflowDef`] or yields one [`FileError`] naming the JSON path and the
//! reason (`nodes[3].config.duration: expected a duration such as "2d"`).
//! Writing is canonical (fixed key order, two-space indent, trailing newline),
//! so export → import → export gives the same bytes.

use serde_json::{Map, Value};

use crate::error::ErrorCode;
use crate::workflow::{FORMAT_NAME, FORMAT_VERSION, WorkflowDef};

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Workflows with more nodes than this are refused.
pub const MAX_NODES: usize = 5_000;

/// Why a workflow file was refused. `path` is a JSON path such as
/// `nodes[3].config`; empty for the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct FileError {
    pub code: ErrorCode,
    pub path: String,
    pub message: String,
}

impl FileError {
    /// The stable code the UI and scripts match on (`invalid_json`,
    /// `not_a_workflow`, `newer_format`, `invalid_version`, `file_too_large`,
    /// `too_many_nodes`, `duplicate_node_id`, `invalid_field`).
    pub fn error_code(&self) -> ErrorCode {
        self.code
    }

    /// [`Self::error_code`] as a string.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    fn new(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        FileError {
            code,
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Parses a workflow file.
pub fn parse(text: &str) -> Result<WorkflowDef, FileError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(FileError::new(
            ErrorCode::FileTooLarge,
            "",
            format!(
                "the file is {} bytes; workflow files may be at most {} bytes",
                text.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let mut value: Value = serde_json::from_str(text).map_err(|e| {
        FileError::new(
            ErrorCode::InvalidJson,
            "",
            format!(
                "not valid JSON at line {} column {}: {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            ),
        )
    })?;
    parse_value_in_place(&mut value)?;
    from_checked_value(value)
}

/// Parses an already-decoded JSON value (the app sends workflows this way).
pub fn parse_value(mut value: Value) -> Result<WorkflowDef, FileError> {
    parse_value_in_place(&mut value)?;
    from_checked_value(value)
}

fn parse_value_in_place(value: &mut Value) -> Result<(), FileError> {
    let obj = value.as_object_mut().ok_or_else(|| {
        FileError::new(
            ErrorCode::NotAWorkflow,
            "",
            "expected a JSON object with \"format\": \"cairn.workflow\"",
        )
    })?;
    match obj.get("format") {
        Some(Value::String(f)) if f == FORMAT_NAME => {}
        Some(other) => {
            return Err(FileError::new(
                ErrorCode::NotAWorkflow,
                "format",
                format!(
                    "expected \"{FORMAT_NAME}\", found {other}; this is not a Cairn workflow file"
                ),
            ));
        }
        None => {
            return Err(FileError::new(
                ErrorCode::NotAWorkflow,
                "format",
                format!("missing; a Cairn workflow file starts with \"format\": \"{FORMAT_NAME}\""),
            ));
        }
    }
    match obj.get("version") {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                return Err(FileError::new(
                    ErrorCode::NewerFormat,
                    "version",
                    format!(
                        "this file uses workflow format version {v}, written by a newer Cairn; this Cairn reads versions up to {FORMAT_VERSION}. Update Cairn to import it."
                    ),
                ));
            }
            Some(v) if v >= 1 => {}
            _ => {
                return Err(FileError::new(
                    ErrorCode::InvalidVersion,
                    "version",
                    format!("expected a format version number such as {FORMAT_VERSION}, found {n}"),
                ));
            }
        },
        Some(other) => {
            return Err(FileError::new(
                ErrorCode::InvalidVersion,
                "version",
                format!("expected a format version number such as {FORMAT_VERSION}, found {other}"),
            ));
        }
        None => {
            return Err(FileError::new(
                ErrorCode::InvalidVersion,
                "version",
                format!("missing; expected \"version\": {FORMAT_VERSION}"),
            ));
        }
    }
    check_control_chars(value, &mut String::new(), false)?;
    let obj = value.as_object_mut().expect("checked above");
    if let Some(Value::Array(nodes)) = obj.get_mut("nodes") {
        if nodes.len() > MAX_NODES {
            return Err(FileError::new(
                ErrorCode::TooManyNodes,
                "nodes",
                format!(
                    "the workflow has {} nodes; at most {MAX_NODES} are allowed",
                    nodes.len()
                ),
            ));
        }
        // Put "kind" before "config" so the config deserializes straight into
        // its type and errors keep their path.
        for node in nodes.iter_mut() {
            if let Value::Object(m) = node
                && let Some(kind) = m.get("kind").cloned()
            {
                let mut ordered = Map::new();
                ordered.insert("kind".into(), kind);
                for (k, v) in std::mem::take(m) {
                    if k != "kind" {
                        ordered.insert(k, v);
                    }
                }
                *m = ordered;
            }
        }
    }
    Ok(())
}

/// Keys whose text is prose (Markdown bodies, notification messages,
/// descriptions, values written into fields): line breaks and tabs belong
/// there. Every other text in a workflow file is a name, an id, a type, a
/// subject, a URL or a header, which ends up in a header, a log line or a
/// single-line label: no control character at all.
const PROSE_KEYS: [&str; 4] = ["description", "body", "message", "value"];

/// Refuses control characters (NUL, CR, LF, tab, ESC, DEL, C1…) in names
/// and other one-line text, and all but CR, LF and tab in prose, naming the
/// JSON path (`nodes[2].label`). Object keys (header names) are one-line
/// text too.
fn check_control_chars(v: &Value, path: &mut String, prose: bool) -> Result<(), FileError> {
    let refused = |c: char| c.is_control() && !(prose && matches!(c, '\n' | '\r' | '\t'));
    match v {
        Value::String(s) => {
            if let Some(c) = s.chars().find(|c| refused(*c)) {
                return Err(FileError::new(
                    ErrorCode::InvalidField,
                    path.clone(),
                    format!(
                        "contains the control character {c:?}; {}",
                        if prose {
                            "only line breaks and tabs are allowed in this text"
                        } else {
                            "names and one-line text cannot hold control characters (line breaks, tabs, NUL…)"
                        }
                    ),
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_control_chars(item, path, prose)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if k.chars().any(char::is_control) {
                    return Err(FileError::new(
                        ErrorCode::InvalidField,
                        path.clone(),
                        "a key cannot hold control characters (line breaks, tabs, NUL…)",
                    ));
                }
                check_control_chars(item, path, prose || PROSE_KEYS.contains(&k.as_str()))?;
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

fn from_checked_value(value: Value) -> Result<WorkflowDef, FileError> {
    let def = serde_path_to_error::deserialize::<_, WorkflowDef>(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        FileError::new(
            ErrorCode::InvalidField,
            path,
            plain_words(&e.into_inner().to_string()),
        )
    })?;
    check_node_ids(&def)?;
    check_requires(&def)?;
    Ok(def)
}

/// What a file declares under `requires` is created on import; a name the
/// store would refuse is refused here, with its path, before anything is
/// written.
fn check_requires(def: &WorkflowDef) -> Result<(), FileError> {
    let mut seen = std::collections::HashMap::new();
    for (i, f) in def.requires.fields.iter().enumerate() {
        let path = format!("requires.fields[{i}].name");
        let name = crate::contact::check_field_name(&f.name)
            .map_err(|e| FileError::new(ErrorCode::InvalidField, &path, e.to_string()))?;
        if let Some(first) = seen.insert(name.to_lowercase(), i) {
            return Err(FileError::new(
                ErrorCode::InvalidField,
                path,
                format!("the field {name:?} is already declared by requires.fields[{first}]"),
            ));
        }
    }
    for (i, p) in def.requires.pipelines.iter().enumerate() {
        if p.name.trim().is_empty() {
            return Err(FileError::new(
                ErrorCode::InvalidField,
                format!("requires.pipelines[{i}].name"),
                "a pipeline needs a name",
            ));
        }
    }
    for (i, c) in def.requires.courses.iter().enumerate() {
        if c.trim().is_empty() {
            return Err(FileError::new(
                ErrorCode::InvalidField,
                format!("requires.courses[{i}]"),
                "a course needs a name",
            ));
        }
    }
    Ok(())
}

/// Edges, runs and steps find nodes by id: a file whose ids are empty or
/// repeated cannot be read unambiguously, so it is refused rather than
/// imported with a warning.
fn check_node_ids(def: &WorkflowDef) -> Result<(), FileError> {
    let mut seen = std::collections::HashMap::new();
    for (i, n) in def.nodes.iter().enumerate() {
        if n.id.trim().is_empty() {
            return Err(FileError::new(
                ErrorCode::InvalidField,
                format!("nodes[{i}].id"),
                "a node id must not be empty",
            ));
        }
        if let Some(first) = seen.insert(n.id.as_str(), i) {
            return Err(FileError::new(
                ErrorCode::DuplicateNodeId,
                format!("nodes[{i}].id"),
                format!("the id {:?} is already used by nodes[{first}]", n.id),
            ));
        }
    }
    Ok(())
}

/// serde names Rust types ("expected u8", "expected struct Position");
/// the person reading the error wrote JSON.
fn plain_words(msg: &str) -> String {
    const WORDS: [(&str, &str); 11] = [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a string", "expected text"),
        ("expected a boolean", "expected true or false"),
        ("expected a map", "expected an object"),
    ];
    let mut out = msg.to_string();
    for (rust, json) in WORDS {
        if let Some(i) = out.find(rust) {
            let end = i + rust.len();
            // Only whole words: "expected u8" but not "expected u80".
            if !out[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                out.replace_range(i..end, json);
            }
        }
    }
    if let Some(i) = out.find("expected struct ") {
        let rest = &out[i + "expected struct ".len()..];
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        out.replace_range(
            i..i + "expected struct ".len() + name_len,
            "expected an object",
        );
    }
    out
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The JSON Schema of workflow files, generated from the Rust types, as
/// committed in `assets/schema/workflow.v1.schema.json` (editors and other
/// tools validate files against it; Cairn itself reads with [`parse`]).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(WorkflowDef);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema is plain JSON");
    s.push('\n');
    s
}

/// The canonical text of a workflow file.
pub fn to_canonical_json(def: &WorkflowDef) -> String {
    let mut def = def.clone();
    def.format = FORMAT_NAME.into();
    def.version = FORMAT_VERSION;
    let mut s = serde_json::to_string_pretty(&def).expect("workflow serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> FileError {
        parse(text).unwrap_err()
    }

    #[test]
    fn names_the_path_of_a_bad_duration() {
        let text = r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"t","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}},
            {"id":"w","position":{"x":0,"y":0},"config":{"duration":"soon"},"kind":"wait.duration"}]}"#;
        let e = err(text);
        assert_eq!(e.path, "nodes[1].config.duration");
        assert!(
            e.message.contains("expected a duration such as \"2d\""),
            "{e}"
        );
    }

    #[test]
    fn refuses_newer_versions_and_strangers() {
        let e = err(r#"{"format":"cairn.workflow","version":2,"name":"W","nodes":[]}"#);
        assert_eq!(e.code, ErrorCode::NewerFormat);
        assert!(e.to_string().contains("newer Cairn"));
        let e = err(r#"{"name":"W"}"#);
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::NotAWorkflow, "format")
        );
        let e = err("{\"format\": ");
        assert_eq!(e.code, ErrorCode::InvalidJson);
        assert!(e.message.contains("line 1"));
    }

    /// Found by the store's round-trip property: a float read back one bit
    /// off changed the second export.
    #[test]
    fn floats_survive_a_round_trip_exactly() {
        let text = r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"t","position":{"x":-1.3840931628054517e-65,"y":2.2250738585072014e-308},"kind":"trigger.manual","config":{}}]}"#;
        let once = to_canonical_json(&parse(text).unwrap());
        assert!(once.contains("-1.3840931628054517e-65"), "{once}");
        assert_eq!(to_canonical_json(&parse(&once).unwrap()), once);
    }

    #[test]
    fn unknown_kind_is_named() {
        let e = err(
            r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[{"id":"a","kind":"action.teleport","config":{}}]}"#,
        );
        assert_eq!(e.path, "nodes[0].kind");
        assert!(e.message.contains("unknown node kind \"action.teleport\""));
    }
}
