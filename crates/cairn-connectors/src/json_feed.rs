//! A generic JSON feed: any HTTP endpoint that lists events as JSON.
//!
//! The account's settings say where things are, as JSON pointers (RFC 6901,
//! `/data/0/id`; the empty pointer is the whole value):
//! - `items`: the array of events in a page (default: the page itself);
//! - in each item: `id` and `time` (RFC 3339 text, or epoch seconds or
//!   milliseconds as a number), `type` (or a fixed `event_type`), `email`
//!   (optional: the contact) and `payload` (default: the whole item);
//! - `auth_header`: a header name (`Authorization`, `X-Api-Key`) whose
//!   value — the secret — is in the vault.
//!
//! Three ways to page, by what the settings name:
//! - by time: `since_param` — each poll asks `?<since_param>=<RFC 3339>`
//!   from its cursor minus a five-minute overlap;
//! - by cursor: `next` points at the next page's cursor (passed as
//!   `?<cursor_param>=…`) or, without `cursor_param`, at the next page's
//!   URL. The cursor of the last page read is kept, and the next poll reads
//!   that page again, so nothing appended to it is missed;
//! - neither: each poll reads the one page again.
//!
//! In every case duplicates are dropped by `(source, id)`. Items older than
//! the account are skipped, and so is an item without an id, a time or a
//! usable type (the reason is reported); a page none of whose items can be
//! read is an error naming the pointer, since the settings are likely wrong.

use cairn_model::Timestamp;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::batch::{Batch, Cursor, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::{Api, Reply};
use crate::map;

/// Pages one poll may read.
const MAX_PAGES: u32 = 100;

/// A JSON feed's settings (the auth header's value is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedSettings {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_header: Option<String>,
    #[serde(default)]
    pub items: String,
    pub id: String,
    pub time: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_param: Option<String>,
    /// How long the feed keeps events, for the "unpolled too long" warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
}

fn check_pointer(account: &str, key: &'static str, p: &str) -> Result<(), ConnectorError> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err(ConnectorError::invalid(
            account,
            key,
            format!(
                "{p:?} is not a JSON pointer; it starts with / (such as /data/id), or is empty for the whole value"
            ),
        ))
    }
}

/// Whether `t` can be an event type: no spaces or control characters.
pub fn check_event_type(t: &str) -> Result<(), String> {
    if t.trim().is_empty() {
        return Err("the event type is empty".into());
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "event type {t:?} contains a space; use dots or underscores, such as lesson.completed"
        ));
    }
    Ok(())
}

impl FeedSettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let url = Url::parse(self.url.trim()).map_err(|e| {
            ConnectorError::invalid(account, "url", format!("{:?} is not a URL: {e}", self.url))
        })?;
        if self.auth_header.is_some() {
            crate::http::check_secure_url(&url)
                .map_err(|e| ConnectorError::invalid(account, "url", e))?;
        } else if !matches!(url.scheme(), "http" | "https") {
            return Err(ConnectorError::invalid(
                account,
                "url",
                format!("{url} is not an http(s) URL"),
            ));
        }
        if let Some(h) = &self.auth_header
            && reqwest::header::HeaderName::from_bytes(h.trim().as_bytes()).is_err()
        {
            return Err(ConnectorError::invalid(
                account,
                "auth_header",
                format!("{h:?} is not an HTTP header name"),
            ));
        }
        check_pointer(account, "items", &self.items)?;
        check_pointer(account, "id", &self.id)?;
        check_pointer(account, "time", &self.time)?;
        for (key, p) in [
            ("type", &self.type_pointer),
            ("email", &self.email),
            ("payload", &self.payload),
            ("next", &self.next),
        ] {
            if let Some(p) = p {
                check_pointer(account, key, p)?;
            }
        }
        match (&self.type_pointer, &self.event_type) {
            (None, None) => {
                return Err(ConnectorError::invalid(
                    account,
                    "type",
                    "name where each item's type is (a pointer), or give one event_type for all",
                ));
            }
            (_, Some(t)) => check_event_type(t)
                .map_err(|e| ConnectorError::invalid(account, "event_type", e))?,
            _ => {}
        }
        if self.cursor_param.is_some() && self.next.is_none() {
            return Err(ConnectorError::invalid(
                account,
                "cursor_param",
                "a cursor parameter needs `next`, the pointer to the next page's cursor",
            ));
        }
        if self.since_param.is_some() && self.cursor_param.is_some() {
            return Err(ConnectorError::invalid(
                account,
                "since_param",
                "page by time (since_param) or by cursor (cursor_param), not both",
            ));
        }
        if let Some(d) = self.retention_days
            && d < 1
        {
            return Err(ConnectorError::invalid(
                account,
                "retention_days",
                format!("{d} is not a number of days"),
            ));
        }
        Ok(())
    }

    pub fn retention(&self) -> Option<chrono::Duration> {
        self.retention_days.map(chrono::Duration::days)
    }

    fn parsed_url(&self, account: &str) -> Result<Url, ConnectorError> {
        Url::parse(self.url.trim())
            .map_err(|e| ConnectorError::invalid(account, "url", e.to_string()))
    }
}

