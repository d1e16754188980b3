//! Typeform's Responses API: answers keyed by field ref, the contact from
//! the email answer, and the hour re-read for late-listed responses.

use cairn_connectors::SyncOutcome;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = "tfp_test_token_0001";

#[tokio::test]
async fn responses_become_form_submissions_with_their_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/forms/lT4Z3j/responses"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("typeform_responses.json", &[])),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Intake",
        json!({"kind": "typeform", "form_id": "lT4Z3j", "base_url": server.uri()}),
        Some(TOKEN),
    );
    b.clock.set(at(10, 0, 0));
    let r = b.sync("Intake").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!(
        (r.new, r.ignored),
        (2, 1),
        "the partial response is skipped"
    );
    let reqs = requests_to(&server, "/forms/lT4Z3j/responses").await;
    assert_eq!(
        param(&reqs[0], "since").as_deref(),
        Some("2026-03-02T08:00:00")
    );
    assert_eq!(param(&reqs[0], "page_size").as_deref(), Some("1000"));

    let evs = b.events("typeform:intake");
    assert_eq!(evs.len(), 2);
    let ada = &evs[0];
    assert_eq!(ada.event_type, "form.submitted");
    assert_eq!(ada.occurred_at, at(9, 12, 30));
    assert_eq!(ada.payload["form_id"], "lT4Z3j");
    assert_eq!(
        ada.payload["answers"],
        json!({
            "first_name": "Ada",
            "email": "ada@example.com",
            "goal": "Get fit",
            "days": ["Monday", "Thursday"],
            "Q7M2XAwY04dW": 42,
            "newsletter": true
        })
    );
    assert_eq!(ada.payload["hidden"]["utm_source"], "newsletter");
    assert_eq!(ada.payload["score"], 4);
    let contact = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(ada.contact_id, Some(contact.id));
    // No email answer: the hidden field `email` names the contact.
    let bo = b.store.contact_by_email("bo@example.com").unwrap().unwrap();
    assert_eq!(evs[1].contact_id, Some(bo.id));

    // The next poll re-reads an hour behind its cursor (Typeform may list a
    // response up to half an hour late) and stores nothing twice.
    b.clock.set(at(10, 5, 0));
    let r = b.sync("Intake").await;
    assert_eq!((r.new, r.duplicates), (0, 2));
    let reqs = requests_to(&server, "/forms/lT4Z3j/responses").await;
    // The cursor is the newest submission, 09:21.
    assert_eq!(
        param(&reqs[1], "since").as_deref(),
        Some("2026-03-02T08:21:00")
    );
    // A quiet account's cursor follows the clock, an hour behind it, so
    // its window does not grow: polled at 12:00 the cursor becomes 11:00,
    // and the poll after reads from 10:00.
    b.clock.set(at(12, 0, 0));
    b.sync("Intake").await;
    b.clock.set(at(12, 5, 0));
    b.sync("Intake").await;
    let reqs = requests_to(&server, "/forms/lT4Z3j/responses").await;
    assert_eq!(
        param(&reqs[3], "since").as_deref(),
        Some("2026-03-02T10:00:00")
    );
}

#[tokio::test]
async fn a_wrong_form_id_needs_attention() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/forms/nope42/responses"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "code": "FORM_NOT_FOUND", "description": "Non existing form with uid nope42"
        })))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Intake",
        json!({"kind": "typeform", "form_id": "nope42", "base_url": server.uri()}),
        Some(TOKEN),
    );
    let r = b.sync("Intake").await;
    let SyncOutcome::NeedsAttention { code, message } = &r.outcome else {
        panic!("{r:?}")
    };
    assert_eq!(*code, "request_rejected");
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(
        message.contains("Non existing form with uid nope42"),
        "{message}"
    );
}
