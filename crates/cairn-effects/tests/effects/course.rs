//! Course access on course platforms: Thinkific (a stateful loopback school,
//! `cairn_connectors::testing`) and Teachable (wiremock answering in the API
//! v1 shapes of developers.teachable.com: Users, Enroll, Unenroll).
//! Enrolling finds or creates the user by email, an existing enrollment is
//! success (so a resend after a crash enrolls no one twice), the platform's
//! answer is the outcome's detail and its ids land on the local row.

use cairn_connectors::SourceSettings;
use cairn_connectors::testing::{FakeThinkific, THINKIFIC_KEY, THINKIFIC_SUBDOMAIN};
use cairn_engine::SendOutcome;
use cairn_model::Sensitive;
use cairn_model::account::AccountKind;
use cairn_model::contact::ContactStatus;
use cairn_model::effect::{CourseAccess, Effect};
use cairn_store::contacts::ContactInput;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn add_platform(w: &mut World, kind: AccountKind, settings: serde_json::Value, key: &str) {
    let s = SourceSettings::parse(kind, &settings, "School").unwrap();
    cairn_connectors::accounts::add(
        &mut w.store,
        &w.vault,
        "School",
        &s,
        None,
        Some(Sensitive::new(key.to_string())),
        t0(),
    )
    .unwrap();
}

/// Ada, enrolled locally in "Program A" (as the engine does before it
/// queues the platform's part); returns her contact id.
fn ada(w: &mut World, platform_course_id: &str) -> i64 {
    w.store
        .link_course("Program A", Some(("School", platform_course_id)), t0())
        .unwrap();
    let c = w
        .store
        .upsert_contact(
            &ContactInput {
                email: "ada@example.com".into(),
                name: Some("Ada Lovelace".into()),
                status: Some(ContactStatus::Subscribed),
                timezone: None,
                fields: Default::default(),
                tags: vec![],
                is_test: false,
            },
            t0(),
        )
        .unwrap();
    w.store
        .write(|tx| cairn_store::deals::enroll_using(tx, c.id, "Program A", t0()))
        .unwrap();
    c.id
}

fn access(platform_course_id: &str, enroll: bool, contact: i64) -> Effect {
    Effect::Course(CourseAccess {
        account: "School".into(),
        course: "Program A".into(),
        platform_course_id: platform_course_id.into(),
        enroll,
        email: "ada@example.com".into(),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        contact_id: Some(contact),
    })
}

fn sent(o: SendOutcome) -> String {
    match o {
        SendOutcome::Sent { detail: Some(d) } => d,
        other => panic!("expected Sent with the platform's answer, got {other:?}"),
    }
}

#[tokio::test]
async fn thinkific_enrolls_once_creates_the_user_and_ends_access() {
    let school = FakeThinkific::start().await;
    let mut w = World::new();
    add_platform(
        &mut w,
        AccountKind::Thinkific,
        json!({"subdomain": THINKIFIC_SUBDOMAIN, "base_url": school.uri()}),
        THINKIFIC_KEY,
    );
    let id = ada(&mut w, "8801");
    let fx = w.effects();

    let d = sent(fx.deliver(&entry(1, access("8801", true, id)), t0()).await);
    assert!(d.starts_with("Thinkific: enrolled, enrollment "), "{d}");
    assert!(d.contains("created user"), "{d}");
    let users = school.users();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (
            users[0].email.as_str(),
            users[0].first_name.as_str(),
            users[0].last_name.as_str()
        ),
        ("ada@example.com", "Ada", "Lovelace")
    );
    let e = school.enrollments();
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].user_id, e[0].course_id), (users[0].id, 8801));
    assert_eq!(
        w.store.platform_ids(id, "Program A").unwrap(),
        Some((Some(users[0].id.to_string()), Some(e[0].id.to_string()))),
        "the platform's ids on the local row"
    );

    // The same entry again (a resend after a crash): nothing new.
    let mut again = entry(1, access("8801", true, id));
    again.possibly_duplicated = true;
    let d = sent(fx.deliver(&again, t0()).await);
    assert!(d.contains("already enrolled"), "{d}");
    assert_eq!(school.posted_enrollments(), 1);
    assert_eq!(school.users().len(), 1);

    // Unenroll: Thinkific ends access by expiring the enrollment.
    let d = sent(fx.deliver(&entry(2, access("8801", false, id)), t0()).await);
    assert!(d.contains("access ended"), "{d}");
    assert!(school.enrollments()[0].expiry_date.is_some());
    // Enrolled again later: the expired enrollment is re-opened.
    let later = t0() + chrono::Duration::hours(1);
    let d = sent(fx.deliver(&entry(3, access("8801", true, id)), later).await);
    assert!(d.contains("re-activated"), "{d}");
    assert_eq!(school.enrollments().len(), 1);
    assert_eq!(school.enrollments()[0].expiry_date, None);
}

