//! Thinkific: enroll and unenroll contacts, and poll their progress, over
//! the Admin API (developers.thinkific.com/api/api-documentation).
//!
//! Every request carries `X-Auth-API-Key` (the key, from the vault) and
//! `X-Auth-Subdomain` (the school's subdomain, a setting), against
//! `https://api.thinkific.com/api/public/v1`.
//!
//! - Enroll: the user by email (`GET /users?query[email]=…`, created with
//!   `POST /users` when missing), then their enrollment in the course
//!   (`GET /enrollments?query[user_id]=…&query[course_id]=…`): an active
//!   one is success as it is ("already enrolled"); otherwise
//!   `POST /enrollments {course_id, user_id, activated_at}`, or, for an
//!   expired one, `PUT /enrollments/{id}` reopening it. So a resend after a
//!   crash enrolls no one twice.
//! - Unenroll: Thinkific deletes no enrollment; access ends when the
//!   enrollment expires, so `PUT /enrollments/{id} {expiry_date: now}`.
//!   No user or no enrollment is success ("was not enrolled").
//! - Progress: `GET /enrollments?query[course_id]=…&query[updated_after]=…`
//!   per linked course, page by page (`meta.pagination.next_page`);
//!   `percentage_completed` counts from 0 to 1, `completed_at` marks a
//!   completion.

use cairn_model::Timestamp;
use cairn_model::effect::CourseAccess;
use reqwest::{RequestBuilder, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::batch::{Batch, Window};
use crate::course_progress::{self, AccessChange, Reading, id_of};
use crate::error::ConnectorError;
use crate::http::Api;

pub const DEFAULT_BASE_URL: &str = "https://api.thinkific.com/api/public/v1";
const PAGE: usize = 250;
const MAX_PAGES: u32 = 400;

/// A Thinkific account's settings (the API key is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThinkificSettings {
    /// The school's subdomain (`coach` for coach.thinkific.com).
    pub subdomain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl ThinkificSettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let s = &self.subdomain;
        if s.is_empty() || s.len() > 63 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConnectorError::invalid(
                account,
                "subdomain",
                format!("{s:?} is not a subdomain such as coach (from coach.thinkific.com)"),
            ));
        }
        self.url(account, "users").map(|_| ())
    }

    fn url(&self, account: &str, path: &str) -> Result<Url, ConnectorError> {
        crate::settings::base_url(account, self.base_url.as_deref(), DEFAULT_BASE_URL)?
            .join(path)
            .map_err(|e| ConnectorError::invalid(account, "base_url", e.to_string()))
    }
}

fn auth(api: &Api<'_>, s: &ThinkificSettings, req: RequestBuilder) -> RequestBuilder {
    req.header("X-Auth-API-Key", api.secret.expose())
        .header("X-Auth-Subdomain", &s.subdomain)
        .header("Accept", "application/json")
}

#[derive(Deserialize)]
struct List {
    items: Vec<Value>,
    #[serde(default)]
    meta: Value,
}

async fn list(
    api: &mut Api<'_>,
    s: &ThinkificSettings,
    path: &str,
    query: &[(&str, String)],
) -> Result<List, ConnectorError> {
    let mut url = s.url(api.account, path)?;
    url.query_pairs_mut().extend_pairs(query);
    let reply = api.send(auth(api, s, api.client.get(url))).await?;
    api.json(&reply)
}

async fn send_json(
    api: &mut Api<'_>,
    s: &ThinkificSettings,
    req: RequestBuilder,
) -> Result<Value, ConnectorError> {
    let reply = api.send(auth(api, s, req)).await?;
    if reply.body.is_empty() {
        return Ok(Value::Null);
    }
    api.json(&reply)
}

/// The user with `email`, created when missing: (id, created).
async fn user(
    api: &mut Api<'_>,
    s: &ThinkificSettings,
    a: &CourseAccess,
    create: bool,
) -> Result<Option<(String, bool)>, ConnectorError> {
    let found = list(api, s, "users", &[("query[email]", a.email.clone())]).await?;
    let existing = found.items.iter().find(|u| {
        u.get("email")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case(&a.email))
    });
    if let Some(u) = existing {
        let id = id_of(u.get("id")).ok_or_else(|| api.bad("a user without a usable id"))?;
        return Ok(Some((id, false)));
    }
    if !create {
        return Ok(None);
    }
    // Thinkific requires both names; the email's local part stands in.
    let local = a.email.split('@').next().unwrap_or("Student").to_string();
    let body = json!({
        "email": a.email,
        "first_name": a.first_name.clone().unwrap_or(local),
        "last_name": a.last_name.clone().unwrap_or_else(|| "-".into()),
    });
    let url = s.url(api.account, "users")?;
    let u = send_json(api, s, api.client.post(url).json(&body)).await?;
    let id = id_of(u.get("id")).ok_or_else(|| api.bad("the new user has no usable id"))?;
    Ok(Some((id, true)))
}

fn active(e: &Value, now: Timestamp) -> bool {
    let expired = e.get("expired").and_then(Value::as_bool).unwrap_or(false);
    let expiry = crate::map::time(e.get("expiry_date"));
    !expired && expiry.is_none_or(|t| t > now)
}

