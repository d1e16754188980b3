//! A generic JSON feed: pointers, an auth header from the vault, paging by
//! cursor (re-reading the last page) and by time.

use cairn_connectors::SyncOutcome;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const AUTH: &str = "Bearer feed-secret-0001";

#[tokio::test]
async fn a_feed_paged_by_cursor_yields_custom_events_and_rereads_its_last_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/events"))
        .and(header("authorization", AUTH))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("feed_page1.json", &[])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/events"))
        .and(header("authorization", AUTH))
        .and(query_param("cursor", "c2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("feed_page2.json", &[])))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Courses",
        json!({
            "kind": "json_feed",
            "url": format!("{}/api/events", server.uri()),
            "auth_header": "Authorization",
            "items": "/data",
            "id": "/uid",
            "time": "/happened",
            "type": "/kind",
            "email": "/learner/email",
            "payload": "/details",
            "next": "/meta/next_cursor",
            "cursor_param": "cursor"
        }),
        Some(AUTH),
    );
    b.clock.set(at(10, 0, 0));
    let r = b.sync("Courses").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!((r.new, r.ignored, r.requests), (3, 1, 2), "{r:?}");
    assert!(
        r.notes[0].contains("item 2: event type \"not a type\" contains a space"),
        "{:?}",
        r.notes
    );

    let evs = b.events("json_feed:courses");
    let got: Vec<(&str, &str)> = evs
        .iter()
        .map(|e| (e.event_type.as_str(), e.external_id.as_deref().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("course.completed", "ev-001"),
            ("lesson.completed", "ev-002"),
            ("course.progress", "ev-004"),
        ]
    );
    assert_eq!(evs[0].payload, json!({"course": "Program A", "score": 93}));
    // Epoch seconds and epoch milliseconds both read as times.
    assert_eq!(evs[1].occurred_at, at(9, 2, 0));
    assert_eq!(evs[2].occurred_at, at(9, 5, 0));
    let ada = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(evs[2].contact_id, Some(ada.id));

    // The cursor keeps the last page read (c2); the next poll starts there,
    // so an item appended to it later is not missed.
    let mut page2 = fixture("feed_page2.json", &[]);
    page2["data"].as_array_mut().unwrap().push(json!({
        "uid": "ev-005", "happened": "2026-03-02T10:01:00Z", "kind": "course.completed",
        "learner": {"email": "bo@example.com"}, "details": {"course": "Program B"}
    }));
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/events"))
        .and(query_param("cursor", "c2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page2))
        .mount(&server)
        .await;
    b.clock.set(at(10, 5, 0));
    let r = b.sync("Courses").await;
    assert_eq!((r.new, r.duplicates, r.requests), (1, 1, 1), "{r:?}");
}

#[tokio::test]
async fn a_feed_paged_by_time_asks_since_its_cursor_and_a_wrong_pointer_is_named() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/events.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 7, "at": "2026-03-02T09:30:00Z", "who": "ada@example.com", "plan": "gold"},
            {"id": 8, "at": "2026-03-01T09:30:00Z", "who": "old@example.com", "plan": "gold"}
        ])))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Signups",
        json!({
            "kind": "json_feed",
            "url": format!("{}/events.json", server.uri()),
            "id": "/id",
            "time": "/at",
            "event_type": "membership.started",
            "email": "/who",
            "since_param": "updated_since"
        }),
        None,
    );
    b.clock.set(at(10, 0, 0));
    let r = b.sync("Signups").await;
    assert_eq!(
        (r.outcome.clone(), r.new),
        (SyncOutcome::Synced, 1),
        "{r:?}"
    );
    let evs = b.events("json_feed:signups");
    assert_eq!(evs[0].event_type, "membership.started");
    assert_eq!(evs[0].external_id.as_deref(), Some("7"));
    assert_eq!(evs[0].payload["plan"], "gold");
    // Item 8 happened before the account was connected.
    assert!(
        b.store
            .contact_by_email("old@example.com")
            .unwrap()
            .is_none()
    );
    b.clock.set(at(10, 10, 0));
    b.sync("Signups").await;
    let reqs = requests_to(&server, "/events.json").await;
    assert_eq!(
        param(&reqs[0], "updated_since").as_deref(),
        Some("2026-03-02T08:00:00+00:00")
    );
    // Cursor 09:55 (ten minutes ago, five of overlap) → 09:50.
    assert_eq!(
        param(&reqs[1], "updated_since").as_deref(),
        Some("2026-03-02T09:50:00+00:00")
    );

    // Settings that point nowhere say which pointer.
    let mut s = b.account("Signups").settings;
    s["id"] = json!("/uid");
    b.store
        .conn()
        .execute(
            "UPDATE accounts SET settings = ?1 WHERE name = 'Signups'",
            [s.to_string()],
        )
        .unwrap();
    b.clock.set(at(10, 20, 0));
    let r = b.sync("Signups").await;
    let SyncOutcome::Failed { code, message } = &r.outcome else {
        panic!("{r:?}")
    };
    assert_eq!(*code, "bad_response");
    assert!(
        message.contains("none of the page's 2 items could be read (item 0: no id at \"/uid\")"),
        "{message}"
    );
}

#[tokio::test]
async fn a_record_with_a_control_character_in_a_name_is_skipped_and_reported_alone() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"uid": "ev-1", "happened": "2026-03-02T09:00:00Z", "kind": "form.submitted",
             "learner": {"email": "ada@example.com"}, "details": {"name": "Ada"}},
            {"uid": "ev-2", "happened": "2026-03-02T09:01:00Z", "kind": "form.submitted",
             "learner": {"email": "eve@example.com"}, "details": {"name": "Eve\r\nBcc: all@example.com"}},
            {"uid": "ev-3", "happened": "2026-03-02T09:02:00Z", "kind": "form.submitted",
             "learner": {"email": "bo@example.com"}, "details": {"first_name": "Bo"}}
        ]})))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Forms",
        json!({
            "kind": "json_feed",
            "url": format!("{}/api/events", server.uri()),
            "items": "/data",
            "id": "/uid",
            "time": "/happened",
            "type": "/kind",
            "email": "/learner/email",
            "payload": "/details"
        }),
        None,
    );
    b.clock.set(at(10, 0, 0));
    let r = b.sync("Forms").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!((r.new, r.ignored), (2, 1), "{r:?}");
    assert!(
        r.notes[0].contains("form.submitted skipped: the name")
            && r.notes[0].contains("control character (carriage return)"),
        "{:?}",
        r.notes
    );
    assert!(
        b.store
            .contact_by_email("eve@example.com")
            .unwrap()
            .is_none()
    );
    assert!(
        b.store
            .contact_by_email("ada@example.com")
            .unwrap()
            .is_some()
    );
    assert!(
        b.store
            .contact_by_email("bo@example.com")
            .unwrap()
            .is_some()
    );
}
