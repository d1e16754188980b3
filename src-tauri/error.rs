//! The one error type that crosses into the UI.
//!
//! The UI receives `{code, message}`: `code` is a stable identifier taken
//! from the core's error (`StoreError::code()` and friends) that the UI may
//! branch on; `message` is English for a person and is never matched on.
//! Core errors never carry secrets (those stay in the keyring), so passing
//! their message through is safe.

use serde::Serialize;

/// An error returned by a Tauri command, serialised as `{code, message}`
/// (declared for TypeScript in `ui/src/api/types.ts`; keep the two alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<cairn_store::StoreError> for CommandError {
    fn from(e: cairn_store::StoreError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<cairn_effects::EffectsError> for CommandError {
    fn from(e: cairn_effects::EffectsError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<cairn_connectors::ConnectorError> for CommandError {
    fn from(e: cairn_connectors::ConnectorError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<cairn_vault::VaultError> for CommandError {
    fn from(e: cairn_vault::VaultError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<cairn_model::template::TemplateError> for CommandError {
    fn from(e: cairn_model::template::TemplateError) -> Self {
        CommandError::new("template", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let e = CommandError::from(cairn_store::StoreError::not_found("workflow", "Welcome"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "not_found", "message": "no workflow named \"Welcome\""})
        );
    }
}
