//! Mailgun's Events API against mail Cairn really queued: Message-IDs map
//! back to the outbox (template and workflow), bounces and complaints change
//! the contact in the same transaction, half-hour trust threshold, and the
//! "email opened" trigger firing on the result.

use cairn_connectors::SyncOutcome;
use cairn_engine::Engine;
use cairn_model::account::AccountKind;
use cairn_model::effect::Effect;
use cairn_model::event::NewEvent;
use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = "key-test-0123456789abcdef";
const EVENTS: &str = "/v3/mg.example.com/events";

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

fn workflow(name: &str, nodes: Vec<Value>, edges: Vec<(&str, &str)>, extra: Value) -> String {
    let mut w = json!({
        "format": "cairn.workflow",
        "version": 1,
        "name": name,
        "nodes": nodes,
        "edges": edges.iter().map(|(a, b)| json!({"from": a, "exit": "next", "to": b})).collect::<Vec<_>>(),
    });
    if let (Some(w), Value::Object(extra)) = (w.as_object_mut(), extra) {
        w.extend(extra);
    }
    w.to_string()
}

/// Sends "welcome" to three contacts through the real engine, so the
/// outbox holds real rows with real Message-IDs; returns them by address.
fn queue_welcome_mail(b: &mut Bench) -> Vec<(String, String)> {
    let now = b.now();
    b.store
        .add_account(
            "Mail",
            AccountKind::Smtp,
            &json!({"from": "Coach <coach@mg.example.com>"}),
            None,
            now,
        )
        .unwrap();
    let wf = workflow(
        "Welcome",
        vec![
            node("t", "trigger.event", json!({"event_type": "go"})),
            node(
                "e",
                "action.send_email",
                json!({"template": "welcome", "account": "Mail"}),
            ),
        ],
        vec![("t", "e")],
        json!({"email_templates": [{"name": "welcome", "subject": "Welcome", "body": "Hello {{ contact.email }}"}]}),
    );
    let opened = workflow(
        "Opened welcome",
        vec![
            node("t", "trigger.email_opened", json!({"email": "welcome"})),
            node("a", "action.add_tag", json!({"tag": "engaged"})),
        ],
        vec![("t", "a")],
        json!({}),
    );
    for w in [wf, opened] {
        let out = b.store.import_workflow(&w, false, now).unwrap();
        b.store
            .set_workflow_status(&out.name, WorkflowStatus::Active, now)
            .unwrap();
    }
    let emails = ["ada@example.com", "cy@example.com", "dee@example.com"];
    for e in emails {
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
    let rows = b.store.outbox(true, 100).unwrap();
    emails
        .iter()
        .map(|e| {
            let id = rows
                .iter()
                .find_map(|r| match &r.effect {
                    Effect::Email(m) if m.to == *e => Some(m.message_id.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no email queued for {e}"));
            (e.to_string(), id)
        })
        .collect()
}

#[tokio::test]
async fn engagement_bounces_and_complaints_map_back_to_the_mail_cairn_sent() {
    let server = MockServer::start().await;
    let mut b = Bench::new();
    // Connected first: a workflow that reads opens can only be activated
    // once an account that reports them is there.
    b.add(
        "Mailgun",
        json!({"kind": "mailgun", "domain": "mg.example.com", "base_url": server.uri()}),
        Some(KEY),
    );
    let ids = queue_welcome_mail(&mut b);
    // Mailgun shows the Message-ID without angle brackets.
    let bare = |i: usize| ids[i].1.trim_matches(|c| c == '<' || c == '>').to_string();
    let (a, c, d) = (bare(0), bare(1), bare(2));
    let base = server.uri();
    let fill = [
        ("BASE", base.as_str()),
        ("MSG_A", a.as_str()),
        ("MSG_B", c.as_str()),
        ("MSG_C", d.as_str()),
    ];
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(basic_auth("api", KEY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("mailgun_events_page1.json", &fill)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v3/mg\.example\.com/events/.+"))
        .and(basic_auth("api", KEY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("mailgun_events_empty.json", &fill)),
        )
        .mount(&server)
        .await;
    b.clock.set(at(10, 20, 0));

    let r = b.sync("Mailgun").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!(r.new, 5, "{r:?}");
    assert_eq!(
        r.ignored, 2,
        "the temporary failure and the foreign message: {:?}",
        r.notes
    );
    // The event from 10:00 is younger than half an hour: not trusted yet,
    // so the page was not followed further either.
    assert_eq!(r.requests, 1, "{r:?}");
    let reqs = requests_to(&server, EVENTS).await;
    assert_eq!(param(&reqs[0], "begin"), Some(t0().timestamp().to_string()));
    assert_eq!(param(&reqs[0], "ascending").as_deref(), Some("yes"));
    assert_eq!(
        param(&reqs[0], "event").as_deref(),
        Some("delivered OR opened OR clicked OR failed OR complained OR unsubscribed")
    );

    let evs = b.events("mailgun:mailgun");
    let types: Vec<&str> = evs.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "email.delivered",
            "email.opened",
            "link.clicked",
            "email.bounced",
            "email.complained"
        ]
    );
    for e in &evs {
        assert_eq!(e.payload["email"], "welcome", "{e:?}");
        assert_eq!(e.payload["workflow"], "Welcome", "{e:?}");
    }
    assert_eq!(
        evs[2].payload["url"],
        "https://coach.example/program-a?utm=mail"
    );
    assert_eq!(
        evs[1].occurred_at,
        at(9, 10, 0) + chrono::Duration::milliseconds(500)
    );
    assert!(
        evs[3].payload["description"]
            .as_str()
            .unwrap()
            .contains("5.1.1")
    );
    assert_eq!(b.contact_status("cy@example.com"), "bounced");
    assert_eq!(b.contact_status("dee@example.com"), "unsubscribed");
    assert_eq!(b.contact_status("ada@example.com"), "subscribed");
    assert!(
        b.store
            .contact_by_email("someone@example.com")
            .unwrap()
            .is_none()
    );
    // The cursor stops at the trust threshold, so the next poll reads the
    // 10:00 event.
    assert_eq!(r.cursor_at, Some(at(9, 50, 0)));

    // The "email opened" trigger for template "welcome" starts its run.
    let mut engine = Engine::new(Store::open(&b.path).unwrap());
    while engine.tick(b.now()).unwrap().more {}
    let ada = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert!(ada.tags.contains(&"engaged".to_string()), "{:?}", ada.tags);

    // Half an hour later the 10:00 open is trusted; everything else is a
    // duplicate.
    b.clock.set(at(10, 40, 0));
    let r = b.sync("Mailgun").await;
    assert_eq!((r.new, r.duplicates), (1, 5), "{r:?}");
    let reqs = requests_to(&server, EVENTS).await;
    assert_eq!(
        param(&reqs[1], "begin"),
        Some((at(9, 50, 0).timestamp() - 30 * 60).to_string())
    );
}
