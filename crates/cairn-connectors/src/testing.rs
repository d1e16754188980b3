//! A Thinkific school on loopback, for tests of this crate and the crates
//! built on it (the sender's enrollments, the crash test): a wiremock
//! server whose answers follow the Admin API reference
//! (developers.thinkific.com/api/api-documentation — Users:
//! `GET /users?query[email]`, `POST /users`; Enrollments:
//! `GET /enrollments?query[user_id]&query[course_id]&query[updated_after]`,
//! `POST /enrollments`, `PUT /enrollments/{id}`; Courses: `GET /courses`),
//! with lists as `{items, meta: {pagination: {current_page, next_page,
//! prev_page, total_pages, total_items, entries_info}}}`. Unlike a
//! scripted mock it keeps state: a user or enrollment it created is there
//! at the next request, as on the real school, so a resend finds what the
//! first send made.
//!
//! `hold_enrollments(true)` makes it record a new enrollment and then not
//! answer for ten minutes — the window between "sent" and "recorded" a
//! crash test kills the sender in.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The key and subdomain the fake school accepts.
pub const THINKIFIC_KEY: &str = "thinkific-test-key-0001";
pub const THINKIFIC_SUBDOMAIN: &str = "coach";

/// A user of the fake school.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeUser {
    pub id: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// An enrollment of the fake school.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeEnrollment {
    pub id: u64,
    pub user_id: u64,
    pub course_id: u64,
    /// 0 to 1, as Thinkific counts.
    pub percentage_completed: f64,
    pub completed_at: Option<String>,
    pub expiry_date: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Default)]
struct School {
    users: Vec<FakeUser>,
    enrollments: Vec<FakeEnrollment>,
    next_id: u64,
    hold: bool,
    posted_enrollments: usize,
}

/// The fake school; clone it freely (the state is shared).
#[derive(Clone)]
pub struct FakeThinkific {
    school: Arc<Mutex<School>>,
    server: Arc<MockServer>,
}

