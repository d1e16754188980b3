//! Mailgun: what happened to the mail Cairn sent through Mailgun's SMTP
//! relay (with open and click tracking on), from the Events API.
//!
//! `GET /v3/{domain}/events?begin=<epoch>&ascending=yes&limit=300&event=…`
//! with HTTP Basic auth `api:<private API key>`; further pages are the
//! `paging.next` URL, until a page comes back empty (documentation.mailgun.com
//! … /events/get-v3-domain_name-events). Mailgun's events reach its storage
//! out of order, so its "Event Polling" guide says to trust only pages
//! older than half an hour: a poll stops at the first event younger than
//! that, and the next poll starts again there. Mailgun keeps events at
//! least 3 days. (Mailgun now calls the Events API deprecated in favour of
//! its Logs API; it still serves it.)
//!
//! What becomes what, for mail Cairn sent (matched by Message-ID):
//! - `delivered` → `email.delivered`
//! - `opened` → `email.opened`
//! - `clicked` → `link.clicked`, with the `url`
//! - `failed` with `severity: permanent` → `email.bounced`; the contact is
//!   marked bounced in the same transaction. Temporary failures are
//!   skipped (Mailgun keeps retrying them).
//! - `complained` → `email.complained`; the contact is unsubscribed.
//! - `unsubscribed` (Mailgun's unsubscribe tracking: its `%unsubscribe_url%`
//!   link and one-click header, SMTP `unsubscribe_via: mailgun`) →
//!   `contact.unsubscribed`; the contact is unsubscribed.
//!
//! The event's `message.headers.message-id` is Cairn's own Message-ID
//! (`<idempotency key>@<sender domain>`), so its local part names the
//! outbox row: the payload gets `"email"` (the template) and `"workflow"`,
//! which is what engagement conditions and the "email opened" / "link
//! clicked" triggers match. Events about mail Cairn did not send are
//! skipped. Event ids are unique within a day only, so the dedupe key is
//! `<id>:<timestamp in ms>`.

use cairn_model::Timestamp;
use cairn_model::event::types;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::batch::{Batch, ContactEffect, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::Api;
use crate::map;

pub const US_BASE_URL: &str = "https://api.mailgun.net";
pub const EU_BASE_URL: &str = "https://api.eu.mailgun.net";
/// Largest page Mailgun serves.
const PAGE: u32 = 300;
const MAX_PAGES: u32 = 1000;
/// The event types Cairn reads, as a Mailgun filter expression.
const EVENTS: &str = "delivered OR opened OR clicked OR failed OR complained OR unsubscribed";

/// Where the Mailgun account lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    #[default]
    Us,
    Eu,
}

/// A Mailgun account's settings (the private API key is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailgunSettings {
    /// The sending domain, e.g. `mg.example.com`.
    pub domain: String,
    #[serde(default)]
    pub region: Region,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl MailgunSettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let d = &self.domain;
        if d.is_empty()
            || !d.contains('.')
            || !d
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(ConnectorError::invalid(
                account,
                "domain",
                format!("{d:?} is not a sending domain such as mg.example.com"),
            ));
        }
        self.events_url(account).map(|_| ())
    }

    fn events_url(&self, account: &str) -> Result<Url, ConnectorError> {
        let default = match self.region {
            Region::Us => US_BASE_URL,
            Region::Eu => EU_BASE_URL,
        };
        crate::settings::base_url(account, self.base_url.as_deref(), default)?
            .join(&format!("v3/{}/events", self.domain))
            .map_err(|e| ConnectorError::invalid(account, "domain", e.to_string()))
    }
}

#[derive(Deserialize)]
struct Page {
    items: Vec<Value>,
    #[serde(default)]
    paging: Paging,
}

#[derive(Deserialize, Default)]
struct Paging {
    #[serde(default)]
    next: Option<String>,
}

/// Reads the window's events, up to the trust threshold.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &MailgunSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let first = s.events_url(api.account)?;
    let trusted_until = w.now - crate::provider::MAILGUN.overlap();
    let mut url = first.clone();
    url.query_pairs_mut()
        .append_pair("begin", &w.since.timestamp().to_string())
        .append_pair("ascending", "yes")
        .append_pair("limit", &PAGE.to_string())
        .append_pair("event", EVENTS);
    let mut batch = Batch::default();
    let mut newest = None;
    for _ in 0..MAX_PAGES {
        let reply = api
            .get(
                api.client
                    .get(url.clone())
                    .basic_auth("api", Some(api.secret.expose())),
            )
            .await?;
        let page: Page = api.json(&reply)?;
        if page.items.is_empty() {
            break;
        }
        let mut untrusted = false;
        for item in &page.items {
            let Some(at) = timestamp(item) else {
                batch.ignored.push(format!(
                    "event {}: no timestamp",
                    item.get("id").and_then(Value::as_str).unwrap_or("?")
                ));
                continue;
            };
            if at > trusted_until {
                untrusted = true;
                break;
            }
            newest = newest.max(Some(at));
            match map_event(item, at, w) {
                Ok(inc) => batch.items.push(inc),
                Err(why) => batch.ignored.push(why),
            }
        }
        let next = page.paging.next.filter(|n| !n.is_empty());
        match next {
            Some(n) if !untrusted => {
                let next = Url::parse(&n)
                    .map_err(|e| api.bad(format!("paging.next is not a URL: {e}")))?;
                if !crate::http::same_origin(&first, &next) {
                    return Err(api.bad(format!(
                        "paging.next leads to {}, not to Mailgun's API; it was not followed",
                        next.host_str().unwrap_or("?")
                    )));
                }
                if next == url {
                    break;
                }
                url = next;
            }
            _ => break,
        }
    }
    batch.cursor = w.advance(newest, crate::provider::MAILGUN.overlap());
    Ok(batch)
}

