//! Postmark's bounce, message (opens, clicks) and suppression APIs against
//! mail Cairn really queued: each record becomes the same event Mailgun's
//! would, matched to the latest email Cairn sent its recipient; bounces and
//! complaints change the contact in the same transaction; paging stops at
//! the window's start; 401 needs attention and 429 waits for Retry-After.

use cairn_connectors::SyncOutcome;
use cairn_engine::Engine;
use cairn_model::account::AccountKind;
use cairn_model::event::NewEvent;
use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = "pm-server-token-0123456789";

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

/// "welcome" sent to five contacts through the real engine, over an SMTP
/// account on Postmark's SMTP service.
fn queue_welcome_mail(b: &mut Bench) {
    let now = b.now();
    b.store
        .add_account(
            "Mail",
            AccountKind::Smtp,
            &json!({"host": "smtp.postmarkapp.com", "port": 587, "security": "starttls", "username": TOKEN, "from": "Coach <coach@coach.test>"}),
            None,
            now,
        )
        .unwrap();
    let wf = json!({
        "format": "cairn.workflow",
        "version": 1,
        "name": "Welcome",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "go"})),
            node("e", "action.send_email", json!({"template": "welcome", "account": "Mail"})),
        ],
        "edges": [{"from": "t", "exit": "next", "to": "e"}],
        "email_templates": [{"name": "welcome", "subject": "Welcome", "body": "Hello"}],
    })
    .to_string();
    let out = b.store.import_workflow(&wf, false, now).unwrap();
    b.store
        .set_workflow_status(&out.name, WorkflowStatus::Active, now)
        .unwrap();
    for e in [
        "ada@example.com",
        "cy@example.com",
        "dee@example.com",
        "eve@example.com",
        "fay@example.com",
    ] {
        b.store
            .emit(
                &NewEvent {
                    event_type: "go".into(),
                    contact_email: Some(e.into()),
                    payload: json!({}),
                    occurred_at: now,
                    source: "test".into(),
                    external_id: None,
                },
                now,
            )
            .unwrap();
    }
    let mut engine = Engine::new(Store::open(&b.path).unwrap());
    while engine.tick(now).unwrap().more {}
}

async fn mount(server: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .and(header("X-Postmark-Server-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

const SUPPRESSIONS: &str = "/message-streams/broadcast/suppressions/dump";

#[tokio::test]
async fn bounces_complaints_opens_clicks_and_unsubscribes_become_cairn_events() {
    let server = MockServer::start().await;
    let mut b = Bench::new();
    queue_welcome_mail(&mut b);
    mount(&server, "/bounces", fixture("postmark_bounces.json", &[])).await;
    mount(
        &server,
        "/messages/outbound/opens",
        fixture("postmark_opens.json", &[]),
    )
    .await;
    mount(
        &server,
        "/messages/outbound/clicks",
        fixture("postmark_clicks.json", &[]),
    )
    .await;
    mount(
        &server,
        SUPPRESSIONS,
        fixture("postmark_suppressions.json", &[]),
    )
    .await;
    b.add(
        "Postmark",
        json!({"kind": "postmark", "base_url": server.uri()}),
        Some(TOKEN),
    );
    b.clock.set(at(10, 20, 0));

    let r = b.sync("Postmark").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!(r.new, 6, "{r:?}");
    assert_eq!(
        r.ignored, 3,
        "the auto-responder, the stranger, the bounce suppression: {:?}",
        r.notes
    );
    assert_eq!(r.requests, 4, "one page each: {r:?}");
    let reqs = requests_to(&server, "/bounces").await;
    assert_eq!(param(&reqs[0], "fromdate").as_deref(), Some("2026-03-01"));
    assert_eq!(param(&reqs[0], "count").as_deref(), Some("500"));
    assert_eq!(param(&reqs[0], "offset").as_deref(), Some("0"));
    let reqs = requests_to(&server, SUPPRESSIONS).await;
    assert_eq!(
        param(&reqs[0], "SuppressionReason").as_deref(),
        Some("ManualSuppression")
    );

    let evs = b.events("postmark:postmark");
    let types: Vec<&str> = evs.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "email.bounced",
            "email.bounced",
            "email.complained",
            "email.opened",
            "link.clicked",
            "contact.unsubscribed"
        ]
    );
    for e in &evs {
        assert_eq!(e.payload["email"], "welcome", "{e:?}");
        assert_eq!(e.payload["workflow"], "Welcome", "{e:?}");
    }
    assert_eq!(evs[0].payload["bounce"], "hard");
    assert_eq!(evs[1].payload["bounce"], "soft");
    assert_eq!(evs[1].occurred_at, at(9, 6, 0), "the offset is honoured");
    assert_eq!(
        evs[4].payload["url"],
        "https://coach.example/program-a?utm=mail"
    );
    assert_eq!(b.contact_status("cy@example.com"), "bounced");
    assert_eq!(b.contact_status("dee@example.com"), "subscribed");
    assert_eq!(b.contact_status("fay@example.com"), "unsubscribed");
    assert_eq!(b.contact_status("eve@example.com"), "unsubscribed");
    assert_eq!(b.contact_status("ada@example.com"), "subscribed");
    assert!(
        b.store
            .contact_by_email("stranger@example.com")
            .unwrap()
            .is_none()
    );

    // The next poll starts ten minutes before its cursor: nothing new.
    b.clock.set(at(10, 30, 0));
    let r = b.sync("Postmark").await;
    assert_eq!((r.new, r.duplicates), (0, 0), "{r:?}");
    // Reading everything again (a lost cursor) doubles nothing.
    b.store
        .conn()
        .execute(
            "UPDATE accounts SET cursor = NULL WHERE name = 'Postmark'",
            [],
        )
        .unwrap();
    let r = b.sync("Postmark").await;
    assert_eq!((r.new, r.duplicates), (0, 6), "{r:?}");
    assert_eq!(b.events("postmark:postmark").len(), 6);
}

#[tokio::test]
async fn a_refused_token_needs_attention_and_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    let mut b = Bench::new();
    Mock::given(method("GET"))
        .and(path("/bounces"))
        .and(header("X-Postmark-Server-Token", TOKEN))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bounces"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"ErrorCode": 10, "Message": "The Server Token you provided in the X-Postmark-Server-Token request header was invalid."}),
        ))
        .mount(&server)
        .await;
    b.add(
        "Postmark",
        json!({"kind": "postmark", "base_url": server.uri()}),
        Some(TOKEN),
    );
    let r = b.sync("Postmark").await;
    match &r.outcome {
        SyncOutcome::Failed { code, .. } => assert_eq!(*code, "rate_limited"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.next_poll_at,
        Some(b.now() + chrono::Duration::seconds(120))
    );

    b.add(
        "Other",
        json!({"kind": "postmark", "base_url": server.uri()}),
        Some("wrong-token"),
    );
    let r = b.sync("Other").await;
    match &r.outcome {
        SyncOutcome::NeedsAttention { code, message } => {
            assert_eq!(*code, "unauthorized");
            assert!(!message.contains("wrong-token"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!cairn_connectors::sync::is_due(
        &b.account("Other"),
        b.now()
    ));
}
