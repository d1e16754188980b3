//! One paced, classified HTTP GET against a provider.
//!
//! Every connector talks to its provider through an [`Api`]: it waits for
//! the account's slot in the [`Pacer`] (half the provider's budget), sends,
//! and turns the answer into either a body or a [`ConnectorError`] that
//! says what to do next:
//! - 2xx: the body.
//! - 401, 403: `Unauthorized` — the account needs attention.
//! - 429: `RateLimited`, with `Retry-After` (seconds, fractional seconds as
//!   Shopify sends them, or an HTTP date).
//! - 408, 425, 5xx: `Unavailable` — try again with backoff.
//! - other 4xx: `Rejected` — a wrong setting (form id, shop, domain).
//! - 3xx: `Rejected`. Redirects are never followed: the request carries a
//!   secret, and a custom auth header (`X-Shopify-Access-Token`) would
//!   follow a redirect to another host.
//!
//! Quoted answers are cut to [`BODY_EXCERPT`] bytes and scrubbed of the
//! account's secret; reqwest's errors are stripped of the URL.

use cairn_http::{error_chain, retry_after};
use cairn_model::{Clock, Sensitive, Timestamp};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::ConnectorError;
use crate::pace::{Pacer, Timer};

/// How much of an error answer is quoted.
pub const BODY_EXCERPT: usize = 300;

/// Seconds a request may take before it counts as unanswered.
pub const TIMEOUT_SECS: u64 = 30;

/// The client every connector uses ([`cairn_http::client`]: no redirects,
/// rustls), with a timeout of [`TIMEOUT_SECS`].
pub fn client() -> Result<reqwest::Client, ConnectorError> {
    cairn_http::client(Some(std::time::Duration::from_secs(TIMEOUT_SECS)))
        .map_err(ConnectorError::HttpClient)
}

/// A successful answer.
pub struct Reply {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A provider, as one poll of one account sees it.
pub struct Api<'a> {
    pub account: &'a str,
    pub provider: &'static str,
    pub client: &'a reqwest::Client,
    pub secret: &'a Sensitive<String>,
    /// Time between two requests: half the provider's documented budget.
    pub spacing: chrono::Duration,
    pub pacer: &'a Pacer,
    pub timer: &'a dyn Timer,
    pub clock: &'a dyn Clock,
    /// Requests sent so far.
    pub requests: u32,
}

impl Api<'_> {
    /// Sends a GET built by the connector (with its auth) once the account's
    /// slot in the pacer has come.
    pub async fn get(&mut self, req: reqwest::RequestBuilder) -> Result<Reply, ConnectorError> {
        self.send(req).await
    }

    /// Sends any request built by the connector (a course platform's
    /// enrollment is a POST or PUT), paced and classified as a GET is.
    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<Reply, ConnectorError> {
        if let Some(at) = self.pacer.not_before(self.account)
            && at > self.clock.now()
        {
            self.timer.sleep_until(at).await;
        }
        let sent_at = self.clock.now();
        self.pacer.sent(self.account, sent_at, self.spacing);
        self.requests += 1;
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| self.transport(e))?.to_vec();
        if status.is_success() {
            return Ok(Reply { headers, body });
        }
        Err(self.classify(status, &headers, &body, self.clock.now()))
    }

    /// Decodes a JSON body into `T`, naming the field that did not fit.
    pub fn json<T: DeserializeOwned>(&self, reply: &Reply) -> Result<T, ConnectorError> {
        let de = &mut serde_json::Deserializer::from_slice(&reply.body);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            self.bad(format!(
                "the answer does not fit the documented shape at {}: {}",
                if path == "." {
                    "the top".to_string()
                } else {
                    path
                },
                e.inner()
            ))
        })
    }

    pub fn bad(&self, reason: impl Into<String>) -> ConnectorError {
        ConnectorError::BadResponse {
            account: self.account.to_string(),
            provider: self.provider,
            reason: self.scrub(&reason.into()),
        }
    }

    /// Replaces every occurrence of the secret with `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, self.secret)
    }

    fn transport(&self, e: reqwest::Error) -> ConnectorError {
        let timeout = e.is_timeout();
        let e = e.without_url();
        ConnectorError::Unreachable {
            account: self.account.to_string(),
            provider: self.provider,
            reason: self.scrub(&if timeout {
                format!("no answer within {TIMEOUT_SECS} s")
            } else {
                error_chain(&e)
            }),
        }
    }

    fn classify(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> ConnectorError {
        let account = self.account.to_string();
        let provider = self.provider;
        let detail = self.scrub(&cairn_http::excerpt(body, BODY_EXCERPT));
        let code = status.as_u16();
        match code {
            401 | 403 => ConnectorError::Unauthorized {
                account,
                provider,
                status: code,
                detail,
            },
            429 => ConnectorError::RateLimited {
                account,
                provider,
                retry_after: retry_after(headers, now),
            },
            408 | 425 => ConnectorError::Unavailable {
                account,
                provider,
                status: code,
                detail,
            },
            _ if status.is_server_error() => ConnectorError::Unavailable {
                account,
                provider,
                status: code,
                detail,
            },
            _ if status.is_redirection() => ConnectorError::Rejected {
                account,
                provider,
                status: code,
                detail: "a redirect, which is not followed (the request carries a secret); check the account's URL settings".into(),
            },
            _ => ConnectorError::Rejected {
                account,
                provider,
                status: code,
                detail,
            },
        }
    }
}

pub(crate) fn scrub(text: &str, secret: &Sensitive<String>) -> String {
    let s = secret.expose();
    if s.len() >= 4 && text.contains(s.as_str()) {
        text.replace(s.as_str(), "<redacted>")
    } else {
        text.to_string()
    }
}

/// Whether `url` may carry a secret: HTTPS, or plain HTTP to this machine
/// (tests, a local proxy).
pub fn check_secure_url(url: &reqwest::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            let local = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if local {
                Ok(())
            } else {
                Err(format!(
                    "{url} is plain HTTP; the request carries a secret, so it must be https:// (plain http:// only to this machine)"
                ))
            }
        }
        other => Err(format!("{url} is not an http(s) URL (scheme {other:?})")),
    }
}

/// Whether `next` is on the same origin as `base` (a page link that sends
/// the secret elsewhere is refused).
pub fn same_origin(base: &reqwest::Url, next: &reqwest::Url) -> bool {
    base.scheme() == next.scheme()
        && base.host_str().map(str::to_ascii_lowercase)
            == next.host_str().map(str::to_ascii_lowercase)
        && base.port_or_known_default() == next.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_and_urls_checked() {
        let s = Sensitive::new("sk_test_123456".to_string());
        assert_eq!(
            scrub("Invalid API Key provided: sk_test_123456", &s),
            "Invalid API Key provided: <redacted>"
        );
        let ok = |u: &str| check_secure_url(&reqwest::Url::parse(u).unwrap());
        assert!(ok("https://api.stripe.com").is_ok());
        assert!(ok("http://127.0.0.1:8080").is_ok());
        assert!(ok("http://localhost:8080").is_ok());
        let e = ok("http://api.example.com").unwrap_err();
        assert!(e.contains("must be https://"), "{e}");
        let a = reqwest::Url::parse("https://shop.myshopify.com/admin").unwrap();
        assert!(same_origin(
            &a,
            &reqwest::Url::parse("https://SHOP.myshopify.com/x?page_info=1").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &reqwest::Url::parse("https://evil.example/x").unwrap()
        ));
    }
}
