//! Conditions and filters.
//!
//! A [`Filter`] tests one value in an event payload (the trigger's "product is
//! Program A"). A [`Condition`] is what `condition` and `branch` nodes test:
//! contact fields, tags, the trigger payload, engagement, event history, a
//! random split or the time of day, combined with `all` / `any` / `not`.
//!
//! Conditions are externally tagged (`{"has_tag": "vip"}`), which keeps files
//! readable and lets import errors name the exact JSON path.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::Duration;
use crate::time::{TimeOfDay, TimezoneRef, Weekday};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    StartsWith,
    Gt,
    Gte,
    Lt,
    Lte,
    IsSet,
    IsNotSet,
    /// The value is a date (or date-time) before the given one.
    Before,
    After,
}

impl Op {
    /// Whether the operator needs a value to compare with.
    pub fn needs_value(self) -> bool {
        !matches!(self, Op::IsSet | Op::IsNotSet)
    }

    /// Applies the operator. Text comparisons ignore case; numbers compare as
    /// numbers even when one side is written as text ("100" >= 99).
    pub fn apply(self, actual: Option<&Value>, expected: Option<&Value>) -> bool {
        let actual = actual.filter(|v| !v.is_null());
        // A `null` to compare with is no value: that is how it reads back
        // from a file (see `no_value`).
        let expected = expected.filter(|v| !v.is_null());
        match self {
            Op::IsSet => actual.is_some_and(|v| !matches!(v, Value::String(s) if s.is_empty())),
            Op::IsNotSet => !Op::IsSet.apply(actual, None),
            Op::Eq => match (actual, expected) {
                (Some(a), Some(e)) => loosely_equal(a, e),
                (None, None) => true,
                _ => false,
            },
            Op::Ne => !Op::Eq.apply(actual, expected),
            Op::Contains => match (actual, expected) {
                (Some(Value::Array(items)), Some(e)) => items.iter().any(|i| loosely_equal(i, e)),
                (Some(a), Some(e)) => text(a).to_lowercase().contains(&text(e).to_lowercase()),
                _ => false,
            },
            Op::NotContains => !Op::Contains.apply(actual, expected),
            Op::StartsWith => match (actual, expected) {
                (Some(a), Some(e)) => text(a).to_lowercase().starts_with(&text(e).to_lowercase()),
                _ => false,
            },
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                match (actual.and_then(number), expected.and_then(number)) {
                    (Some(a), Some(e)) => match self {
                        Op::Gt => a > e,
                        Op::Gte => a >= e,
                        Op::Lt => a < e,
                        _ => a <= e,
                    },
                    _ => false,
                }
            }
            Op::Before | Op::After => match (actual.and_then(date), expected.and_then(date)) {
                (Some(a), Some(e)) => {
                    if self == Op::Before {
                        a < e
                    } else {
                        a > e
                    }
                }
                _ => false,
            },
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn date(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?;
    let head = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

fn loosely_equal(a: &Value, e: &Value) -> bool {
    match (a, e) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Bool(x), Value::String(y)) | (Value::String(y), Value::Bool(x)) => {
            y.eq_ignore_ascii_case(if *x { "true" } else { "false" })
        }
        _ => match (number(a), number(e)) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => a == e,
        },
    }
}

/// Looks up a dotted path (`"customer.email"`, `"items.0.sku"`) in a JSON value.
pub fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(root);
    }
    let mut cur = root;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// One test on an event payload: `{"path": "product", "op": "eq", "value": "Program A"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// A dotted path into the payload, such as `"product"` or `"customer.country"`.
    pub path: String,
    pub op: Op,
    #[serde(default, skip_serializing_if = "no_value")]
    #[ts(optional)]
    #[ts(type = "unknown")]
    pub value: Option<Value>,
}

impl Filter {
    pub fn matches(&self, payload: &Value) -> bool {
        self.op
            .apply(lookup(payload, &self.path), self.value.as_ref())
    }
}

/// True when every filter matches (an empty list matches everything).
pub fn all_match(filters: &[Filter], payload: &Value) -> bool {
    filters.iter().all(|f| f.matches(payload))
}

/// Which kind of engagement an engagement condition looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum Engagement {
    Opened,
    Clicked,
}

/// What a `condition` or `branch` node tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Every inner condition holds (AND). An empty list holds.
    All(Vec<Condition>),
    /// At least one inner condition holds (OR). An empty list does not hold.
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// A contact field, built-in (`email`, `name`, `status`, `timezone`) or custom.
    Field {
        field: String,
        op: Op,
        #[serde(default, skip_serializing_if = "no_value")]
        #[ts(optional)]
        #[ts(type = "unknown")]
        value: Option<Value>,
    },
    HasTag(String),
    LacksTag(String),
    /// A value in the payload of the event that started the run.
    Payload {
        path: String,
        op: Op,
        #[serde(default, skip_serializing_if = "no_value")]
        #[ts(optional)]
        #[ts(type = "unknown")]
        value: Option<Value>,
    },
    /// The contact opened / clicked an email (optionally a given template)
    /// within the last `within`.
    Engagement {
        action: Engagement,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        email: Option<String>,
        within: Duration,
    },
    /// The contact has had an event of this type (within a window, if given).
    HadEvent {
        event_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        within: Option<Duration>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[ts(as = "Option<_>", optional)]
        filters: Vec<Filter>,
    },
    /// True for `percent` % of runs, decided by a seeded hash of the run and
    /// node, so a replay decides the same way.
    RandomSplit {
        percent: u8,
    },
    /// The current local time is within `[from, to)` on one of `weekdays`
    /// (any day when empty). `from > to` spans midnight.
    TimeWindow {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[ts(as = "Option<_>", optional)]
        weekdays: Vec<Weekday>,
        from: TimeOfDay,
        to: TimeOfDay,
        #[serde(default, skip_serializing_if = "is_default_tz")]
        #[ts(as = "Option<_>", optional)]
        timezone: TimezoneRef,
    },
}