#[tokio::test]
async fn a_refused_thinkific_key_holds_the_account() {
    let school = FakeThinkific::start().await;
    let mut w = World::new();
    add_platform(
        &mut w,
        AccountKind::Thinkific,
        json!({"subdomain": THINKIFIC_SUBDOMAIN, "base_url": school.uri()}),
        "a-wrong-key-0000",
    );
    let id = ada(&mut w, "8801");
    let o = w
        .effects()
        .deliver(&entry(1, access("8801", true, id)), t0())
        .await;
    let SendOutcome::AccountFault { account, error } = &o else {
        panic!("{o:?}")
    };
    assert_eq!(account, "School");
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(!error.contains("a-wrong-key-0000"), "{error}");
    assert!(school.users().is_empty());
}

#[tokio::test]
async fn teachable_creates_the_user_enrolls_and_skips_an_active_enrollment() {
    const KEY: &str = "teachable-test-key-0001";
    let server = MockServer::start().await;
    let key = || header("apiKey", KEY);
    // developers.teachable.com, Users: "List users" filtered by email.
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(query_param("email", "ada@example.com"))
        .and(key())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [],
            "meta": {"total": 0, "page": 1, "from": 0, "to": 0, "per_page": 20, "number_of_pages": 1}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(key())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [{"id": 5501, "email": "ada@example.com", "name": "Ada Lovelace"}],
            "meta": {"total": 1, "page": 1, "from": 1, "to": 1, "per_page": 20, "number_of_pages": 1}
        })))
        .mount(&server)
        .await;
    // Users: "Create a user".
    Mock::given(method("POST"))
        .and(path("/v1/users"))
        .and(body_json(
            json!({"email": "ada@example.com", "name": "Ada Lovelace"}),
        ))
        .and(key())
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 5501, "email": "ada@example.com", "name": "Ada Lovelace"
        })))
        .expect(1)
        .mount(&server)
        .await;
    // Users: "Fetch a specific user" lists their courses.
    Mock::given(method("GET"))
        .and(path("/v1/users/5501"))
        .and(key())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 5501, "email": "ada@example.com", "name": "Ada Lovelace",
            "courses": [{"course_id": 301, "course_name": "Program A", "enrolled_at": "2026-03-02T08:30:00Z",
                         "is_active_enrollment": false, "completed_at": null, "percent_complete": 0}]
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/5501"))
        .and(key())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 5501, "email": "ada@example.com", "name": "Ada Lovelace",
            "courses": [{"course_id": 301, "course_name": "Program A", "enrolled_at": "2026-03-02T09:00:00Z",
                         "is_active_enrollment": true, "completed_at": null, "percent_complete": 0}]
        })))
        .mount(&server)
        .await;
    // Enrollments: "Enroll a user into a course".
    Mock::given(method("POST"))
        .and(path("/v1/enroll"))
        .and(body_json(json!({"user_id": 5501, "course_id": 301})))
        .and(key())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;

    let mut w = World::new();
    add_platform(
        &mut w,
        AccountKind::Teachable,
        json!({"base_url": server.uri()}),
        KEY,
    );
    let id = ada(&mut w, "301");
    let fx = w.effects();
    let d = sent(fx.deliver(&entry(1, access("301", true, id)), t0()).await);
    assert_eq!(d, "Teachable: enrolled (created user 5501, course 301)");
    assert_eq!(
        w.store.platform_ids(id, "Program A").unwrap(),
        Some((Some("5501".into()), None))
    );
    // A resend finds the user and the active enrollment: no second POST.
    let d = sent(fx.deliver(&entry(1, access("301", true, id)), t0()).await);
    assert_eq!(d, "Teachable: already enrolled (user 5501, course 301)");
}
