//! The HTTP edge: what the senders (`cairn-effects`: webhooks, Slack) and
//! the connectors (`cairn-connectors`: polling providers) share when they
//! talk HTTP.
//!
//! - [`client`]: the one way a `reqwest::Client` is built. Redirects are
//!   never followed: a sender's POST that silently became a GET elsewhere
//!   would lose its body, and a connector's request carries a secret that a
//!   custom auth header would take to another host.
//! - [`retry_after`]: a `Retry-After` header as a wait, through the one
//!   parser ([`cairn_engine::sender::retry_after`]: seconds, fractional
//!   seconds, or an HTTP date, capped at 7 days).
//! - [`excerpt`]: the start of an answer's body, on one line, for messages.
//! - [`error_chain`]: an error with its causes, for messages.
//!
//! What an answer *means* stays with each caller: a send ends in a
//! `SendOutcome`, a poll in a `ConnectorError`.
//!
//! This is a crate of its own because neither of the crates both callers
//! share (`cairn-model`, `cairn-store`, `cairn-engine`, `cairn-vault`)
//! speaks HTTP, and none of them should pull in reqwest.

use cairn_model::Timestamp;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The `User-Agent` of every request Cairn sends.
pub const USER_AGENT: &str = concat!("Cairn/", env!("CARGO_PKG_VERSION"));

/// The client every HTTP sender and connector uses: no redirects, Cairn's
/// user agent, rustls with the platform's roots, and `timeout` for a whole
/// request when given.
pub fn client(timeout: Option<std::time::Duration>) -> Result<reqwest::Client, reqwest::Error> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT);
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    b.build()
}

/// `Retry-After` as a duration from `now`, or `None` when the header is
/// absent or not understood.
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<chrono::Duration> {
    cairn_engine::sender::retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?, now)
}

/// The start of a body (at most `max` bytes, cut on a character boundary
/// and marked `…` when cut), with its white space folded onto one line.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let cut = body.len() > max;
    let mut text = String::from_utf8_lossy(&body[..body.len().min(max)]).into_owned();
    // A multi-byte character cut in half decodes as U+FFFD at the end.
    if cut {
        while text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push('…');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error with its causes ("error sending request: connection refused"),
/// each cause once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_in_seconds_fractions_or_a_date() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::seconds(30)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::seconds(120)));
        // Shopify sends "2.0".
        h.insert(RETRY_AFTER, HeaderValue::from_static("2.0"));
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::seconds(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("2.5"));
        assert_eq!(
            retry_after(&h, now),
            Some(chrono::Duration::milliseconds(2500))
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Mon, 02 Mar 2026 09:05:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::minutes(5)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Mon, 02 Mar 2026 08:00:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::zero()));
        h.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("10000000000000"));
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::days(7)));
    }

    #[test]
    fn an_excerpt_is_cut_on_a_character_and_on_one_line() {
        assert_eq!(excerpt(b"bad\n  request\t!", 100), "bad request !");
        assert_eq!(excerpt(b"abcdef", 6), "abcdef");
        assert_eq!(excerpt(b"abcdefg", 6), "abcdef…");
        // "é" is two bytes; cutting after its first leaves no half character.
        assert_eq!(excerpt("abcdé".as_bytes(), 5), "abcd…");
    }

    #[test]
    fn an_error_chain_names_each_cause_once() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "error sending request: refused",
            Some(Box::new(E(
                "refused",
                Some(Box::new(E("os error 111", None))),
            ))),
        );
        assert_eq!(
            error_chain(&e),
            "error sending request: refused: os error 111"
        );
    }
}
