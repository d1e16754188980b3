//! Errors of the model crate. Each has a stable `code` the UI can match on.

/// Something in the input does not fit the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("invalid email address {email:?}: {reason}")]
    InvalidEmail { email: String, reason: String },
    #[error("invalid value for field {field:?}: {reason}")]
    InvalidFieldValue { field: String, reason: String },
    #[error("unknown time zone {0:?} (expected an IANA name such as \"Europe/Berlin\")")]
    InvalidTimezone(String),
    #[error("{0}")]
    Invalid(String),
}

impl ModelError {
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::InvalidEmail { .. } => "invalid_email",
            ModelError::InvalidFieldValue { .. } => "invalid_field_value",
            ModelError::InvalidTimezone(_) => "invalid_timezone",
            ModelError::Invalid(_) => "invalid",
        }
    }
}