/// `"value": null` reads back as no value (serde reads `null` into `None`),
/// and the two compare alike, so neither is written: the text stays
/// canonical.
fn no_value(v: &Option<Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

pub(crate) fn is_default_tz(t: &TimezoneRef) -> bool {
    *t == TimezoneRef::default()
}

impl Condition {
    /// Visits this condition and every nested one.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Condition)) {
        f(self);
        match self {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.walk(f)),
            Condition::Not(c) => c.walk(f),
            _ => {}
        }
    }

    /// A tag every contact for whom this condition holds must have, if the
    /// condition names one that way: `has_tag` itself, or inside an `all`
    /// (at any depth of `all`s). Lets a caller read only that tag's contacts
    /// before evaluating the whole condition on each; `any` and `not` name
    /// none (a contact without the tag may still pass them).
    pub fn required_tag(&self) -> Option<&str> {
        match self {
            Condition::HasTag(t) => Some(t),
            Condition::All(cs) => cs.iter().find_map(Condition::required_tag),
            _ => None,
        }
    }
}

/// Decides a random split: a stable hash of `(seed, key)` mapped to 0..100.
/// FNV-1a is enough: we need spread and reproducibility, not secrecy.
pub fn split_bucket(seed: &str, key: &str) -> u8 {
    (split_hash(seed, key) % 100) as u8
}

/// The stable hash behind [`split_bucket`] and the `split` node's choice
/// (FNV-1a over `seed`, a NUL, `key`): the same on every machine and in
/// every release, so a run re-evaluated after a restart lands the same way.
pub fn split_hash(seed: &str, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain([0u8]).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_required_tag_is_one_no_passing_contact_can_lack() {
        let c = |v: Value| serde_json::from_value::<Condition>(v).unwrap();
        assert_eq!(c(json!({"has_tag": "vip"})).required_tag(), Some("vip"));
        assert_eq!(
            c(json!({"all": [{"lacks_tag": "x"}, {"all": [{"has_tag": "VIP"}]}]})).required_tag(),
            Some("VIP")
        );
        // Either branch may pass without the tag, or its absence passes.
        assert_eq!(
            c(json!({"any": [{"has_tag": "vip"}, {"lacks_tag": "x"}]})).required_tag(),
            None
        );
        assert_eq!(c(json!({"not": {"has_tag": "vip"}})).required_tag(), None);
        assert_eq!(c(json!({"lacks_tag": "vip"})).required_tag(), None);
        assert_eq!(c(json!({"all": []})).required_tag(), None);
    }

    #[test]
    fn operators() {
        let p = json!({"product": "Program A", "amount": 497, "tags": ["a", "b"], "paid": "2026-01-05"});
        let f = |path: &str, op, v: Value| {
            Filter {
                path: path.into(),
                op,
                value: Some(v),
            }
            .matches(&p)
        };
        assert!(f("product", Op::Eq, json!("program a")));
        assert!(f("amount", Op::Gte, json!(100)));
        assert!(f("amount", Op::Gt, json!("496.5")));
        assert!(!f("amount", Op::Lt, json!(100)));
        assert!(f("tags", Op::Contains, json!("b")));
        assert!(f("paid", Op::Before, json!("2026-02-01")));
        assert!(!f("missing", Op::Eq, json!("x")));
        assert!(
            Filter {
                path: "missing".into(),
                op: Op::IsNotSet,
                value: None
            }
            .matches(&p)
        );
    }

    /// Found by the round-trip property: `"value": null` read back as no
    /// value, so a second export differed from the first.
    #[test]
    fn a_null_value_is_no_value() {
        let with_null = Filter {
            path: "tags".into(),
            op: Op::Contains,
            value: Some(Value::Null),
        };
        let without = Filter {
            value: None,
            ..with_null.clone()
        };
        assert_eq!(
            serde_json::to_string(&with_null).unwrap(),
            serde_json::to_string(&without).unwrap()
        );
        for payload in [
            json!({"tags": [null]}),
            json!({"tags": "nullable"}),
            json!({}),
        ] {
            assert_eq!(
                with_null.matches(&payload),
                without.matches(&payload),
                "{payload}"
            );
        }
    }

    #[test]
    fn split_is_stable_and_spread() {
        assert_eq!(split_bucket("run-1", "n1"), split_bucket("run-1", "n1"));
        let under: usize = (0..10_000)
            .filter(|i| split_bucket(&format!("run-{i}"), "n1") < 30)
            .count();
        assert!((2_700..3_300).contains(&under), "{under}");
    }

    #[test]
    fn externally_tagged_json() {
        let c: Condition = serde_json::from_value(json!({"all": [{"has_tag": "vip"}, {"field": {"field": "country", "op": "eq", "value": "FR"}}]})).unwrap();
        assert!(matches!(c, Condition::All(ref v) if v.len() == 2));
    }
}
