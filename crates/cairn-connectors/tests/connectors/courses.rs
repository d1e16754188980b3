//! Course platforms polled for progress: Thinkific (a stateful loopback
//! school, `cairn_connectors::testing`, answering as the Admin API
//! reference shows) and Teachable (wiremock, the API v1 shapes). Each new
//! percentage is one `course.progress`, a completion one
//! `course.completed`, re-reading changes nothing, a hostile number fails
//! its record alone — and the existing triggers fire from them.

use cairn_connectors::SyncOutcome;
use cairn_connectors::testing::{FakeThinkific, THINKIFIC_KEY, THINKIFIC_SUBDOMAIN};
use cairn_engine::Engine;
use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn thinkific_progress_and_completions_become_course_events_that_fire_triggers() {
    let school = FakeThinkific::start().await;
    let mut b = Bench::new();
    b.add(
        "School",
        json!({"kind": "thinkific", "subdomain": THINKIFIC_SUBDOMAIN, "base_url": school.uri()}),
        Some(THINKIFIC_KEY),
    );
    b.store
        .link_course("Program A", Some(("School", "8801")), t0())
        .unwrap();
    school.set_progress("ada@example.com", 8801, 0.5, None, "2026-03-02T09:00:00Z");
    school.set_progress(
        "bo@example.com",
        8801,
        1.0,
        Some("2026-03-02T09:30:00Z"),
        "2026-03-02T09:30:00Z",
    );
    // Hostile: 700 % fails this record alone.
    school.set_progress("eve@example.com", 8801, 7.0, None, "2026-03-02T09:40:00Z");
    // A course Cairn does not know is not read.
    school.set_progress("ada@example.com", 9999, 0.9, None, "2026-03-02T09:00:00Z");
    // A workflow on completions, as a coach would have.
    let wf = json!({
        "format": "cairn.workflow", "version": 1, "name": "Finished",
        "nodes": [
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.course_completed", "config": {"course": "Program A"}},
            {"id": "a", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "graduate"}}
        ],
        "edges": [{"from": "t", "exit": "next", "to": "a"}]
    });
    let out = b
        .store
        .import_workflow(&wf.to_string(), false, t0())
        .unwrap();
    b.store
        .set_workflow_status(&out.name, WorkflowStatus::Active, t0())
        .unwrap();

    b.clock.set(at(10, 0, 0));
    let r = b.sync("School").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!((r.new, r.ignored), (3, 1), "{r:?}");
    let evs = b.events("thinkific:school");
    let seen: Vec<(String, String, serde_json::Value)> = evs
        .iter()
        .map(|e| {
            let c = b.store.contact(e.contact_id.unwrap()).unwrap().unwrap();
            (e.event_type.clone(), c.email, e.payload["percent"].clone())
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "course.progress".into(),
                "ada@example.com".into(),
                json!(50)
            ),
            (
                "course.progress".into(),
                "bo@example.com".into(),
                json!(100)
            ),
            (
                "course.completed".into(),
                "bo@example.com".into(),
                json!(100)
            ),
        ]
    );
    assert_eq!(evs[0].payload["course"], "Program A");
    let reqs = requests_to(&school.server(), "/enrollments").await;
    assert_eq!(param(&reqs[0], "query[course_id]").as_deref(), Some("8801"));
    assert_eq!(
        param(&reqs[0], "query[updated_after]").as_deref(),
        Some("2026-03-02T08:00:00Z")
    );

    // Re-reading changes nothing; a new percentage is one new event.
    b.clock.set(at(10, 5, 0));
    let r = b.sync("School").await;
    assert_eq!(r.new, 0, "{r:?}");
    school.set_progress("ada@example.com", 8801, 0.8, None, "2026-03-02T10:10:00Z");
    b.clock.set(at(10, 15, 0));
    let r = b.sync("School").await;
    assert_eq!(r.new, 1, "{r:?}");

    // Ada was not enrolled by Cairn: no local row to move. Enrolled
    // locally, her next reading moves it.
    let ada = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert!(b.store.enrollments_of_contact(ada.id).unwrap().is_empty());
    b.store
        .write(|tx| cairn_store::deals::enroll_using(tx, ada.id, "Program A", at(10, 15, 0)))
        .unwrap();
    school.set_progress("ada@example.com", 8801, 0.9, None, "2026-03-02T10:20:00Z");
    b.clock.set(at(10, 25, 0));
    assert_eq!(b.sync("School").await.new, 1);
    assert_eq!(
        b.store.enrollments_of_contact(ada.id).unwrap()[0].progress,
        90
    );

    // The existing trigger fires from the polled completion.
    let mut engine = Engine::new(Store::open(&b.path).unwrap());
    engine.tick(at(10, 25, 0)).unwrap();
    let bo = b.store.contact_by_email("bo@example.com").unwrap().unwrap();
    assert_eq!(bo.tags, vec!["graduate".to_string()]);
    let ada = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert!(ada.tags.is_empty());
}

#[tokio::test]
async fn teachable_progress_is_read_with_each_users_email() {
    const KEY: &str = "teachable-test-key-0001";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/courses/301/enrollments"))
        .and(query_param("page", "1"))
        .and(header("apiKey", KEY))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("teachable_course_enrollments.json", &[])),
        )
        .mount(&server)
        .await;
    for (id, email) in [(5501, "ada@example.com"), (5502, "bo@example.com")] {
        // developers.teachable.com, Users: "Fetch a specific user".
        Mock::given(method("GET"))
            .and(path(format!("/v1/users/{id}")))
            .and(header("apiKey", KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": id, "email": email, "name": "Student", "courses": []
            })))
            .expect(1..)
            .mount(&server)
            .await;
    }
    let mut b = Bench::new();
    b.add(
        "Academy",
        json!({"kind": "teachable", "base_url": server.uri()}),
        Some(KEY),
    );
    b.store
        .link_course("Program B", Some(("Academy", "301")), t0())
        .unwrap();
    b.clock.set(at(10, 0, 0));
    let r = b.sync("Academy").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!((r.new, r.ignored), (3, 1), "{r:?}");
    let evs = b.events("teachable:academy");
    let types: Vec<&str> = evs.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec!["course.completed", "course.progress", "course.progress"]
    );
    assert_eq!(
        evs[0].payload,
        json!({"course": "Program B", "percent": 100, "platform_user_id": "5502"})
    );
    let ada = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert!(
        evs.iter()
            .any(|e| e.contact_id == Some(ada.id) && e.payload["percent"] == 40)
    );
    // The same list again: nothing new (no time filter on Teachable's side).
    b.clock.set(at(10, 20, 0));
    let r = b.sync("Academy").await;
    assert_eq!((r.new, r.duplicates), (0, 3), "{r:?}");
}
