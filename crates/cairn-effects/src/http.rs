//! What an HTTP answer means for a send, shared by webhooks and Slack.
//!
//! - 2xx: sent.
//! - 408, 425, 429 and 5xx: temporary; `Retry-After` (seconds or an HTTP
//!   date) becomes the instant before which no retry is made.
//! - 3xx: failed. Redirects are not followed: a POST that silently became a
//!   GET elsewhere would lose the body, so the user is told to fix the URL.
//! - other 4xx: failed, with the start of the response body (at most
//!   [`BODY_EXCERPT`] bytes), which is where APIs say what was wrong.
//! - no answer (connection refused, timeout, DNS): temporary.
//!
//! Error texts never contain the request URL: a Slack webhook URL is itself
//! the secret, so reqwest's errors are stripped of it.

use cairn_engine::SendOutcome;
use cairn_model::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};

/// How much of an error response body is kept.
pub const BODY_EXCERPT: usize = 500;

/// The client every HTTP effect uses: no redirects, rustls with the
/// platform's roots.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Cairn/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The outcome of a response. `what` names the peer in messages
/// ("the webhook", "Slack").
pub async fn outcome(what: &str, resp: reqwest::Response, now: Timestamp) -> SendOutcome {
    let status = resp.status();
    let headers = resp.headers().clone();
    if status.is_success() {
        return SendOutcome::Sent {
            detail: Some(format!("HTTP {}", status.as_u16())),
        };
    }
    let body = excerpt(resp).await;
    let error = format!(
        "{what} answered HTTP {}{}",
        status_text(status),
        if body.is_empty() {
            String::new()
        } else {
            format!(": {body}")
        }
    );
    if status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429) {
        return SendOutcome::Retry {
            error,
            retry_after: retry_after(&headers, now),
        };
    }
    if status.is_redirection() {
        let to = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| format!(" to {l}"))
            .unwrap_or_default();
        return SendOutcome::Failed {
            error: format!(
                "{what} answered HTTP {}: a redirect{to}; redirects are not followed, so update the URL",
                status_text(status)
            ),
        };
    }
    SendOutcome::Failed { error }
}

/// A request that got no answer.
pub fn transport_failure(what: &str, e: reqwest::Error) -> SendOutcome {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let error = if timeout {
        format!("{what} did not answer in time: {e}")
    } else {
        format!("{what} could not be reached: {}", chain(&e))
    };
    if e.is_builder() {
        SendOutcome::Failed { error }
    } else if e.is_connect() {
        // Nothing reached the peer (no network, DNS, refused): stay queued
        // without spending the action's attempts.
        SendOutcome::Unreachable { error }
    } else {
        // The request may have reached the peer (a timeout mid-response):
        // an attempt, retried with the same Idempotency-Key.
        SendOutcome::Retry {
            error,
            retry_after: None,
        }
    }
}

/// An error with its causes ("error sending request: connection refused").
fn chain(e: &dyn std::error::Error) -> String {
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

fn status_text(s: StatusCode) -> String {
    match s.canonical_reason() {
        Some(r) => format!("{} {r}", s.as_u16()),
        None => s.as_u16().to_string(),
    }
}

/// The start of a body, cut on a character boundary, on one line.
async fn excerpt(mut resp: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() <= BODY_EXCERPT {
        match resp.chunk().await {
            Ok(Some(c)) => bytes.extend_from_slice(&c),
            _ => break,
        }
    }
    let cut = bytes.len() > BODY_EXCERPT;
    bytes.truncate(BODY_EXCERPT);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    // A multi-byte character cut in half decodes as U+FFFD at the end.
    if cut {
        while text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push('…');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Retry-After` as a duration from `now`, through the one parser the
/// connectors use too ([`cairn_engine::sender::retry_after`]): seconds
/// (fractions allowed) or an HTTP date, capped at 7 days.
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<chrono::Duration> {
    cairn_engine::sender::retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::seconds(120)));
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
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("10000000000000"));
        assert_eq!(retry_after(&h, now), Some(chrono::Duration::days(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("2.5"));
        assert_eq!(
            retry_after(&h, now),
            Some(chrono::Duration::milliseconds(2500))
        );
    }
}
