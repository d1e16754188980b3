//! Small pieces every connector's mapping uses: an event for a contact,
//! money in major units, an email that may be missing or malformed.

use cairn_model::Timestamp;
use cairn_model::contact::normalize_email;
use cairn_model::event::NewEvent;
use serde_json::Value;

/// An event from `source` with the provider's id as its dedupe key.
pub fn event(
    event_type: &str,
    email: Option<String>,
    payload: Value,
    occurred_at: Timestamp,
    source: &str,
    external_id: String,
) -> NewEvent {
    NewEvent {
        event_type: event_type.to_string(),
        contact_email: email,
        payload,
        occurred_at,
        source: source.to_string(),
        external_id: Some(external_id),
    }
}

/// An RFC 3339 time a provider gave as a JSON string, if it is one.
pub fn time(v: Option<&Value>) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(v?.as_str()?.trim())
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The first of `candidates` that is a valid email address. A provider's
/// malformed address must not fail the whole poll's transaction, so it is
/// dropped here (the event is kept, about no contact) with a warning.
pub fn email<'a>(candidates: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let mut bad = None;
    for c in candidates.into_iter().flatten() {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        match normalize_email(c) {
            Ok((e, _)) => return Some(e),
            Err(e) => bad = Some(e),
        }
    }
    if let Some(e) = bad {
        tracing::warn!(error = %e, "a provider gave an invalid email address; the event is kept without a contact");
    }
    None
}

/// Currencies whose smallest unit is the unit itself (Stripe's list of
/// zero-decimal currencies, docs.stripe.com/currencies#zero-decimal).
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Currencies with three decimals (docs.stripe.com/currencies#three-decimal).
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// An amount in a currency's smallest unit, in major units: 4900 USD cents
/// is 49, 4900 JPY is 4900, 4900 KWD fils is 4.9.
pub fn major_units(minor: i64, currency: &str) -> f64 {
    let c = currency.to_ascii_uppercase();
    let divisor = if ZERO_DECIMAL.contains(&c.as_str()) {
        1.0
    } else if THREE_DECIMAL.contains(&c.as_str()) {
        1000.0
    } else {
        100.0
    };
    minor as f64 / divisor
}

/// A decimal string as providers send prices ("199.00"), as a number.
pub fn decimal(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_major_units() {
        assert_eq!(major_units(4900, "usd"), 49.0);
        assert_eq!(major_units(4900, "JPY"), 4900.0);
        assert_eq!(major_units(4900, "kwd"), 4.9);
        assert_eq!(decimal(" 199.00"), Some(199.0));
        assert_eq!(decimal("n/a"), None);
    }

    #[test]
    fn the_first_valid_email_wins() {
        assert_eq!(
            email([
                None,
                Some("  "),
                Some("not an email"),
                Some("Ada@Example.com")
            ]),
            Some("Ada@Example.com".into())
        );
        assert_eq!(email([Some("nope")]), None);
    }
}