async fn get(api: &mut Api<'_>, s: &FeedSettings, url: Url) -> Result<Reply, ConnectorError> {
    let mut req = api.client.get(url).header("Accept", "application/json");
    if let Some(h) = &s.auth_header {
        req = req.header(h.trim(), api.secret.expose().as_str());
    }
    api.get(req).await
}

/// The page URL for a cursor token: the token itself when `next` holds
/// URLs, else the feed URL with `cursor_param`.
fn page_url(api: &Api<'_>, s: &FeedSettings, token: Option<&str>) -> Result<Url, ConnectorError> {
    let base = s.parsed_url(api.account)?;
    let Some(token) = token else {
        return Ok(base);
    };
    match &s.cursor_param {
        Some(p) => {
            let mut u = base;
            u.query_pairs_mut().append_pair(p, token);
            Ok(u)
        }
        None => {
            let next = base
                .join(token)
                .map_err(|e| api.bad(format!("the next page {token:?} is not a URL: {e}")))?;
            if s.auth_header.is_some() && !crate::http::same_origin(&base, &next) {
                return Err(api.bad(format!(
                    "the next page leads to {}, away from the feed's host; it was not followed (the request carries a secret)",
                    next.host_str().unwrap_or("?")
                )));
            }
            Ok(next)
        }
    }
}

/// Reads the window's items.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &FeedSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let mut batch = Batch::default();
    let mut newest = None;
    // By cursor: start from the page read last time.
    let mut token = if s.since_param.is_none() {
        w.cursor.token.clone()
    } else {
        None
    };
    let mut url = page_url(api, s, token.as_deref())?;
    if let Some(p) = &s.since_param {
        url.query_pairs_mut().append_pair(p, &w.since.to_rfc3339());
    }
    let mut pages = 0;
    loop {
        pages += 1;
        let reply = get(api, s, url.clone()).await?;
        let body: Value = api.json(&reply)?;
        let items = body
            .pointer(&s.items)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                api.bad(format!(
                    "the page has no array at items pointer {:?}",
                    s.items
                ))
            })?;
        let before = batch.items.len() + batch.ignored.len();
        let mut read = 0usize;
        let mut first_problem = None;
        for (i, item) in items.iter().enumerate() {
            match map_item(s, item, w) {
                Ok(Some((inc, at))) => {
                    newest = newest.max(Some(at));
                    batch.items.push(inc);
                    read += 1;
                }
                Ok(None) => read += 1,
                Err(why) => {
                    let why = format!("item {i}: {why}");
                    first_problem.get_or_insert_with(|| why.clone());
                    batch.ignored.push(why);
                }
            }
        }
        if read == 0
            && let Some(why) = first_problem
        {
            return Err(api.bad(format!(
                "none of the page's {} items could be read ({why}); check the account's pointers",
                batch.items.len() + batch.ignored.len() - before
            )));
        }
        let next = s
            .next
            .as_deref()
            .and_then(|p| body.pointer(p))
            .and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        match next {
            Some(n) if !items.is_empty() && token.as_deref() != Some(&n) => {
                if pages >= MAX_PAGES {
                    if s.since_param.is_some() {
                        return Err(api.bad(format!(
                            "more than {MAX_PAGES} pages in one window; the poll stopped"
                        )));
                    }
                    // By cursor, progress is kept: the next poll goes on.
                    break;
                }
                url = page_url(api, s, Some(&n))?;
                token = Some(n);
            }
            _ => break,
        }
    }
    batch.items.sort_by_key(|i| i.event.occurred_at);
    let mut cursor = w.advance(newest, crate::provider::JSON_FEED.overlap());
    cursor.token = if s.since_param.is_none() { token } else { None };
    batch.cursor = Cursor { ..cursor };
    Ok(batch)
}