impl FakeThinkific {
    pub async fn start() -> FakeThinkific {
        let server = Arc::new(MockServer::start().await);
        let school = Arc::new(Mutex::new(School {
            next_id: 1000,
            ..School::default()
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Answer(school.clone()))
            .mount(&server)
            .await;
        FakeThinkific { school, server }
    }

    /// The server, for its request log.
    pub fn server(&self) -> Arc<MockServer> {
        self.server.clone()
    }

    /// The base URL to put in the account's settings.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    fn school(&self) -> std::sync::MutexGuard<'_, School> {
        self.school.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn hold_enrollments(&self, hold: bool) {
        self.school().hold = hold;
    }

    pub fn users(&self) -> Vec<FakeUser> {
        self.school().users.clone()
    }

    pub fn enrollments(&self) -> Vec<FakeEnrollment> {
        self.school().enrollments.clone()
    }

    /// How many `POST /enrollments` arrived.
    pub fn posted_enrollments(&self) -> usize {
        self.school().posted_enrollments
    }

    /// Adds a user and an enrollment made outside Cairn (or moves one on).
    pub fn set_progress(
        &self,
        email: &str,
        course_id: u64,
        fraction: f64,
        completed_at: Option<&str>,
        updated_at: &str,
    ) {
        let mut s = self.school();
        let uid = match s.users.iter().find(|u| u.email == email) {
            Some(u) => u.id,
            None => {
                s.next_id += 1;
                let id = s.next_id;
                s.users.push(FakeUser {
                    id,
                    email: email.into(),
                    first_name: "Student".into(),
                    last_name: "-".into(),
                });
                id
            }
        };
        if let Some(e) = s
            .enrollments
            .iter_mut()
            .find(|e| e.user_id == uid && e.course_id == course_id)
        {
            e.percentage_completed = fraction;
            e.completed_at = completed_at.map(str::to_string);
            e.updated_at = updated_at.into();
            return;
        }
        s.next_id += 1;
        let id = s.next_id;
        s.enrollments.push(FakeEnrollment {
            id,
            user_id: uid,
            course_id,
            percentage_completed: fraction,
            completed_at: completed_at.map(str::to_string),
            expiry_date: None,
            updated_at: updated_at.into(),
        });
    }
}

struct Answer(Arc<Mutex<School>>);

fn list(items: Vec<Value>) -> Value {
    let n = items.len();
    json!({
        "items": items,
        "meta": {"pagination": {
            "current_page": 1, "next_page": null, "prev_page": null,
            "total_pages": 1, "total_items": n,
            "entries_info": format!("1-{n} of {n}")
        }}
    })
}

fn user_json(u: &FakeUser) -> Value {
    json!({
        "id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
        "full_name": format!("{} {}", u.first_name, u.last_name),
        "created_at": "2026-03-02T08:00:00.000Z", "roles": [], "avatar_url": null,
        "bio": null, "company": null, "headline": null, "affiliate_code": null,
        "external_source": null, "custom_profile_fields": []
    })
}

fn enrollment_json(s: &School, e: &FakeEnrollment) -> Value {
    let user = s.users.iter().find(|u| u.id == e.user_id);
    json!({
        "id": e.id,
        "user_email": user.map(|u| u.email.clone()),
        "user_name": user.map(|u| format!("{} {}", u.first_name, u.last_name)),
        "user_id": e.user_id,
        "course_name": "Program A",
        "course_id": e.course_id,
        "percentage_completed": e.percentage_completed,
        "expired": false,
        "is_free_trial": false,
        "completed": e.completed_at.is_some(),
        "started_at": "2026-03-02T09:00:00.000Z",
        "activated_at": "2026-03-02T09:00:00.000Z",
        "completed_at": e.completed_at,
        "updated_at": e.updated_at,
        "expiry_date": e.expiry_date,
    })
}

fn query(r: &Request, key: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn number(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

impl Respond for Answer {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let key = r
            .headers
            .get("x-auth-api-key")
            .and_then(|v| v.to_str().ok());
        let sub = r
            .headers
            .get("x-auth-subdomain")
            .and_then(|v| v.to_str().ok());
        if key != Some(THINKIFIC_KEY) || sub != Some(THINKIFIC_SUBDOMAIN) {
            return ResponseTemplate::new(401).set_body_json(json!({"error": "Unauthorized"}));
        }
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let path = r.url.path().trim_end_matches('/').to_string();
        let method = r.method.as_str();
        match (method, path.as_str()) {
            ("GET", "/users") => {
                let email = query(r, "query[email]").unwrap_or_default();
                let items = s
                    .users
                    .iter()
                    .filter(|u| u.email.eq_ignore_ascii_case(&email))
                    .map(user_json)
                    .collect();
                ResponseTemplate::new(200).set_body_json(list(items))
            }
            ("POST", "/users") => {
                let email = body.get("email").and_then(Value::as_str).unwrap_or("");
                if s.users.iter().any(|u| u.email.eq_ignore_ascii_case(email)) {
                    return ResponseTemplate::new(422)
                        .set_body_json(json!({"errors": {"email": ["is already taken"]}}));
                }
                s.next_id += 1;
                let u = FakeUser {
                    id: s.next_id,
                    email: email.into(),
                    first_name: body["first_name"].as_str().unwrap_or("").into(),
                    last_name: body["last_name"].as_str().unwrap_or("").into(),
                };
                let j = user_json(&u);
                s.users.push(u);
                ResponseTemplate::new(201).set_body_json(j)
            }
            ("GET", "/enrollments") => {
                let user = query(r, "query[user_id]").and_then(|v| v.parse::<u64>().ok());
                let course = query(r, "query[course_id]").and_then(|v| v.parse::<u64>().ok());
                let after = query(r, "query[updated_after]");
                let items = s
                    .enrollments
                    .iter()
                    .filter(|e| user.is_none_or(|u| e.user_id == u))
                    .filter(|e| course.is_none_or(|c| e.course_id == c))
                    .filter(|e| after.as_deref().is_none_or(|a| e.updated_at.as_str() >= a))
                    .map(|e| enrollment_json(&s, e))
                    .collect();
                ResponseTemplate::new(200).set_body_json(list(items))
            }
            ("POST", "/enrollments") => {
                s.posted_enrollments += 1;
                let (Some(user_id), Some(course_id)) =
                    (number(&body, "user_id"), number(&body, "course_id"))
                else {
                    return ResponseTemplate::new(400)
                        .set_body_json(json!({"error": "user_id and course_id are required"}));
                };
                s.next_id += 1;
                let e = FakeEnrollment {
                    id: s.next_id,
                    user_id,
                    course_id,
                    percentage_completed: 0.0,
                    completed_at: None,
                    expiry_date: None,
                    updated_at: body["activated_at"].as_str().unwrap_or("").into(),
                };
                let j = enrollment_json(&s, &e);
                s.enrollments.push(e);
                let answer = ResponseTemplate::new(201).set_body_json(j);
                if s.hold {
                    answer.set_delay(Duration::from_secs(600))
                } else {
                    answer
                }
            }
            ("PUT", p) if p.starts_with("/enrollments/") => {
                let id: Option<u64> = p.rsplit('/').next().and_then(|i| i.parse().ok());
                match s.enrollments.iter_mut().find(|e| Some(e.id) == id) {
                    Some(e) => {
                        if let Some(x) = body.get("expiry_date") {
                            e.expiry_date = x.as_str().map(str::to_string);
                        }
                        ResponseTemplate::new(204)
                    }
                    None => ResponseTemplate::new(404).set_body_json(json!({"error": "Not found"})),
                }
            }
            ("GET", "/courses") => ResponseTemplate::new(200).set_body_json(list(vec![
                json!({"id": 8801, "name": "Program A", "slug": "program-a", "product_id": 77}),
            ])),
            _ => ResponseTemplate::new(404).set_body_json(json!({"error": "Not found"})),
        }
    }
}
