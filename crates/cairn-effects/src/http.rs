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
use cairn_http::{error_chain, retry_after};
use cairn_model::Timestamp;
use reqwest::StatusCode;
use reqwest::header::LOCATION;

/// How much of an error response body is kept.
pub const BODY_EXCERPT: usize = 500;

/// The client every HTTP effect uses ([`cairn_http::client`]: no
/// redirects, rustls with the platform's roots). The timeout is set per
/// request: a webhook names its own.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    cairn_http::client(None)
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
        format!("{what} could not be reached: {}", error_chain(&e))
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

fn status_text(s: StatusCode) -> String {
    match s.canonical_reason() {
        Some(r) => format!("{} {r}", s.as_u16()),
        None => s.as_u16().to_string(),
    }
}

/// The start of a body ([`cairn_http::excerpt`]): reads no more of it than
/// the excerpt needs.
async fn excerpt(mut resp: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() <= BODY_EXCERPT {
        match resp.chunk().await {
            Ok(Some(c)) => bytes.extend_from_slice(&c),
            _ => break,
        }
    }
    cairn_http::excerpt(&bytes, BODY_EXCERPT)
}