/// One cheap request that proves the key can read the domain's events.
pub async fn probe(api: &mut Api<'_>, s: &MailgunSettings) -> Result<String, ConnectorError> {
    let mut url = s.events_url(api.account)?;
    url.query_pairs_mut().append_pair("limit", "1");
    let reply = api
        .get(
            api.client
                .get(url)
                .basic_auth("api", Some(api.secret.expose())),
        )
        .await?;
    let _: Page = api.json(&reply)?;
    Ok(format!(
        "Mailgun accepted the API key and listed events of {}",
        s.domain
    ))
}

fn timestamp(item: &Value) -> Option<Timestamp> {
    let secs = item.get("timestamp")?.as_f64()?;
    chrono::DateTime::from_timestamp_millis((secs * 1000.0).round() as i64)
}

/// `<cairn-12-34@mg.example.com>` → `cairn-12-34`.
pub fn message_key(message_id: &str) -> Option<String> {
    let core = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let local = core.split('@').next()?.trim();
    (!local.is_empty()).then(|| local.to_string())
}

fn map_event(item: &Value, at: Timestamp, w: &Window) -> Result<Incoming, String> {
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("an event without an id")?;
    let kind = item.get("event").and_then(Value::as_str).unwrap_or("");
    let text = |p: &str| item.pointer(p).and_then(Value::as_str);
    let message_id = text("/message/headers/message-id")
        .ok_or_else(|| format!("event {id} ({kind}): no message-id"))?;
    let key = message_key(message_id).ok_or_else(|| {
        format!("event {id} ({kind}): message-id {message_id:?} has no local part")
    })?;
    let recipient = text("/recipient");
    let mut p = json!({
        "message_id": message_id,
        "recipient": recipient,
        "mailgun_event": kind,
    });
    if let Some(subject) = text("/message/headers/subject") {
        p["subject"] = json!(subject);
    }
    let (event_type, effect) = match kind {
        "delivered" => (types::EMAIL_DELIVERED, None),
        "opened" => (types::EMAIL_OPENED, None),
        "clicked" => {
            p["url"] = json!(text("/url"));
            (types::LINK_CLICKED, None)
        }
        "failed" => {
            let severity = text("/severity").unwrap_or("");
            if severity != "permanent" {
                return Err(format!(
                    "event {id}: a {severity} failure (Mailgun retries it)"
                ));
            }
            p["severity"] = json!(severity);
            p["reason"] = json!(text("/reason"));
            p["description"] = json!(
                text("/delivery-status/description")
                    .filter(|s| !s.is_empty())
                    .or_else(|| text("/delivery-status/message"))
            );
            (types::EMAIL_BOUNCED, Some(ContactEffect::Bounced))
        }
        "complained" => (types::EMAIL_COMPLAINED, Some(ContactEffect::Unsubscribed)),
        "unsubscribed" => {
            p["via"] = json!("mailgun");
            (
                types::CONTACT_UNSUBSCRIBED,
                Some(ContactEffect::Unsubscribed),
            )
        }
        other => return Err(format!("event {id}: {other:?} is not an event Cairn reads")),
    };
    if let Some(m) = p.as_object_mut() {
        m.retain(|_, v| !v.is_null());
    }
    Ok(Incoming {
        event: map::event(
            event_type,
            map::email([recipient]),
            p,
            at,
            &w.source,
            format!("{id}:{}", at.timestamp_millis()),
        ),
        effect,
        sent_message: Some(key),
        sent_to: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscribe_through_mailgun_tracking_unsubscribes_the_contact() {
        let at = chrono::DateTime::from_timestamp(1_772_443_200, 0).unwrap();
        let w = Window {
            source: "mailgun:m".into(),
            since: at,
            start: at,
            now: at,
            cursor: Default::default(),
            courses: Vec::new(),
        };
        // Shape per Mailgun's event structure ("unsubscribed").
        let item = json!({
            "event": "unsubscribed", "id": "U1", "timestamp": 1772443200.0,
            "recipient": "ada@example.com",
            "message": {"headers": {"message-id": "<cairn-9-0-1-2@mg.example.com>"}},
        });
        let inc = map_event(&item, at, &w).unwrap();
        assert_eq!(inc.event.event_type, "contact.unsubscribed");
        assert_eq!(inc.effect, Some(ContactEffect::Unsubscribed));
        assert_eq!(inc.sent_message.as_deref(), Some("cairn-9-0-1-2"));
        assert_eq!(inc.event.payload["via"], "mailgun");
    }

    #[test]
    fn message_ids_name_the_outbox_key() {
        assert_eq!(
            message_key("<cairn-12-34@mg.example.com>").as_deref(),
            Some("cairn-12-34")
        );
        assert_eq!(
            message_key("cairn-12-34@mg.example.com").as_deref(),
            Some("cairn-12-34")
        );
        assert_eq!(message_key("<@x>"), None);
        // The key as the engine makes it: database id, series, run, step.
        assert_eq!(
            message_key("<cairn-0123456789abcdef0123456789abcdef-1-12-34@mg.example.com>")
                .as_deref(),
            Some("cairn-0123456789abcdef0123456789abcdef-1-12-34")
        );
    }
}
