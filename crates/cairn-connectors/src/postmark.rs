//! Postmark: what happened to the mail Cairn sent through Postmark's SMTP
//! service (`smtp.postmarkapp.com`, the server token as both username and
//! password), read from its API with the same server token
//! (`X-Postmark-Server-Token`; postmarkapp.com/developer/api/overview).
//!
//! Four reads a poll, each paged with `count` (500 at most) and `offset`:
//! - `GET /bounces?fromdate=` (postmarkapp.com/developer/api/bounce-api):
//!   `HardBounce`/`BadEmailAddress` → `email.bounced` `"bounce": "hard"`,
//!   the contact marked bounced; `SoftBounce`/`Transient`/`DnsError` →
//!   `email.bounced` `"soft"`; `SpamComplaint` → `email.complained`, the
//!   contact unsubscribed; `Unsubscribe` → `contact.unsubscribed`.
//! - `GET /messages/outbound/opens` → `email.opened`, and
//!   `GET /messages/outbound/clicks` → `link.clicked` with the `url`
//!   (…/developer/api/messages-api). Both are sorted newest first and
//!   have no date filter: a poll pages until it reaches the window's start.
//! - `GET /message-streams/{stream}/suppressions/dump?fromdate=`
//!   (…/developer/api/suppressions-api): a `ManualSuppression` whose
//!   `Origin` is `Recipient` — the recipient used Postmark's unsubscribe
//!   link or the one-click `List-Unsubscribe` of a broadcast stream →
//!   `contact.unsubscribed`. Bounce and complaint suppressions come with
//!   their bounce record above.
//!
//! Postmark's `MessageID` is its own, not the Message-ID header Cairn set,
//! so an event is matched to the latest email Cairn sent to its recipient;
//! events about addresses Cairn never mailed are skipped. Dates in `fromdate`
//! are Postmark's local days: a poll asks from the day before its window.

