//! Typeform: form responses from the Responses API.
//!
//! `GET /forms/{form_id}/responses?since=…&page_size=1000` with a personal
//! access token (scope `responses:read`) as a Bearer token; a full page is
//! followed by `before=<last item's token>` (developer.typeform.com/
//! responses/reference/retrieve-responses). Typeform warns that responses
//! from the last half hour may not be listed yet, so each poll re-reads an
//! hour behind its cursor; the dedupe key drops what was already stored.
//!
//! Each submitted response becomes `form.submitted` at its `submitted_at`,
//! keyed by its `response_id` (or `token`). Payload: `form_id`,
//! `response_id`, `answers` keyed by each field's `ref` (set readable refs
//! in Typeform's question settings; a field without one is keyed by its
//! id) with the answer's value (`text`, `email`, `number`, `boolean`,
//! `date`, `url`, `file_url`, `phone_number`, a choice's label, a list of
//! labels, a payment object), `hidden` fields, `landed_at` and `score`.
//! The contact is the first `email` answer, else a hidden field `email`.

use cairn_model::event::types;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::batch::{Batch, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::Api;
use crate::map;

pub const DEFAULT_BASE_URL: &str = "https://api.typeform.com";
/// Largest page Typeform serves.
const PAGE: usize = 1000;
const MAX_PAGES: u32 = 1000;

/// A Typeform account's settings (the access token is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeformSettings {
    /// The id in the form's URL (`…typeform.com/to/u6nXL7` → `u6nXL7`).
    pub form_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl TypeformSettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let f = &self.form_id;
        if f.is_empty()
            || !f
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ConnectorError::invalid(
                account,
                "form_id",
                format!("{f:?} is not a form id such as u6nXL7 (the last part of the form's URL)"),
            ));
        }
        self.responses_url(account).map(|_| ())
    }

    fn responses_url(&self, account: &str) -> Result<Url, ConnectorError> {
        crate::settings::base_url(account, self.base_url.as_deref(), DEFAULT_BASE_URL)?
            .join(&format!("forms/{}/responses", self.form_id))
            .map_err(|e| ConnectorError::invalid(account, "form_id", e.to_string()))
    }
}

#[derive(Deserialize)]
struct Responses {
    items: Vec<Value>,
}

/// Reads the responses submitted in the window.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &TypeformSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let base = s.responses_url(api.account)?;
    let mut items: Vec<Value> = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut url = base.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page_size", &PAGE.to_string());
            q.append_pair("since", &w.since.format("%Y-%m-%dT%H:%M:%S").to_string());
            if let Some(b) = &before {
                q.append_pair("before", b);
            }
        }
        let reply = api
            .get(api.client.get(url).bearer_auth(api.secret.expose()))
            .await?;
        let page: Responses = api.json(&reply)?;
        let full = page.items.len() >= PAGE;
        let last = page
            .items
            .last()
            .and_then(|i| i.get("token"))
            .and_then(Value::as_str)
            .map(str::to_string);
        items.extend(page.items);
        match (full, last) {
            (true, Some(t)) if before.as_deref() != Some(&t) => before = Some(t),
            _ => return Ok(map_responses(items, &s.form_id, w)),
        }
    }
    Err(api.bad(format!(
        "more than {MAX_PAGES} pages of responses in one window; the poll stopped"
    )))
}

/// One cheap request that proves the token can read the form's responses.
pub async fn probe(api: &mut Api<'_>, s: &TypeformSettings) -> Result<String, ConnectorError> {
    let mut url = s.responses_url(api.account)?;
    url.query_pairs_mut().append_pair("page_size", "1");
    let reply = api
        .get(api.client.get(url).bearer_auth(api.secret.expose()))
        .await?;
    let _: Responses = api.json(&reply)?;
    Ok(format!(
        "Typeform accepted the token and listed responses of form {}",
        s.form_id
    ))
}

/// The value of one answer: it sits under the key its `type` names.
fn answer_value(a: &Value) -> Value {
    let t = a.get("type").and_then(Value::as_str).unwrap_or("");
    let v = a.get(t).cloned().unwrap_or(Value::Null);
    match t {
        "choice" => v
            .get("label")
            .or_else(|| v.get("other"))
            .cloned()
            .unwrap_or(Value::Null),
        "choices" => {
            let mut labels: Vec<Value> = v
                .get("labels")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(o) = v.get("other") {
                labels.push(o.clone());
            }
            Value::Array(labels)
        }
        _ => v,
    }
}

fn map_responses(items: Vec<Value>, form_id: &str, w: &Window) -> Batch {
    let mut batch = Batch::default();
    let mut newest = None;
    for item in items {
        let id = item
            .get("response_id")
            .or_else(|| item.get("token"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(id) = id.filter(|i| !i.is_empty()) else {
            batch
                .ignored
                .push("a response without response_id or token".into());
            continue;
        };
        let Some(at) = map::time(item.get("submitted_at")) else {
            batch
                .ignored
                .push(format!("response {id}: not submitted (a partial response)"));
            continue;
        };
        newest = newest.max(Some(at));
        let mut answers = Map::new();
        let mut email = None;
        for a in item
            .get("answers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let key = a
                .pointer("/field/ref")
                .or_else(|| a.pointer("/field/id"))
                .and_then(Value::as_str);
            let value = answer_value(a);
            if email.is_none() && a.get("type").and_then(Value::as_str) == Some("email") {
                email = value.as_str().map(str::to_string);
            }
            if let Some(key) = key {
                answers.insert(key.to_string(), value);
            }
        }
        let hidden = item.get("hidden").cloned().unwrap_or(json!({}));
        let contact = map::email([
            email.as_deref(),
            hidden.get("email").and_then(Value::as_str),
        ]);
        let mut p = json!({
            "form_id": form_id,
            "response_id": id,
            "answers": answers,
            "hidden": hidden,
        });
        if let Some(l) = item.get("landed_at") {
            p["landed_at"] = l.clone();
        }
        if let Some(score) = item.pointer("/calculated/score") {
            p["score"] = score.clone();
        }
        batch.items.push(Incoming::new(map::event(
            types::FORM_SUBMITTED,
            contact,
            p,
            at,
            &w.source,
            id,
        )));
    }
    batch.items.sort_by_key(|i| i.event.occurred_at);
    batch.cursor = w.advance(newest, crate::provider::TYPEFORM.overlap());
    batch
}
