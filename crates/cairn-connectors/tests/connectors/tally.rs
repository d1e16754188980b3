//! Tally's submissions API: answers keyed by question title (as Typeform's
//! are by ref), the contact from the email question, `hasMore` paging, and
//! hostile records failing alone.

use cairn_connectors::SyncOutcome;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = "tly-test-key-0001";

async fn serve(server: &MockServer) {
    for (page, file) in [
        ("1", "tally_submissions_page1.json"),
        ("2", "tally_submissions_page2.json"),
    ] {
        Mock::given(method("GET"))
            .and(path("/forms/wMDxQr/submissions"))
            .and(query_param("page", page))
            .and(header("authorization", format!("Bearer {KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(fixture(file, &[])))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn submissions_become_form_submissions_with_labelled_answers() {
    let server = MockServer::start().await;
    serve(&server).await;
    let mut b = Bench::new();
    b.add(
        "Signup",
        json!({"kind": "tally", "form_id": "wMDxQr", "base_url": server.uri()}),
        Some(KEY),
    );
    b.clock.set(at(10, 0, 0));
    let r = b.sync("Signup").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!(
        (r.new, r.ignored),
        (2, 3),
        "the partial, the control character and the bad date are skipped"
    );
    let reqs = requests_to(&server, "/forms/wMDxQr/submissions").await;
    assert_eq!(reqs.len(), 2, "two pages, then hasMore is false");
    assert_eq!(param(&reqs[0], "filter").as_deref(), Some("completed"));
    assert_eq!(
        param(&reqs[0], "startDate").as_deref(),
        Some("2026-03-02T08:00:00.000Z")
    );

    let evs = b.events("tally:signup");
    assert_eq!(evs.len(), 2);
    let ada = &evs[0];
    assert_eq!(ada.event_type, "form.submitted");
    assert_eq!(ada.occurred_at, at(9, 12, 30));
    assert_eq!(ada.payload["form_id"], "wMDxQr");
    assert_eq!(ada.payload["response_id"], "sub_ada");
    assert_eq!(
        ada.payload["answers"],
        json!({
            "First name": "Ada",
            "Your email": "ada@example.com",
            "Goal": ["Get fit"],
            "q_age": 42
        }),
        "keyed by the question's title, or its id when it has none"
    );
    let ada_c = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(ada.contact_id, Some(ada_c.id));
    // Markup stays text in the payload; the email is normalised.
    assert_eq!(evs[1].payload["answers"]["First name"], "<b>Bo</b>");
    let bo = b.store.contact_by_email("bo@example.com").unwrap().unwrap();
    assert_eq!(evs[1].contact_id, Some(bo.id));

    // The cursor follows the clock ten minutes behind it (10:00 → 09:50),
    // the next poll re-reads ten minutes behind the cursor and stores
    // nothing twice.
    b.clock.set(at(10, 5, 0));
    let r = b.sync("Signup").await;
    assert_eq!((r.new, r.duplicates), (0, 2), "{r:?}");
    let reqs = requests_to(&server, "/forms/wMDxQr/submissions").await;
    assert_eq!(
        param(&reqs[2], "startDate").as_deref(),
        Some("2026-03-02T09:40:00.000Z")
    );
}

#[tokio::test]
async fn a_refused_key_needs_attention() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/forms/wMDxQr/submissions"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "message": "Unauthorized", "errorType": "UNAUTHORIZED"
        })))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Signup",
        json!({"kind": "tally", "form_id": "wMDxQr", "base_url": server.uri()}),
        Some(KEY),
    );
    let r = b.sync("Signup").await;
    let SyncOutcome::NeedsAttention { message, .. } = &r.outcome else {
        panic!("{r:?}")
    };
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(!message.contains(KEY), "{message}");
}
