//! Slack messages through an incoming webhook.
//!
//! The webhook URL is itself the credential (anyone holding it can post to
//! the channel), so it is the account's vault secret and never appears in
//! a message, a log line or an error: checks describe what is wrong with it
//! without quoting it. Any service that accepts Slack's incoming-webhook
//! shape (`POST {"text": …}`, such as Mattermost) works the same way.

use cairn_engine::SendOutcome;
use cairn_model::{Sensitive, Timestamp};

use crate::{EffectsError, http, settings};

/// Checks that a webhook URL is usable: an https URL with a host (plain
/// http only towards this machine). The error never quotes the URL.
pub fn check_url(account: &str, url: &Sensitive<String>) -> Result<reqwest::Url, EffectsError> {
    let bad = |why: &str| {
        EffectsError::invalid(
            account,
            "webhook_url",
            format!("the stored Slack webhook URL {why}"),
        )
    };
    let u = reqwest::Url::parse(url.expose().trim())
        .map_err(|e| bad(&format!("is not a URL ({e})")))?;
    let host = u.host_str().ok_or_else(|| bad("has no host"))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if settings::is_loopback(host) => Ok(u),
        other => Err(bad(&format!(
            "must start with https:// (it starts with {other}://); copy it again from Slack's app settings"
        ))),
    }
}

/// Posts `text` to the channel behind `url`.
pub async fn deliver(
    client: &reqwest::Client,
    account: &str,
    url: &Sensitive<String>,
    text: &str,
    now: Timestamp,
) -> SendOutcome {
    let url = match check_url(account, url) {
        Ok(u) => u,
        Err(e) => {
            return SendOutcome::Failed {
                error: e.to_string(),
            };
        }
    };
    let resp = client
        .post(url)
        .json(&serde_json::json!({ "text": text }))
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await;
    match resp {
        Ok(r) => http::outcome("Slack", r, now).await,
        Err(e) => http::transport_failure("Slack", e),
    }
}
