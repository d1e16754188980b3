//! Test mode and dry runs (the second line of defence), desktop notices.

use std::collections::BTreeMap;
use std::sync::Arc;

use cairn_engine::{OutboxEntry, SendOutcome};
use cairn_model::effect::{DesktopNotice, Effect, RunMode, WebhookRequest};
use cairn_model::workflow::HttpMethod;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn a_dry_run_sends_nothing_and_a_test_run_only_email() {
    let http = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&http)
        .await;
    let smtp = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("m", smtp.port, |_| {}, None);
    let recorder = Arc::new(Recorder::default());
    let effects = w.effects_with(recorder.clone());
    let webhook = Effect::Webhook(WebhookRequest {
        method: HttpMethod::Post,
        url: format!("{}/h", http.uri()),
        headers: BTreeMap::new(),
        secret_headers: BTreeMap::new(),
        body: None,
        signing_account: None,
        timeout_secs: 5,
    });
    let desktop = Effect::Desktop(DesktopNotice {
        title: "t".into(),
        body: "b".into(),
    });
    let email = Effect::Email(email("m", "test-contact@coach.test"));
    let in_mode = |id, effect: &Effect, mode| OutboxEntry {
        mode,
        ..entry(id, effect.clone())
    };

    for (i, effect) in [&email, &webhook, &desktop].into_iter().enumerate() {
        match effects
            .deliver(&in_mode(i as i64, effect, RunMode::DryRun), t0())
            .await
        {
            SendOutcome::Failed { error } => assert!(
                error.starts_with("dry run: nothing leaves the machine"),
                "{error}"
            ),
            other => panic!("{other:?}"),
        }
    }
    for (i, effect) in [&webhook, &desktop].into_iter().enumerate() {
        match effects
            .deliver(&in_mode(10 + i as i64, effect, RunMode::Test), t0())
            .await
        {
            SendOutcome::Failed { error } => {
                assert!(error.starts_with("test mode sends only email"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(smtp.messages().is_empty());
    assert!(recorder.0.lock().unwrap().is_empty());

    let out = effects
        .deliver(&in_mode(20, &email, RunMode::Test), t0())
        .await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    let mail = mailparse::parse_mail(&msgs[0]).unwrap();
    assert_eq!(header(&mail, "X-RcptTo"), "test-contact@coach.test");
}

#[tokio::test]
async fn a_desktop_notice_goes_to_the_notifier() {
    let w = World::new();
    let recorder = Arc::new(Recorder::default());
    let effects = w.effects_with(recorder.clone());
    let notice = DesktopNotice {
        title: "Workflow failing".into(),
        body: "Onboarding: 3 runs failed".into(),
    };
    let out = effects
        .deliver(&entry(1, Effect::Desktop(notice.clone())), t0())
        .await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    assert_eq!(*recorder.0.lock().unwrap(), vec![notice]);
}