use cairn_model::Timestamp;
use cairn_model::event::types;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::batch::{Batch, ContactEffect, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::Api;
use crate::map;

pub const DEFAULT_BASE_URL: &str = "https://api.postmarkapp.com";
/// The broadcast stream every Postmark server has.
pub const DEFAULT_STREAM: &str = "broadcast";
/// Largest page Postmark serves.
const PAGE: usize = 500;
/// Pages read per endpoint and poll at most; the rest waits for the next.
const MAX_PAGES: usize = 20;

fn default_stream() -> String {
    DEFAULT_STREAM.into()
}

/// A Postmark account's settings (the server token is in the vault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostmarkSettings {
    /// The message stream Cairn's mail goes through (its suppressions are
    /// read): `broadcast` unless set.
    #[serde(default = "default_stream")]
    pub message_stream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl Default for PostmarkSettings {
    fn default() -> Self {
        PostmarkSettings {
            message_stream: default_stream(),
            base_url: None,
        }
    }
}

impl PostmarkSettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let s = &self.message_stream;
        if s.is_empty()
            || s.len() > 100
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConnectorError::invalid(
                account,
                "message_stream",
                format!("{s:?} is not a message stream id such as broadcast or outbound"),
            ));
        }
        self.base(account).map(|_| ())
    }

    fn base(&self, account: &str) -> Result<Url, ConnectorError> {
        crate::settings::base_url(account, self.base_url.as_deref(), DEFAULT_BASE_URL)
    }

    fn url(&self, account: &str, path: &str) -> Result<Url, ConnectorError> {
        self.base(account)?
            .join(path)
            .map_err(|e| ConnectorError::invalid(account, "base_url", e.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Bounces {
    #[serde(default)]
    total_count: usize,
    #[serde(default)]
    bounces: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Opens {
    #[serde(default)]
    opens: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Clicks {
    #[serde(default)]
    clicks: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Suppressions {
    #[serde(default)]
    suppressions: Vec<Value>,
}

async fn get(api: &mut Api<'_>, url: Url) -> Result<crate::http::Reply, ConnectorError> {
    let req = api
        .client
        .get(url)
        .header("Accept", "application/json")
        .header("X-Postmark-Server-Token", api.secret.expose());
    api.get(req).await
}

fn paged(url: &Url, offset: usize, extra: &[(&str, String)]) -> Url {
    let mut u = url.clone();
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("count", &PAGE.to_string())
            .append_pair("offset", &offset.to_string());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    u
}

fn time(v: &Value, key: &str) -> Option<Timestamp> {
    let s = v.get(key)?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn clip(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    clean
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Reads the window's bounces, opens, clicks and unsubscribes.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &PostmarkSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let from = w.since.max(w.start);
    let fromdate = (from - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let mut batch = Batch::default();
    let mut newest: Option<Timestamp> = None;
    let mut keep = |batch: &mut Batch, at: Timestamp, r: Result<Incoming, String>| {
        // A provider clock ahead of ours must not push the cursor past now.
        newest = newest.max(Some(at.min(w.now)));
        match r {
            Ok(i) => batch.items.push(i),
            Err(why) => batch.ignored.push(why),
        }
    };

    // Bounces (with spam complaints and unsubscribe requests).
    let url = s.url(api.account, "bounces")?;
    let mut offset = 0;
    for _ in 0..MAX_PAGES {
        let reply = get(api, paged(&url, offset, &[("fromdate", fromdate.clone())])).await?;
        let page: Bounces = api.json(&reply)?;
        let n = page.bounces.len();
        for b in &page.bounces {
            let Some(at) = time(b, "BouncedAt") else {
                batch.ignored.push("a bounce without BouncedAt".into());
                continue;
            };
            if at < from {
                continue;
            }
            keep(&mut batch, at, map_bounce(b, at, w));
        }
        offset += n;
        if n == 0 || offset >= page.total_count {
            break;
        }
    }

    // Opens and clicks: newest first, until the window's start.
    for (path, kind) in [
        ("messages/outbound/opens", "open"),
        ("messages/outbound/clicks", "click"),
    ] {
        let url = s.url(api.account, path)?;
        let mut offset = 0;
        for _ in 0..MAX_PAGES {
            let reply = get(api, paged(&url, offset, &[])).await?;
            let items = if kind == "open" {
                api.json::<Opens>(&reply)?.opens
            } else {
                api.json::<Clicks>(&reply)?.clicks
            };
            let n = items.len();
            let mut older = false;
            for e in &items {
                let Some(at) = time(e, "ReceivedAt") else {
                    batch.ignored.push(format!("an {kind} without ReceivedAt"));
                    continue;
                };
                if at < from {
                    older = true;
                    continue;
                }
                keep(&mut batch, at, map_engagement(e, kind, at, w));
            }
            offset += n;
            if n < PAGE || older {
                break;
            }
        }
    }

    // Unsubscribes through Postmark's link: the stream's suppressions.
    let url = s.url(
        api.account,
        &format!("message-streams/{}/suppressions/dump", s.message_stream),
    )?;
    let mut u = url.clone();
    u.query_pairs_mut()
        .append_pair("SuppressionReason", "ManualSuppression")
        .append_pair("Origin", "Recipient")
        .append_pair("fromdate", &fromdate);
    let reply = get(api, u).await?;
    let page: Suppressions = api.json(&reply)?;
    for sup in &page.suppressions {
        let Some(at) = time(sup, "CreatedAt") else {
            batch.ignored.push("a suppression without CreatedAt".into());
            continue;
        };
        if at < from {
            continue;
        }
        keep(&mut batch, at, map_suppression(sup, s, at, w));
    }

    batch.cursor = w.advance(newest, crate::provider::POSTMARK.overlap());
    Ok(batch)
}

/// One cheap request that proves the token can read the server's bounces.
pub async fn probe(api: &mut Api<'_>, s: &PostmarkSettings) -> Result<String, ConnectorError> {
    let mut url = s.url(api.account, "bounces")?;
    url.query_pairs_mut()
        .append_pair("count", "1")
        .append_pair("offset", "0");
    let reply = get(api, url).await?;
    let _: Bounces = api.json(&reply)?;
    Ok(format!(
        "Postmark accepted the server token (stream {})",
        s.message_stream
    ))
}

fn incoming(
    event_type: &str,
    recipient: &str,
    mut payload: Value,
    at: Timestamp,
    w: &Window,
    id: String,
    effect: Option<ContactEffect>,
) -> Result<Incoming, String> {
    let email = map::email([Some(recipient)])
        .ok_or_else(|| format!("{id}: {:?} is not an email address", clip(recipient, 80)))?;
    if let Some(m) = payload.as_object_mut() {
        m.retain(|_, v| !v.is_null());
    }
    Ok(Incoming {
        event: map::event(event_type, Some(email.clone()), payload, at, &w.source, id),
        effect,
        sent_message: None,
        sent_to: Some(email),
    })
}

fn map_bounce(b: &Value, at: Timestamp, w: &Window) -> Result<Incoming, String> {
    let id = match b.get("ID") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => clip(s, 40),
        _ => return Err("a bounce without an ID".into()),
    };
    let kind = text(b, "Type").unwrap_or("");
    let email = text(b, "Email").ok_or_else(|| format!("bounce {id}: no Email"))?;
    let base = json!({
        "postmark_type": kind,
        "recipient": email,
        "description": text(b, "Description").map(|d| clip(d, 300)),
        "details": text(b, "Details").map(|d| clip(d, 300)),
        "message_stream": text(b, "MessageStream"),
    });
    let with = |extra: Value| {
        let mut p = base.clone();
        if let (Some(p), Value::Object(e)) = (p.as_object_mut(), extra) {
            p.extend(e);
        }
        p
    };
    let key = format!("bounce:{id}");
    match kind {
        "HardBounce" | "BadEmailAddress" => incoming(
            types::EMAIL_BOUNCED,
            email,
            with(json!({"bounce": "hard"})),
            at,
            w,
            key,
            Some(ContactEffect::Bounced),
        ),
        "SoftBounce" | "Transient" | "DnsError" => incoming(
            types::EMAIL_BOUNCED,
            email,
            with(json!({"bounce": "soft"})),
            at,
            w,
            key,
            None,
        ),
        "SpamComplaint" => incoming(
            types::EMAIL_COMPLAINED,
            email,
            base.clone(),
            at,
            w,
            key,
            Some(ContactEffect::Unsubscribed),
        ),
        "Unsubscribe" => incoming(
            types::CONTACT_UNSUBSCRIBED,
            email,
            with(json!({"via": "postmark"})),
            at,
            w,
            key,
            Some(ContactEffect::Unsubscribed),
        ),
        other => Err(format!(
            "bounce {id}: a {:?} record, not one Cairn reads",
            clip(other, 40)
        )),
    }
}

fn map_engagement(e: &Value, kind: &str, at: Timestamp, w: &Window) -> Result<Incoming, String> {
    let message = text(e, "MessageID").ok_or_else(|| format!("an {kind} without MessageID"))?;
    let recipient = text(e, "Recipient")
        .ok_or_else(|| format!("{kind} of {}: no Recipient", clip(message, 60)))?;
    let stamp = at.timestamp_millis();
    if kind == "open" {
        incoming(
            types::EMAIL_OPENED,
            recipient,
            json!({"postmark_message_id": message, "recipient": recipient, "first_open": e.get("FirstOpen")}),
            at,
            w,
            format!("open:{message}:{stamp}"),
            None,
        )
    } else {
        let url = text(e, "OriginalLink").map(|u| clip(u, 2000));
        incoming(
            types::LINK_CLICKED,
            recipient,
            json!({"postmark_message_id": message, "recipient": recipient, "url": url}),
            at,
            w,
            format!(
                "click:{message}:{stamp}:{}",
                url.as_deref().unwrap_or_default()
            ),
            None,
        )
    }
}

fn map_suppression(
    sup: &Value,
    s: &PostmarkSettings,
    at: Timestamp,
    w: &Window,
) -> Result<Incoming, String> {
    let email = text(sup, "EmailAddress").ok_or("a suppression without EmailAddress")?;
    let reason = text(sup, "SuppressionReason").unwrap_or("");
    let origin = text(sup, "Origin").unwrap_or("");
    if reason != "ManualSuppression" || origin != "Recipient" {
        return Err(format!(
            "a {} suppression by {} (not the recipient's unsubscribe)",
            clip(reason, 40),
            clip(origin, 40)
        ));
    }
    incoming(
        types::CONTACT_UNSUBSCRIBED,
        email,
        json!({"via": "postmark", "message_stream": s.message_stream}),
        at,
        w,
        format!(
            "suppression:{}:{}:{}",
            s.message_stream,
            email.to_ascii_lowercase(),
            at.timestamp_millis()
        ),
        Some(ContactEffect::Unsubscribed),
    )
}
