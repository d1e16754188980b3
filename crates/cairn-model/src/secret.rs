//! Secrets as a type.
//!
//! A [`Sensitive`] value prints as `<redacted>` in `Debug` and `Display` and
//! refuses to serialize, so a secret cannot slip into a log line, an error
//! message, a database row or a workflow file by accident. Reading it takes
//! an explicit `expose()`.

use std::fmt;

/// A value that must never be shown or stored outside the OS keyring.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }
    /// The secret itself. Call only where it leaves for its destination
    /// (an SMTP login, an HTTP header, the keyring).
    pub fn expose(&self) -> &T {
        &self.0
    }
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> serde::Serialize for Sensitive<T> {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "a secret cannot be serialized; it lives only in the OS keyring",
        ))
    }
}

impl From<String> for Sensitive<String> {
    fn from(s: String) -> Self {
        Sensitive(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_itself() {
        let s = Sensitive::new("hunter2".to_string());
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert!(serde_json::to_string(&s).is_err());
        assert_eq!(s.expose(), "hunter2");
    }
}
