//! Teachable: enroll and unenroll contacts, and poll their progress, over
//! the public API v1 (developers.teachable.com, `https://developers.
//! teachable.com/v1`, the API key in an `apiKey` header).
//!
//! - Enroll: the user by email (`GET /v1/users?email=…`, created with
//!   `POST /v1/users {email, name}` when missing); their courses
//!   (`GET /v1/users/{id}`, each with `is_active_enrollment`): an active
//!   enrollment in the course is success as it is ("already enrolled"),
//!   else `POST /v1/enroll {user_id, course_id}`. So a resend after a crash
//!   enrolls no one twice.
//! - Unenroll: `POST /v1/unenroll {user_id, course_id}` when the enrollment
//!   is active; no user or no active enrollment is success.
//! - Progress: `GET /v1/courses/{id}/enrollments?page=N&per=100` per linked
//!   course (`meta.number_of_pages`); `percent_complete` counts 0 to 100,
//!   `completed_at` marks a completion. The list names users by id only, so
//!   each user with progress is looked up once per poll (`GET
//!   /v1/users/{id}`) for their email. Teachable offers no "changed since"
//!   filter: every poll reads the whole list, and the event log's dedupe key
//!   (course, user, percentage) keeps it from repeating anything.

use std::collections::HashMap;

use cairn_model::Timestamp;
use cairn_model::effect::CourseAccess;
use reqwest::{RequestBuilder, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::batch::{Batch, Window};
use crate::course_progress::{self, AccessChange, Reading, id_of};
use crate::error::ConnectorError;
use crate::http::Api;

pub const DEFAULT_BASE_URL: &str = "https://developers.teachable.com";
const PER: usize = 100;
const MAX_PAGES: u64 = 400;

/// A Teachable account's settings (the API key is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeachableSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl TeachableSettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        self.url(account, "v1/users").map(|_| ())
    }

    fn url(&self, account: &str, path: &str) -> Result<Url, ConnectorError> {
        crate::settings::base_url(account, self.base_url.as_deref(), DEFAULT_BASE_URL)?
            .join(path)
            .map_err(|e| ConnectorError::invalid(account, "base_url", e.to_string()))
    }
}

fn auth(api: &Api<'_>, req: RequestBuilder) -> RequestBuilder {
    req.header("apiKey", api.secret.expose())
        .header("Accept", "application/json")
}

async fn get(
    api: &mut Api<'_>,
    s: &TeachableSettings,
    path: &str,
    query: &[(&str, String)],
) -> Result<Value, ConnectorError> {
    let mut url = s.url(api.account, path)?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    let reply = api.send(auth(api, api.client.get(url))).await?;
    api.json(&reply)
}

async fn post(
    api: &mut Api<'_>,
    s: &TeachableSettings,
    path: &str,
    body: &Value,
) -> Result<Value, ConnectorError> {
    let url = s.url(api.account, path)?;
    let reply = api.send(auth(api, api.client.post(url).json(body))).await?;
    if reply.body.is_empty() {
        return Ok(Value::Null);
    }
    api.json(&reply)
}

#[derive(Deserialize)]
struct Users {
    users: Vec<Value>,
}

