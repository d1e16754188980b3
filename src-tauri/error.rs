//! The one error type that crosses into the UI.
//!
//! The UI receives `{code, message}`: `code` is an [`ErrorCode`], taken
//! from the core's error (`StoreError::error_code()` and friends), that the
//! UI may branch on (a TypeScript union, so its checks are type-checked);
//! `message` is English for a person and is never matched on.
//! Core errors never carry secrets (those stay in the keyring), so passing
//! their message through is safe.

use cairn_model::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

/// An error returned by a Tauri command, serialised as `{code, message}`
/// (generated for TypeScript into `ui/src/bindings/app/CommandError.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CommandError {
            code,
            message: message.into(),
        }
    }
}

impl From<cairn_store::StoreError> for CommandError {
    fn from(e: cairn_store::StoreError) -> Self {
        CommandError::new(e.error_code(), e.to_string())
    }
}

impl From<cairn_effects::EffectsError> for CommandError {
    fn from(e: cairn_effects::EffectsError) -> Self {
        CommandError::new(e.error_code(), e.to_string())
    }
}

impl From<cairn_connectors::ConnectorError> for CommandError {
    fn from(e: cairn_connectors::ConnectorError) -> Self {
        CommandError::new(e.error_code(), e.to_string())
    }
}

impl From<cairn_vault::VaultError> for CommandError {
    fn from(e: cairn_vault::VaultError) -> Self {
        CommandError::new(e.error_code(), e.to_string())
    }
}

impl From<cairn_model::template::TemplateError> for CommandError {
    fn from(e: cairn_model::template::TemplateError) -> Self {
        CommandError::new(ErrorCode::Template, e.to_string())
    }
}

impl From<cairn_model::file::FileError> for CommandError {
    fn from(e: cairn_model::file::FileError) -> Self {
        CommandError::new(e.error_code(), e.to_string())
    }
}

/// The engine's errors by their codes (until `EngineError` has an
/// `error_code()` of its own, this match is where its codes are typed).
impl From<cairn_engine::EngineError> for CommandError {
    fn from(e: cairn_engine::EngineError) -> Self {
        let code = match &e {
            cairn_engine::EngineError::Store(s) => s.error_code(),
            cairn_engine::EngineError::NotActive(_) => ErrorCode::NotActive,
            cairn_engine::EngineError::Invalid(_) => ErrorCode::Invalid,
        };
        CommandError::new(code, e.to_string())
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

    #[test]
    fn engine_errors_keep_their_codes() {
        for e in [
            cairn_engine::EngineError::NotActive("w".into()),
            cairn_engine::EngineError::Invalid("x".into()),
            cairn_engine::EngineError::Store(cairn_store::StoreError::Conflict("c".into())),
        ] {
            let code = e.code();
            assert_eq!(CommandError::from(e).code.as_str(), code);
        }
    }
}