/// One request that proves the feed answers with readable items.
pub async fn probe(api: &mut Api<'_>, s: &FeedSettings) -> Result<String, ConnectorError> {
    let url = s.parsed_url(api.account)?;
    let reply = get(api, s, url).await?;
    let body: Value = api.json(&reply)?;
    let n = body
        .pointer(&s.items)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            api.bad(format!(
                "the page has no array at items pointer {:?}",
                s.items
            ))
        })?
        .len();
    Ok(format!("the feed answered with {n} items"))
}

/// A feed time: RFC 3339 text, or epoch seconds (or milliseconds, for
/// numbers past the year 5138 in seconds) as a number or digits.
pub fn feed_time(v: &Value) -> Option<Timestamp> {
    let n = match v {
        Value::String(s) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
                return Some(t.with_timezone(&chrono::Utc));
            }
            s.trim().parse::<f64>().ok()?
        }
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    let ms = if n.abs() >= 1e11 { n } else { n * 1000.0 };
    chrono::DateTime::from_timestamp_millis(ms.round() as i64)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One item as an event; `Ok(None)` for an item older than the account.
fn map_item(
    s: &FeedSettings,
    item: &Value,
    w: &Window,
) -> Result<Option<(Incoming, Timestamp)>, String> {
    let id = item
        .pointer(&s.id)
        .and_then(scalar_text)
        .ok_or_else(|| format!("no id at {:?}", s.id))?;
    let at = item
        .pointer(&s.time)
        .and_then(feed_time)
        .ok_or_else(|| format!("no RFC 3339 or epoch time at {:?}", s.time))?;
    if at < w.start {
        return Ok(None);
    }
    let event_type = match (&s.type_pointer, &s.event_type) {
        (Some(p), fallback) => item
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| fallback.clone())
            .ok_or_else(|| format!("no type at {p:?}"))?,
        (None, Some(t)) => t.clone(),
        (None, None) => return Err("no event type".into()),
    };
    check_event_type(&event_type)?;
    let email = s
        .email
        .as_deref()
        .and_then(|p| item.pointer(p))
        .and_then(Value::as_str);
    let payload = match s.payload.as_deref() {
        None => item.clone(),
        Some(p) => item.pointer(p).cloned().unwrap_or(Value::Null),
    };
    let payload = if payload.is_object() {
        payload
    } else {
        json!({ "value": payload })
    };
    Ok(Some((
        Incoming::new(map::event(
            &event_type,
            map::email([email]),
            payload,
            at,
            &w.source,
            id,
        )),
        at,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_times_in_text_seconds_or_milliseconds() {
        let want = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(feed_time(&json!("2026-03-02T10:00:00+01:00")), Some(want));
        assert_eq!(feed_time(&json!(want.timestamp())), Some(want));
        assert_eq!(feed_time(&json!(want.timestamp_millis())), Some(want));
        assert_eq!(feed_time(&json!(want.timestamp().to_string())), Some(want));
        assert_eq!(feed_time(&json!("yesterday")), None);
    }

    #[test]
    fn settings_errors_name_the_setting() {
        let mut s = FeedSettings {
            url: "https://feed.example/events".into(),
            id: "/id".into(),
            time: "created".into(),
            event_type: Some("lesson.completed".into()),
            ..Default::default()
        };
        let e = s.check("feed").unwrap_err();
        assert!(
            e.to_string()
                .contains("time: \"created\" is not a JSON pointer"),
            "{e}"
        );
        s.time = "/created".into();
        s.event_type = Some("lesson completed".into());
        let e = s.check("feed").unwrap_err();
        assert!(e.to_string().contains("event_type"), "{e}");
        s.event_type = None;
        let e = s.check("feed").unwrap_err();
        assert!(e.to_string().contains("type:"), "{e}");
        s.type_pointer = Some("/kind".into());
        s.check("feed").unwrap();
        s.url = "http://feed.example/events".into();
        s.auth_header = Some("Authorization".into());
        let e = s.check("feed").unwrap_err();
        assert!(e.to_string().contains("must be https://"), "{e}");
    }
}
