//! What a contact receives, from the engine's render to a real SMTP server
//! on loopback (aiosmtpd) and a real HTTP server (wiremock): merge values
//! escaped for where they land, marketing and transactional mail, and a
//! webhook header whose value is a vault secret.

use cairn_engine::SendOutcome;
use cairn_model::Sensitive;
use cairn_model::contact::ContactStatus;
use cairn_store::contacts::ContactInput;
use cairn_store::workflows::WorkflowStatus;
use mailparse::MailHeaderMap;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn contact(w: &mut World, email: &str, name: &str, status: ContactStatus) {
    w.store
        .upsert_contact(
            &ContactInput {
                email: email.into(),
                name: Some(name.into()),
                status: Some(status),
                timezone: None,
                fields: Default::default(),
                tags: vec![],
                is_test: false,
            },
            t0(),
        )
        .unwrap();
}

fn part(mail: &mailparse::ParsedMail<'_>, mime: &str) -> String {
    if mail.ctype.mimetype == mime {
        return mail.get_body().unwrap();
    }
    mail.subparts
        .iter()
        .map(|p| part(p, mime))
        .find(|b| !b.is_empty())
        .unwrap_or_default()
}

/// The messages the server received, by recipient.
fn received(server: &SmtpServer) -> Vec<(String, Vec<u8>)> {
    server
        .messages()
        .into_iter()
        .map(|m| {
            let to = mailparse::parse_mail(&m)
                .unwrap()
                .headers
                .get_first_value("X-RcptTo")
                .unwrap_or_default();
            (to, m)
        })
        .collect()
}