/// Enrolls or unenrolls `a` (see the module docs).
pub async fn set_access(
    api: &mut Api<'_>,
    s: &ThinkificSettings,
    a: &CourseAccess,
    now: Timestamp,
) -> Result<AccessChange, ConnectorError> {
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let Some((user_id, created)) = user(api, s, a, a.enroll).await? else {
        return Ok(AccessChange {
            user_id: None,
            enrollment_id: None,
            answer: format!("Thinkific: {} has no user, so was not enrolled", a.email),
        });
    };
    let found = list(
        api,
        s,
        "enrollments",
        &[
            ("query[user_id]", user_id.clone()),
            ("query[course_id]", a.platform_course_id.clone()),
        ],
    )
    .await?;
    let existing = found.items.first();
    let existing_id = existing.and_then(|e| id_of(e.get("id")));
    let user_note = if created { "created user" } else { "user" };
    let change = |enrollment_id: Option<String>, what: &str| AccessChange {
        user_id: Some(user_id.clone()),
        enrollment_id,
        answer: format!(
            "Thinkific: {what} ({user_note} {user_id}, course {})",
            a.platform_course_id
        ),
    };
    match (a.enroll, existing, existing_id) {
        (true, Some(e), Some(id)) if active(e, now) => Ok(change(
            Some(id.clone()),
            &format!("already enrolled, enrollment {id}"),
        )),
        (true, Some(_), Some(id)) => {
            let url = s.url(api.account, &format!("enrollments/{id}"))?;
            let body = json!({"activated_at": stamp, "expiry_date": null});
            send_json(api, s, api.client.put(url).json(&body)).await?;
            Ok(change(
                Some(id.clone()),
                &format!("re-activated enrollment {id}"),
            ))
        }
        (true, _, _) => {
            let url = s.url(api.account, "enrollments")?;
            let body = json!({
                "course_id": a.platform_course_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(a.platform_course_id.clone())),
                "user_id": user_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(user_id.clone())),
                "activated_at": stamp,
            });
            let e = send_json(api, s, api.client.post(url).json(&body)).await?;
            let id = id_of(e.get("id"));
            let what = match &id {
                Some(i) => format!("enrolled, enrollment {i}"),
                None => "enrolled".into(),
            };
            Ok(change(id, &what))
        }
        (false, Some(e), Some(id)) if active(e, now) => {
            let url = s.url(api.account, &format!("enrollments/{id}"))?;
            let body = json!({"expiry_date": stamp});
            send_json(api, s, api.client.put(url).json(&body)).await?;
            Ok(change(
                Some(id.clone()),
                &format!("access ended, enrollment {id} expired"),
            ))
        }
        (false, _, id) => Ok(change(id, "was not enrolled")),
    }
}

/// Progress and completions of the linked courses since the window began.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &ThinkificSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let mut batch = Batch::default();
    let mut newest = None;
    for course in &w.courses {
        let mut page = 1u32;
        loop {
            let l = list(
                api,
                s,
                "enrollments",
                &[
                    ("query[course_id]", course.platform_course_id.clone()),
                    (
                        "query[updated_after]",
                        w.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                    ("page", page.to_string()),
                    ("limit", PAGE.to_string()),
                ],
            )
            .await?;
            for e in &l.items {
                match reading(e, w.now) {
                    Ok(r) => {
                        newest = newest.max(Some(r.at));
                        course_progress::push_events(&mut batch, course, &r, &w.source);
                    }
                    Err(why) => batch.ignored.push(format!("{}: {why}", course.course)),
                }
            }
            let next = l
                .meta
                .pointer("/pagination/next_page")
                .and_then(Value::as_u64);
            match next {
                Some(n) if n > u64::from(page) && page < MAX_PAGES && !l.items.is_empty() => {
                    page = n as u32
                }
                _ => break,
            }
        }
    }
    batch.items.sort_by_key(|i| i.event.occurred_at);
    batch.cursor = w.advance(newest, crate::provider::THINKIFIC.overlap());
    Ok(batch)
}

fn reading(e: &Value, now: Timestamp) -> Result<Reading, String> {
    let user_id = id_of(e.get("user_id")).ok_or("an enrollment without a usable user_id")?;
    let percent = course_progress::percent(e.get("percentage_completed"), true)
        .ok_or_else(|| format!("user {user_id}: percentage_completed is not 0 to 1"))?;
    let completed = e.get("completed").and_then(Value::as_bool).unwrap_or(false);
    let completed_at = crate::map::time(e.get("completed_at"))
        .or_else(|| completed.then_some(now))
        .filter(|_| completed || e.get("completed_at").is_some_and(|v| !v.is_null()));
    Ok(Reading {
        email: e
            .get("user_email")
            .and_then(Value::as_str)
            .map(str::to_string),
        at: crate::map::time(e.get("updated_at")).unwrap_or(now),
        user_id,
        percent,
        completed_at,
    })
}

/// One cheap request that proves the key and subdomain.
pub async fn probe(api: &mut Api<'_>, s: &ThinkificSettings) -> Result<String, ConnectorError> {
    let _ = list(api, s, "courses", &[("limit", "1".into())]).await?;
    Ok(format!(
        "Thinkific accepted the API key for {} and listed its courses",
        s.subdomain
    ))
}
