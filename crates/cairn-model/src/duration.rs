//! Durations as people write them: `"90s"`, `"15m"`, `"2h"`, `"3d"`, `"1w"`,
//! or a sum such as `"1d12h"`.
//!
//! A workflow file stores the canonical spelling (largest units first), so
//! export → import → export gives the same bytes.
//!
//! A duration is at most [`Duration::MAX`] (100 years): longer text is
//! refused when read (`"99999999999d"` is an error, not an overflow), and
//! the constructors clamp, so adding any `Duration` to an instant Cairn
//! handles stays far inside chrono's range. What a workflow may wait is
//! bounded tighter by validation (`validate::MAX_SPAN`, 10 years).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of time with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    secs: i64,
}

const UNITS: [(char, i64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationParseError {
    #[error(
        "expected a duration such as \"2d\", \"3h\" or \"1d12h\" (units w, d, h, m, s), found {found:?}"
    )]
    Malformed { found: String },
    #[error("expected a duration of at most 36600d (100 years), found {found:?}")]
    TooLong { found: String },
}

impl Duration {
    pub const ZERO: Duration = Duration { secs: 0 };
    /// The longest duration: 100 years of 366 days.
    pub const MAX: Duration = Duration {
        secs: 36_600 * 86_400,
    };

    /// Clamped to `0..=MAX`.
    pub fn from_secs(secs: i64) -> Self {
        Duration {
            secs: secs.clamp(0, Self::MAX.secs),
        }
    }
    pub fn from_mins(m: i64) -> Self {
        Self::from_secs(m.saturating_mul(60))
    }
    pub fn from_hours(h: i64) -> Self {
        Self::from_secs(h.saturating_mul(3600))
    }
    pub fn from_days(d: i64) -> Self {
        Self::from_secs(d.saturating_mul(86_400))
    }
    pub fn secs(self) -> i64 {
        self.secs
    }
    pub fn is_zero(self) -> bool {
        self.secs == 0
    }
    pub fn to_chrono(self) -> chrono::Duration {
        chrono::Duration::seconds(self.secs)
    }

    pub fn parse(text: &str) -> Result<Self, DurationParseError> {
        let err = || DurationParseError::Malformed {
            found: text.to_string(),
        };
        let too_long = || DurationParseError::TooLong {
            found: text.to_string(),
        };
        let t = text.trim();
        if t.is_empty() {
            return Err(err());
        }
        if t == "0" {
            return Ok(Duration::ZERO);
        }
        let mut total: i64 = 0;
        let mut digits = String::new();
        let mut saw_unit = false;
        for c in t.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if c.is_whitespace() {
                continue;
            } else {
                let unit = UNITS
                    .iter()
                    .find(|(u, _)| *u == c.to_ascii_lowercase())
                    .ok_or_else(err)?;
                if digits.is_empty() {
                    return Err(err());
                }
                // Digits beyond i64 are too long, not malformed.
                let n: i64 = digits.parse().map_err(|_| too_long())?;
                total = n
                    .checked_mul(unit.1)
                    .and_then(|v| total.checked_add(v))
                    .filter(|t| *t <= Self::MAX.secs)
                    .ok_or_else(too_long)?;
                digits.clear();
                saw_unit = true;
            }
        }
        if !digits.is_empty() || !saw_unit {
            return Err(err());
        }
        Ok(Duration { secs: total })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secs == 0 {
            return f.write_str("0s");
        }
        // Canonical text counts days, not weeks: "60d" reads better than
        // "8w4d" (weeks are still accepted on input).
        let mut rest = self.secs;
        for (u, n) in UNITS.into_iter().skip(1) {
            if rest >= n {
                write!(f, "{}{}", rest / n, u)?;
                rest %= n;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Duration {
    type Err = DurationParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"2d\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V).map_err(|e: D::Error| {
            let m = e.to_string();
            if m.starts_with("expected a duration") {
                // Ours (malformed or too long), already in plain words.
                e
            } else {
                serde::de::Error::custom("expected a duration such as \"2d\"")
            }
        })
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^\\s*(0|([0-9]+\\s*[wdhmsWDHMS]\\s*)+)$",
            "description": "A duration such as \"2d\", \"3h\", \"15m\" or \"1d12h\".",
            "examples": ["2d", "3h", "1d12h"]
        })
    }
}

impl ts_rs::TS for Duration {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".into()
    }
    fn inline(_: &ts_rs::Config) -> String {
        "string".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        for (text, secs, canon) in [
            ("2d", 172_800, "2d"),
            ("1d12h", 129_600, "1d12h"),
            ("36h", 129_600, "1d12h"),
            ("90s", 90, "1m30s"),
            ("1w", 604_800, "7d"),
            ("8w4d", 5_184_000, "60d"),
            ("0", 0, "0s"),
            (" 3 h ", 10_800, "3h"),
        ] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.secs(), secs, "{text}");
            assert_eq!(d.to_string(), canon);
            assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn refuses_what_no_one_can_wait_without_overflowing() {
        for huge in [
            "99999999999d",
            "99999999999999999999999s",
            "36601d",
            "36600d1s",
            "5300w",
        ] {
            let e = Duration::parse(huge).unwrap_err();
            assert!(
                matches!(e, DurationParseError::TooLong { .. }),
                "{huge}: {e}"
            );
            assert!(e.to_string().contains("at most 36600d (100 years)"), "{e}");
        }
        assert_eq!(Duration::parse("36600d").unwrap(), Duration::MAX);
        // The constructors clamp instead of overflowing.
        assert_eq!(Duration::from_days(i64::MAX), Duration::MAX);
        assert_eq!(Duration::from_mins(i64::MIN), Duration::ZERO);
        let far = chrono::DateTime::<chrono::Utc>::MAX_UTC - chrono::Duration::days(365 * 1000);
        let _ = far + Duration::MAX.to_chrono();
    }

    #[test]
    fn refuses_garbage() {
        for bad in ["", "d", "2", "2x", "-1d", "1.5h", "h2"] {
            let e = Duration::parse(bad).unwrap_err();
            assert!(e.to_string().contains("expected a duration such as \"2d\""));
        }
    }
}