#[tokio::test]
async fn a_form_answer_with_markup_arrives_as_text() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    // No rate limit: every send of the run is delivered at the same instant.
    w.add_smtp(
        "Mail",
        server.port,
        |s| {
            s.rate_per_second = 0;
            s.rate_per_day = 0;
        },
        None,
    );
    import_active(
        &mut w,
        json!({"format": "cairn.workflow", "version": 1, "name": "Form reply",
            "nodes": [
                {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.form_submitted", "config": {}},
                {"id": "m", "position": {"x": 0, "y": 100}, "kind": "action.send_email", "config": {"template": "Thanks", "account": "Mail"}}],
            "edges": [{"from": "t", "to": "m"}],
            "email_templates": [{"name": "Thanks", "subject": "Thanks, {{ contact.name }}",
                "body": "Hi {{ contact.name }},\n\nyou wrote: {{ trigger.answer }}\n\nAbout: {{ trigger.topic }}\n\nYour notes: {{ trigger.notes|safe }}"}]}),
    );
    contact(
        &mut w,
        "eve@client.test",
        "<script>alert(1)</script>",
        ContactStatus::Subscribed,
    );
    let mut run = Run::new(&w);
    emit(
        run.store(),
        "form.submitted",
        "eve@client.test",
        json!({
            "answer": "<img src=x onerror=alert(2)>",
            "topic": "[Reset your password](https://evil.test/reset)",
            "notes": "*trusted*",
        }),
    );
    let outcomes = run.settle().await;
    assert!(
        matches!(outcomes[..], [SendOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    let msgs = received(&server);
    assert_eq!(msgs.len(), 1);
    let mail = mailparse::parse_mail(&msgs[0].1).unwrap();
    let html = part(&mail, "text/html");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("href=\"https://evil.test"), "{html}");
    assert!(
        html.contains("Hi &lt;script&gt;alert(1)&lt;/script&gt;,"),
        "{html}"
    );
    assert!(
        html.contains("you wrote: &lt;img src=x onerror=alert(2)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("About: [Reset your password](https://evil.test/reset)"),
        "{html}"
    );
    // |safe: the author's explicit opt-out renders the value as Markdown.
    assert!(html.contains("<em>trusted</em>"), "{html}");
    // The plain-text part has the values as written; the subject too.
    let text = part(&mail, "text/plain");
    assert!(text.contains("Hi <script>alert(1)</script>,"), "{text}");
    assert_eq!(
        mail.headers.get_first_value("Subject").unwrap(),
        "Thanks, <script>alert(1)</script>"
    );
}

/// A shop's receipt (transactional) and its newsletter (marketing), for a
/// subscribed, an unsubscribed and a bounced buyer.
#[tokio::test]
async fn receipts_reach_unsubscribed_buyers_marketing_does_not() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    // No rate limit: every send of the run is delivered at the same instant.
    w.add_smtp(
        "Mail",
        server.port,
        |s| {
            s.rate_per_second = 0;
            s.rate_per_day = 0;
        },
        None,
    );
    import_active(
        &mut w,
        json!({"format": "cairn.workflow", "version": 1, "name": "Purchase",
            "nodes": [
                {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.purchase_completed", "config": {}},
                {"id": "receipt", "position": {"x": 0, "y": 100}, "kind": "action.send_email", "config": {"template": "Receipt", "account": "Mail"}},
                {"id": "offer", "position": {"x": 0, "y": 200}, "kind": "action.send_email", "config": {"template": "Offer", "account": "Mail"}}],
            "edges": [{"from": "t", "to": "receipt"}, {"from": "receipt", "to": "offer"}],
            "email_templates": [
                {"name": "Receipt", "subject": "Your receipt", "body": "Paid: {{ trigger.product }}.", "kind": "transactional"},
                {"name": "Offer", "subject": "Something new", "body": "Have a look."}]}),
    );
    contact(&mut w, "sub@client.test", "Sub", ContactStatus::Subscribed);
    contact(
        &mut w,
        "unsub@client.test",
        "Unsub",
        ContactStatus::Unsubscribed,
    );
    contact(&mut w, "gone@client.test", "Gone", ContactStatus::Bounced);
    let mut run = Run::new(&w);
    for who in ["sub@client.test", "unsub@client.test", "gone@client.test"] {
        emit(
            run.store(),
            "purchase.completed",
            who,
            json!({"product": "Program A"}),
        );
    }
    run.settle().await;

    let mut got: Vec<(String, String, Option<String>, String)> = received(&server)
        .into_iter()
        .map(|(to, m)| {
            let mail = mailparse::parse_mail(&m).unwrap();
            (
                to,
                mail.headers.get_first_value("Subject").unwrap(),
                mail.headers.get_first_value("List-Unsubscribe"),
                part(&mail, "text/plain"),
            )
        })
        .collect();
    got.sort();
    let who: Vec<(&str, &str)> = got
        .iter()
        .map(|(to, subject, ..)| (to.as_str(), subject.as_str()))
        .collect();
    assert_eq!(
        who,
        [
            ("sub@client.test", "Something new"),
            ("sub@client.test", "Your receipt"),
            ("unsub@client.test", "Your receipt"),
        ]
    );
    for (to, subject, list_unsubscribe, text) in &got {
        if subject == "Your receipt" {
            assert_eq!(
                list_unsubscribe, &None,
                "{to}: a receipt has no List-Unsubscribe"
            );
            assert!(!text.to_lowercase().contains("unsubscribe"), "{to}: {text}");
        } else {
            let header = list_unsubscribe.as_deref().unwrap_or_default();
            assert!(header.starts_with("<mailto:"), "{to}: {header:?}");
            // No {{ unsubscribe_url }} in the body: the footer carries it.
            assert!(text.contains("Unsubscribe: mailto:"), "{to}: {text}");
        }
    }

    // Each skipped send says why, with a stable code.
    let skipped: Vec<(String, String, String)> = run
        .store()
        .conn()
        .prepare(
            "SELECT c.email, s.node_id, json_extract(s.detail, '$.code') FROM steps s
             JOIN runs r ON r.id = s.run_id JOIN contacts c ON c.id = r.contact_id
             WHERE s.status = 'skipped' ORDER BY c.email, s.node_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let skipped: Vec<(&str, &str, &str)> = skipped
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("gone@client.test", "offer", "contact_bounced"),
            ("gone@client.test", "receipt", "contact_bounced"),
            ("unsub@client.test", "offer", "contact_unsubscribed"),
        ]
    );
}

#[tokio::test]
async fn a_webhook_header_takes_its_value_from_the_vault_only_when_sent() {
    let http = MockServer::start().await;
    let key = "crm_live_4f9a1c2e7b";
    Mock::given(method("POST"))
        .and(path("/leads"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .and(header("x-source", "cairn"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&http)
        .await;
    let mut w = World::new();
    cairn_effects::accounts::add_webhook(
        &mut w.store,
        &w.vault,
        "CRM key",
        Some(Sensitive::new(key.to_string())),
        t0(),
    )
    .unwrap();
    import_active(
        &mut w,
        json!({"format": "cairn.workflow", "version": 1, "name": "Lead to CRM",
            "nodes": [
                {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.contact_created", "config": {}},
                {"id": "h", "position": {"x": 0, "y": 100}, "kind": "action.webhook", "config": {
                    "url": format!("{}/leads", http.uri()),
                    "headers": {"Authorization": {"secret": "CRM key", "prefix": "Bearer "}, "X-Source": "cairn"},
                    "body": "{\"email\": {{ contact.email }}}"}}],
            "edges": [{"from": "t", "to": "h"}]}),
    );
    let mut run = Run::new(&w);
    emit(
        run.store(),
        "contact.created",
        "lead@client.test",
        json!({}),
    );
    let outcomes = run.settle().await;
    assert!(
        matches!(outcomes[..], [SendOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    // The outbox row, the step log, the versions and the export hold the
    // reference only.
    let payload: String = run
        .store()
        .conn()
        .query_row("SELECT payload FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert!(!payload.contains(key), "{payload}");
    assert!(payload.contains("\"CRM key\""), "{payload}");
    for sql in [
        "SELECT group_concat(COALESCE(detail, ''), ' ') FROM steps",
        "SELECT group_concat(definition, ' ') FROM workflow_versions",
    ] {
        let all: String = run.store().conn().query_row(sql, [], |r| r.get(0)).unwrap();
        assert!(!all.contains(key), "{sql}: {all}");
    }
    let exported = run.store().export_workflow("Lead to CRM").unwrap();
    assert!(!exported.contains(key) && exported.contains("\"secret\": \"CRM key\""));
    http.verify().await;
}

#[tokio::test]
async fn a_literal_credential_is_refused_at_activation_and_export() {
    let mut w = World::new();
    let def = json!({"format": "cairn.workflow", "version": 1, "name": "Leaky",
        "nodes": [
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.contact_created", "config": {}},
            {"id": "h", "position": {"x": 0, "y": 100}, "kind": "action.webhook", "config": {
                "url": "https://crm.test/leads?api_key=abc123"}}],
        "edges": [{"from": "t", "to": "h"}]});
    w.store
        .import_workflow(&def.to_string(), false, t0())
        .unwrap();
    for e in [
        w.store
            .set_workflow_status("Leaky", WorkflowStatus::Active, t0())
            .unwrap_err(),
        w.store.export_workflow("Leaky").unwrap_err(),
    ] {
        let cairn_store::StoreError::Validation(report) = e else {
            panic!("{e}")
        };
        assert!(
            report
                .errors()
                .any(|i| i.code == "secret_in_workflow" && i.node.as_deref() == Some("h")),
            "{report:?}"
        );
        assert!(!format!("{report:?}").contains("abc123"));
    }
}

#[tokio::test]
async fn a_contact_named_channel_pings_no_one_on_slack() {
    let http = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T1/B1/x"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&http)
        .await;
    let mut w = World::new();
    cairn_effects::accounts::add_slack(
        &mut w.store,
        &w.vault,
        "Team",
        Sensitive::new(format!("{}/services/T1/B1/x", http.uri())),
        t0(),
    )
    .unwrap();
    import_active(
        &mut w,
        json!({"format": "cairn.workflow", "version": 1, "name": "Sale alert",
            "nodes": [
                {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.purchase_completed", "config": {}},
                {"id": "n", "position": {"x": 0, "y": 100}, "kind": "action.notify", "config": {
                    "channel": {"slack": {"account": "Team"}},
                    "message": "<!here> New sale: {{ contact.name }} bought {{ trigger.product }}"}}],
            "edges": [{"from": "t", "to": "n"}]}),
    );
    contact(
        &mut w,
        "mal@client.test",
        "<!channel> & <@U024BE7LH>",
        ContactStatus::Subscribed,
    );
    let mut run = Run::new(&w);
    emit(
        run.store(),
        "purchase.completed",
        "mal@client.test",
        json!({"product": "<https://evil.test|Program A>"}),
    );
    let outcomes = run.settle().await;
    assert!(
        matches!(outcomes[..], [SendOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    let got = &http.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    // The author's own <!here> stays; the values' control sequences do not.
    assert_eq!(
        body["text"],
        "<!here> New sale: &lt;!channel&gt; &amp; &lt;@U024BE7LH&gt; bought &lt;https://evil.test|Program A&gt;"
    );
}

#[tokio::test]
async fn a_runaway_loop_fails_its_step_and_sends_nothing() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("Mail", server.port, |_| {}, None);
    import_active(
        &mut w,
        json!({"format": "cairn.workflow", "version": 1, "name": "Loop",
            "nodes": [
                {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.event", "config": {"event_type": "order.placed"}},
                {"id": "m", "position": {"x": 0, "y": 100}, "kind": "action.send_email", "config": {"template": "Big", "account": "Mail"}}],
            "edges": [{"from": "t", "to": "m"}],
            "email_templates": [{"name": "Big", "subject": "Hi",
                "body": "{% for a in trigger.items %}{% for b in trigger.items %}{% for c in trigger.items %}x{% endfor %}{% endfor %}{% endfor %}"}]}),
    );
    let mut run = Run::new(&w);
    // Hostile data: a thousand items, looped over three deep (10⁹ steps).
    let items: Vec<u32> = (0..1000).collect();
    emit(
        run.store(),
        "order.placed",
        "loop@client.test",
        json!({ "items": items }),
    );
    let started = std::time::Instant::now();
    let outcomes = run.settle().await;
    assert!(outcomes.is_empty(), "{outcomes:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let (status, error): (String, String) = run
        .store()
        .conn()
        .query_row(
            "SELECT status, json_extract(detail, '$.error') FROM steps WHERE node_id = 'm'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "failed");
    assert!(
        error.contains("email template \"Big\"") && error.contains("stopped after 100000 steps"),
        "{error}"
    );
    assert!(server.messages().is_empty());
}