/// Enrolls or unenrolls `a` (see the module docs).
pub async fn set_access(
    api: &mut Api<'_>,
    s: &TeachableSettings,
    a: &CourseAccess,
    _now: Timestamp,
) -> Result<AccessChange, ConnectorError> {
    let found: Users =
        serde_json::from_value(get(api, s, "v1/users", &[("email", a.email.clone())]).await?)
            .map_err(|e| {
                api.bad(format!(
                    "the users list does not fit the documented shape: {e}"
                ))
            })?;
    let existing = found.users.iter().find(|u| {
        u.get("email")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case(&a.email))
    });
    let (user_id, created) = match existing {
        Some(u) => (
            id_of(u.get("id")).ok_or_else(|| api.bad("a user without a usable id"))?,
            false,
        ),
        None if !a.enroll => {
            return Ok(AccessChange {
                user_id: None,
                enrollment_id: None,
                answer: format!("Teachable: {} has no user, so was not enrolled", a.email),
            });
        }
        None => {
            let name = match (&a.first_name, &a.last_name) {
                (Some(f), Some(l)) => format!("{f} {l}"),
                (Some(f), None) => f.clone(),
                _ => a.email.split('@').next().unwrap_or("Student").to_string(),
            };
            let u = post(api, s, "v1/users", &json!({"email": a.email, "name": name})).await?;
            let id = id_of(u.get("id"))
                .or_else(|| id_of(u.pointer("/user/id")))
                .ok_or_else(|| api.bad("the new user has no usable id"))?;
            (id, true)
        }
    };
    let detail = get(api, s, &format!("v1/users/{user_id}"), &[]).await?;
    let enrolled = detail
        .get("courses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .any(|c| {
            id_of(c.get("course_id")).as_deref() == Some(a.platform_course_id.as_str())
                && c.get("is_active_enrollment").and_then(Value::as_bool) == Some(true)
        });
    let body = json!({
        "user_id": user_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(user_id.clone())),
        "course_id": a.platform_course_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(a.platform_course_id.clone())),
    });
    let what = match (a.enroll, enrolled) {
        (true, true) => "already enrolled",
        (true, false) => {
            post(api, s, "v1/enroll", &body).await?;
            "enrolled"
        }
        (false, true) => {
            post(api, s, "v1/unenroll", &body).await?;
            "unenrolled"
        }
        (false, false) => "was not enrolled",
    };
    let user_note = if created { "created user" } else { "user" };
    Ok(AccessChange {
        answer: format!(
            "Teachable: {what} ({user_note} {user_id}, course {})",
            a.platform_course_id
        ),
        user_id: Some(user_id),
        enrollment_id: None,
    })
}

/// Progress and completions of the linked courses.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &TeachableSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let mut batch = Batch::default();
    let mut emails: HashMap<String, Option<String>> = HashMap::new();
    for course in &w.courses {
        let mut page = 1u64;
        loop {
            let l = get(
                api,
                s,
                &format!("v1/courses/{}/enrollments", course.platform_course_id),
                &[("page", page.to_string()), ("per", PER.to_string())],
            )
            .await?;
            let items = l
                .get("enrollments")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| api.bad("the answer has no enrollments list"))?;
            for e in &items {
                let r = match reading(e, w.now) {
                    Ok(r) => r,
                    Err(why) => {
                        batch.ignored.push(format!("{}: {why}", course.course));
                        continue;
                    }
                };
                if r.percent <= 0.0 && r.completed_at.is_none() {
                    continue;
                }
                let email = match emails.get(&r.user_id) {
                    Some(e) => e.clone(),
                    None => {
                        let u = get(api, s, &format!("v1/users/{}", r.user_id), &[]).await?;
                        let e = u.get("email").and_then(Value::as_str).map(str::to_string);
                        emails.insert(r.user_id.clone(), e.clone());
                        e
                    }
                };
                let r = Reading { email, ..r };
                course_progress::push_events(&mut batch, course, &r, &w.source);
            }
            let pages = l
                .pointer("/meta/number_of_pages")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if page >= pages.min(MAX_PAGES) || items.is_empty() {
                break;
            }
            page += 1;
        }
    }
    batch.items.sort_by_key(|i| i.event.occurred_at);
    batch.cursor = w.advance(Some(w.now), crate::provider::TEACHABLE.overlap());
    Ok(batch)
}

fn reading(e: &Value, now: Timestamp) -> Result<Reading, String> {
    let user_id = id_of(e.get("user_id")).ok_or("an enrollment without a usable user_id")?;
    let percent = course_progress::percent(e.get("percent_complete"), false)
        .ok_or_else(|| format!("user {user_id}: percent_complete is not 0 to 100"))?;
    Ok(Reading {
        email: None,
        completed_at: crate::map::time(e.get("completed_at")),
        at: now,
        user_id,
        percent,
    })
}

/// One cheap request that proves the key.
pub async fn probe(api: &mut Api<'_>, s: &TeachableSettings) -> Result<String, ConnectorError> {
    let _ = get(api, s, "v1/courses", &[("per", "1".into())]).await?;
    Ok("Teachable accepted the API key and listed the school's courses".into())
}
