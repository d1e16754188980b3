//! Contacts: the people workflows run for.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ModelError;

/// Whether a contact may receive email.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema, TS,
)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatus {
    #[default]
    Subscribed,
    Unsubscribed,
    Bounced,
}

impl ContactStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Subscribed => "subscribed",
            ContactStatus::Unsubscribed => "unsubscribed",
            ContactStatus::Bounced => "bounced",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "subscribed" => Some(ContactStatus::Subscribed),
            "unsubscribed" => Some(ContactStatus::Unsubscribed),
            "bounced" => Some(ContactStatus::Bounced),
            _ => None,
        }
    }
    pub fn can_receive_email(self) -> bool {
        self == ContactStatus::Subscribed
    }
}

impl fmt::Display for ContactStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The declared type of a custom field. Values are checked against it on
/// every write, so a condition "amount > 100" compares numbers, not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Boolean,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Some(FieldType::Text),
            "number" => Some(FieldType::Number),
            "date" => Some(FieldType::Date),
            "boolean" | "bool" => Some(FieldType::Boolean),
            _ => None,
        }
    }

    /// Parses a value written as text (a CSV cell, a `--field K=V` argument)
    /// into the JSON value stored for this type. Dates are `YYYY-MM-DD`.
    pub fn parse_value(self, raw: &str) -> Result<serde_json::Value, String> {
        let t = raw.trim();
        match self {
            FieldType::Text => Ok(serde_json::Value::String(raw.to_string())),
            FieldType::Number => t
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(|n| {
                    // Keep integers integral so "3" round-trips as 3, not 3.0.
                    if let Ok(i) = t.parse::<i64>() {
                        serde_json::Value::from(i)
                    } else {
                        serde_json::Value::Number(n)
                    }
                })
                .ok_or_else(|| format!("{raw:?} is not a number")),
            FieldType::Date => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(|d| serde_json::Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| format!("{raw:?} is not a date (expected YYYY-MM-DD)")),
            FieldType::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "y" => Ok(serde_json::Value::Bool(true)),
                "false" | "no" | "0" | "n" => Ok(serde_json::Value::Bool(false)),
                _ => Err(format!("{raw:?} is not a boolean (expected true or false)")),
            },
        }
    }

    /// Checks a JSON value (from a workflow or the UI) against the type.
    pub fn check_json(self, v: &serde_json::Value) -> Result<serde_json::Value, String> {
        match (self, v) {
            (_, serde_json::Value::Null) => Ok(serde_json::Value::Null),
            (FieldType::Text, serde_json::Value::String(_)) => Ok(v.clone()),
            (FieldType::Number, serde_json::Value::Number(_)) => Ok(v.clone()),
            (FieldType::Boolean, serde_json::Value::Bool(_)) => Ok(v.clone()),
            (_, serde_json::Value::String(s)) => self.parse_value(s),
            (FieldType::Text, other) => Ok(serde_json::Value::String(other.to_string())),
            (t, other) => Err(format!("{other} is not a {}", t.as_str())),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declared custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
}

/// Fields every contact has; custom fields may not reuse these names.
pub const BUILTIN_FIELDS: [&str; 6] = ["email", "name", "first_name", "status", "timezone", "tags"];

/// Checks the name of a custom field and returns it trimmed: not empty, not
/// a built-in field, and free of the separators the CSV import and the CLI's
/// `--field K=V` use. The workflow reader applies it to `requires.fields`.
pub fn check_field_name(name: &str) -> Result<&str, ModelError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ModelError::Invalid("a field needs a name".into()));
    }
    if BUILTIN_FIELDS.contains(&name.to_lowercase().as_str()) {
        return Err(ModelError::Invalid(format!(
            "{name:?} is a built-in field; custom fields need another name"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, ':' | ';' | ',') || c.is_control())
    {
        return Err(ModelError::Invalid(format!(
            "a field name cannot contain {c:?} (in {name:?})"
        )));
    }
    Ok(name)
}

/// Checks and normalises an email address with a real RFC 5322 parser.
/// Returns `(as written but trimmed, lower-cased key for uniqueness)`.
pub fn normalize_email(raw: &str) -> Result<(String, String), ModelError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ModelError::InvalidEmail {
            email: raw.to_string(),
            reason: "it is empty".into(),
        });
    }
    let parsed = email_address::EmailAddress::parse_with_options(
        t,
        email_address::Options::default().without_display_text(),
    )
    .map_err(|e| ModelError::InvalidEmail {
        email: t.to_string(),
        reason: e.to_string(),
    })?;
    if !parsed.domain().contains('.') && parsed.domain() != "localhost" {
        return Err(ModelError::InvalidEmail {
            email: t.to_string(),
            reason: "the domain has no dot".into(),
        });
    }
    Ok((t.to_string(), t.to_lowercase()))
}

/// A contact as the UI and the CLI see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Contact {
    #[ts(type = "number")]
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub status: ContactStatus,
    pub timezone: Option<String>,
    /// Custom field values, keyed by field name.
    #[ts(type = "Record<string, unknown>")]
    pub fields: BTreeMap<String, serde_json::Value>,
    pub tags: Vec<String>,
    pub is_test: bool,
    pub created_at: crate::Timestamp,
    pub updated_at: crate::Timestamp,
}

impl Contact {
    /// The first word of the name, for "Hi {{ contact.first_name }}".
    pub fn first_name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// A field by name, built-in or custom, as JSON.
    pub fn field(&self, name: &str) -> Option<serde_json::Value> {
        match name {
            "email" => Some(self.email.clone().into()),
            "name" => self.name.clone().map(Into::into),
            "first_name" => self.first_name().map(Into::into),
            "status" => Some(self.status.as_str().into()),
            "timezone" => self.timezone.clone().map(Into::into),
            _ => self
                .fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_null()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            ("Ada@Example.COM".into(), "ada@example.com".into())
        );
        for bad in ["", "ada", "ada@", "@x.com", "a b@x.com", "ada@example"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_values() {
        assert_eq!(
            FieldType::Number.parse_value("3").unwrap(),
            serde_json::json!(3)
        );
        assert_eq!(
            FieldType::Number.parse_value("2.5").unwrap(),
            serde_json::json!(2.5)
        );
        assert!(FieldType::Number.parse_value("abc").is_err());
        assert_eq!(
            FieldType::Date.parse_value("2026-01-05").unwrap(),
            serde_json::json!("2026-01-05")
        );
        assert!(FieldType::Date.parse_value("05/01/2026").is_err());
        assert_eq!(
            FieldType::Boolean.parse_value("Yes").unwrap(),
            serde_json::json!(true)
        );
    }
}
