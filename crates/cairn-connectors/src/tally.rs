//! Tally: form submissions from its API, polled (no webhook can reach a
//! laptop).
//!
//! `GET /forms/{formId}/submissions?filter=completed&startDate=…&page=N`
//! with an API key as a Bearer token (developers.tally.so/api-reference/
//! endpoint/forms/submissions/list); pages follow while `hasMore` is true.
//! Each page carries the form's `questions` (id, type, title) beside the
//! `submissions` (id, isCompleted, submittedAt, responses of
//! `{questionId, value}`).
//!
//! Each completed submission becomes `form.submitted` at its
//! `submittedAt`, keyed by its `id`. Payload: `form_id`, `response_id`,
//! `answers` keyed the way Typeform's are: by the readable name the coach
//! gave the field — for Tally, the question's title (Typeform's `ref`);
//! a question without a title is keyed by its id — with the value as
//! Tally gives it. The contact is the first answer to an `INPUT_EMAIL`
//! question, else an answer keyed `email`.

use cairn_model::event::types;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::batch::{Batch, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::Api;
use crate::map;

pub const DEFAULT_BASE_URL: &str = "https://api.tally.so";
const MAX_PAGES: u32 = 1000;
/// The longest question title kept as an answer's key.
const MAX_KEY_CHARS: usize = 200;

/// A Tally account's settings (the API key is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallySettings {
    /// The id in the form's URL (`tally.so/r/wMDxQr` → `wMDxQr`).
    pub form_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl TallySettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let f = &self.form_id;
        if f.is_empty() || f.len() > 64 || !f.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConnectorError::invalid(
                account,
                "form_id",
                format!("{f:?} is not a form id such as wMDxQr (the last part of the form's URL)"),
            ));
        }
        self.submissions_url(account).map(|_| ())
    }

    fn submissions_url(&self, account: &str) -> Result<Url, ConnectorError> {
        crate::settings::base_url(account, self.base_url.as_deref(), DEFAULT_BASE_URL)?
            .join(&format!("forms/{}/submissions", self.form_id))
            .map_err(|e| ConnectorError::invalid(account, "form_id", e.to_string()))
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default, rename = "hasMore")]
    has_more: bool,
    #[serde(default)]
    questions: Vec<Value>,
    submissions: Vec<Value>,
}

/// Reads the completed submissions of the window.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &TallySettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let base = s.submissions_url(api.account)?;
    let mut questions: Vec<Value> = Vec::new();
    let mut submissions: Vec<Value> = Vec::new();
    for page in 1..=MAX_PAGES {
        let mut url = base.clone();
        url.query_pairs_mut()
            .append_pair("filter", "completed")
            .append_pair(
                "startDate",
                &w.since.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            )
            .append_pair("page", &page.to_string());
        let reply = api
            .get(api.client.get(url).bearer_auth(api.secret.expose()))
            .await?;
        let p: Page = api.json(&reply)?;
        questions.extend(p.questions);
        let empty = p.submissions.is_empty();
        submissions.extend(p.submissions);
        if !p.has_more || empty {
            return Ok(map_submissions(&questions, submissions, &s.form_id, w));
        }
    }
    Err(api.bad(format!(
        "more than {MAX_PAGES} pages of submissions in one window; the poll stopped"
    )))
}

/// One cheap request that proves the key can read the form's submissions.
pub async fn probe(api: &mut Api<'_>, s: &TallySettings) -> Result<String, ConnectorError> {
    let mut url = s.submissions_url(api.account)?;
    url.query_pairs_mut().append_pair("page", "1");
    let reply = api
        .get(api.client.get(url).bearer_auth(api.secret.expose()))
        .await?;
    let _: Page = api.json(&reply)?;
    Ok(format!(
        "Tally accepted the API key and listed submissions of form {}",
        s.form_id
    ))
}

/// A question's key and whether it asks for an email.
struct Question {
    key: String,
    is_email: bool,
}

fn question(q: &Value) -> Option<(String, Question)> {
    let id = q.get("id").and_then(Value::as_str)?.to_string();
    let title = q
        .get("title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| {
            !t.is_empty() && t.chars().count() <= MAX_KEY_CHARS && !t.chars().any(char::is_control)
        });
    let key = title.map_or_else(|| id.clone(), str::to_string);
    let is_email = q.get("type").and_then(Value::as_str) == Some("INPUT_EMAIL");
    Some((id, Question { key, is_email }))
}

fn map_submissions(questions: &[Value], items: Vec<Value>, form_id: &str, w: &Window) -> Batch {
    let by_id: std::collections::HashMap<String, Question> =
        questions.iter().filter_map(question).collect();
    let mut batch = Batch::default();
    let mut newest = None;
    for item in items {
        let Some(id) = item
            .get("id")
            .and_then(Value::as_str)
            .filter(|i| !i.is_empty() && !i.chars().any(char::is_control))
            .map(str::to_string)
        else {
            batch.ignored.push("a submission without an id".into());
            continue;
        };
        if item.get("isCompleted").and_then(Value::as_bool) == Some(false) {
            batch.ignored.push(format!(
                "submission {id}: not completed (a partial submission)"
            ));
            continue;
        }
        let Some(at) = map::time(item.get("submittedAt")) else {
            batch
                .ignored
                .push(format!("submission {id}: no valid submittedAt"));
            continue;
        };
        newest = newest.max(Some(at));
        let mut answers = Map::new();
        let mut email = None;
        for r in item
            .get("responses")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(qid) = r.get("questionId").and_then(Value::as_str) else {
                continue;
            };
            let value = r.get("value").cloned().unwrap_or(Value::Null);
            let q = by_id.get(qid);
            if email.is_none() && q.is_some_and(|q| q.is_email) {
                email = value.as_str().map(str::to_string);
            }
            let key = q.map_or(qid, |q| q.key.as_str());
            answers.insert(key.to_string(), value);
        }
        let keyed_email = answers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("email"))
            .and_then(|(_, v)| v.as_str());
        let contact = map::email([email.as_deref(), keyed_email]);
        let p = json!({
            "form_id": form_id,
            "response_id": id,
            "answers": answers,
        });
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
    batch.cursor = w.advance(newest, crate::provider::TALLY.overlap());
    batch
}
