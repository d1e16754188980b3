//! Outgoing webhooks: the rendered request, an `Idempotency-Key`, and an
//! optional signature.
//!
//! Every request carries `Idempotency-Key: <the outbox entry's key>`, the
//! same on every retry and after a crash, so a receiver can drop repeats.
//!
//! With a webhook account, the body is signed the way Stripe signs its
//! webhooks, so receivers can reuse the usual verification code:
//!
//! ```text
//! X-Cairn-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//! ```
//!
//! The receiver recomputes the HMAC over the timestamp, a dot and the raw
//! body bytes with the shared secret, compares in constant time, and
//! rejects a `t` too far from its own clock (replays). A request without a
//! body signs the empty string. The secret comes from the vault.

use cairn_engine::SendOutcome;
use cairn_model::effect::WebhookRequest;
use cairn_model::workflow::HttpMethod;
use cairn_model::{Sensitive, Timestamp};
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use sha2::Sha256;

use crate::http;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Cairn-Signature";
/// The idempotency header.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The timeout when a request names none.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The longest a request may wait for its answer, whatever it names: a
/// hanging endpoint holds only its own lane, and not for long.
pub const MAX_TIMEOUT_SECS: u64 = 60;

/// The signature header's value for `body` at `now`.
pub fn signature(secret: &Sensitive<String>, now: Timestamp, body: &str) -> String {
    let t = now.timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn method(m: HttpMethod) -> reqwest::Method {
    match m {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    }
}

/// Sends one webhook request. `secret_headers` are the values of the
/// request's secret headers, read from the vault; an error about one never
/// quotes it.
pub async fn deliver(
    client: &reqwest::Client,
    req: &WebhookRequest,
    secret_headers: &[(String, Sensitive<String>)],
    idempotency_key: &str,
    secret: Option<&Sensitive<String>>,
    now: Timestamp,
) -> SendOutcome {
    let url = match reqwest::Url::parse(req.url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        Ok(u) => {
            return SendOutcome::Failed {
                error: format!(
                    "url: {:?} is not an http(s) URL (scheme {:?})",
                    req.url,
                    u.scheme()
                ),
            };
        }
        Err(e) => {
            return SendOutcome::Failed {
                error: format!("url: {:?} is not a URL: {e}", req.url),
            };
        }
    };
    let mut headers = reqwest::header::HeaderMap::new();
    for (k, v) in &req.headers {
        let name = match HeaderName::from_bytes(k.trim().as_bytes()) {
            Ok(n) => n,
            Err(_) => {
                return SendOutcome::Failed {
                    error: format!("headers: {k:?} is not a valid HTTP header name"),
                };
            }
        };
        let value = match HeaderValue::from_str(v) {
            Ok(v) => v,
            Err(_) => {
                return SendOutcome::Failed {
                    error: format!(
                        "headers.{k}: the value has characters HTTP headers cannot carry (a line break?)"
                    ),
                };
            }
        };
        headers.insert(name, value);
    }
    for (k, v) in secret_headers {
        let Ok(name) = HeaderName::from_bytes(k.trim().as_bytes()) else {
            return SendOutcome::Failed {
                error: format!("headers: {k:?} is not a valid HTTP header name"),
            };
        };
        let Ok(mut value) = HeaderValue::from_str(v.expose()) else {
            return SendOutcome::Failed {
                error: format!(
                    "headers.{k}: the stored secret has characters HTTP headers cannot carry (a line break?); store it again"
                ),
            };
        };
        // Kept out of HTTP/2 header compression tables and debug output.
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let body = req.body.clone().unwrap_or_default();
    if req.body.is_some() && !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    match HeaderValue::from_str(idempotency_key) {
        Ok(v) => {
            headers.insert(HeaderName::from_static("idempotency-key"), v);
        }
        Err(_) => {
            return SendOutcome::Failed {
                error: format!(
                    "the idempotency key {idempotency_key:?} cannot be an HTTP header value"
                ),
            };
        }
    }
    if let Some(secret) = secret {
        let sig = signature(secret, now, &body);
        headers.insert(
            HeaderName::from_static("x-cairn-signature"),
            HeaderValue::from_str(&sig).expect("hex and digits are valid header text"),
        );
    }
    let timeout = if req.timeout_secs == 0 {
        DEFAULT_TIMEOUT_SECS
    } else {
        req.timeout_secs.min(MAX_TIMEOUT_SECS)
    };
    let mut rb = client
        .request(method(req.method), url)
        .headers(headers)
        .timeout(std::time::Duration::from_secs(timeout));
    if req.body.is_some() {
        rb = rb.body(body);
    }
    match rb.send().await {
        Ok(resp) => http::outcome("the webhook", resp, now).await,
        Err(e) => http::transport_failure("the webhook", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn signs_like_stripe() {
        // Reference value computed independently:
        // printf '1772442000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert_eq!(now.timestamp(), 1772442000);
        let sig = signature(&Sensitive::new("whsec_test".to_string()), now, r#"{"a":1}"#);
        assert_eq!(
            sig,
            "t=1772442000,v1=3e644afce7286ef06108446eab702444a5874ff18f6b6e86c26c8fb71a238752"
        );
    }
}
