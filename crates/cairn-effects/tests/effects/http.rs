//! Webhooks and Slack against real HTTP servers on loopback (wiremock).

use std::collections::BTreeMap;

use cairn_effects::accounts;
use cairn_engine::{OutboxEntry, SendOutcome};
use cairn_model::Sensitive;
use cairn_model::effect::{Effect, SlackMessage, WebhookRequest};
use cairn_model::workflow::HttpMethod;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn hook(url: String, signing_account: Option<&str>) -> WebhookRequest {
    WebhookRequest {
        method: HttpMethod::Post,
        url,
        headers: BTreeMap::from([("X-Source".to_string(), "cairn-test".to_string())]),
        secret_headers: BTreeMap::new(),
        body: Some(r#"{"email":"bea@client.test","product":"Program A"}"#.into()),
        signing_account: signing_account.map(str::to_string),
        timeout_secs: 5,
    }
}

/// What a receiver does: recompute the HMAC over "<t>.<body>" and compare.
fn verify(signature: &str, secret: &str, body: &[u8]) -> i64 {
    let mut t = None;
    let mut v1 = None;
    for part in signature.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.to_string()),
            Some(("v1", x)) => v1 = Some(x.to_string()),
            _ => panic!("unexpected part {part:?} in {signature:?}"),
        }
    }
    let (t, v1) = (t.expect("t="), v1.expect("v1="));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("the signature verifies");
    t.parse().unwrap()
}

#[tokio::test]
async fn a_signed_webhook_verifies_and_carries_the_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/sale"))
        .and(header("content-type", "application/json"))
        .and(header("x-source", "cairn-test"))
        .and(header("idempotency-key", "cairn-run-1-step-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let mut w = World::new();
    accounts::add_webhook(
        &mut w.store,
        &w.vault,
        "Zap",
        Some(Sensitive::new("whsec_abc".into())),
        t0(),
    )
    .unwrap();
    let e = entry(
        1,
        Effect::Webhook(hook(format!("{}/hooks/sale", server.uri()), Some("zap"))),
    );
    let out = w.effects().deliver(&e, t0()).await;
    assert_eq!(
        out,
        SendOutcome::Sent {
            detail: Some("HTTP 204".into())
        }
    );

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        br#"{"email":"bea@client.test","product":"Program A"}"#
    );
    let sig = reqs[0]
        .headers
        .get("x-cairn-signature")
        .expect("signed")
        .to_str()
        .unwrap();
    assert_eq!(verify(sig, "whsec_abc", &reqs[0].body), t0().timestamp());
    // A receiver with another secret rejects it.
    let wrong = std::panic::catch_unwind(|| verify(sig, "whsec_other", &reqs[0].body));
    assert!(wrong.is_err());
}

#[tokio::test]
async fn the_idempotency_key_is_the_same_on_a_retry_after_a_500() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream exploded"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let w = World::new();
    let effects = w.effects();
    let e = entry(
        9,
        Effect::Webhook(hook(format!("{}/h", server.uri()), None)),
    );
    match effects.deliver(&e, t0()).await {
        SendOutcome::Retry { error, retry_after } => {
            assert!(
                error.contains("HTTP 500") && error.contains("upstream exploded"),
                "{error}"
            );
            assert_eq!(retry_after, None);
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    let retry = OutboxEntry {
        attempt: 2,
        ..e.clone()
    };
    let out = effects
        .deliver(&retry, t0() + chrono::Duration::seconds(30))
        .await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    let keys: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys, vec!["cairn-run-1-step-9".to_string(); 2]);
    // Unsigned: no signature header.
    assert!(
        server.received_requests().await.unwrap()[0]
            .headers
            .get("x-cairn-signature")
            .is_none()
    );
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let server = MockServer::start().await;
    Mock::given(path("/seconds"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    Mock::given(path("/date"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "Mon, 02 Mar 2026 09:10:00 GMT"),
        )
        .mount(&server)
        .await;
    let w = World::new();
    let effects = w.effects();
    let out = effects
        .deliver(
            &entry(
                1,
                Effect::Webhook(hook(format!("{}/seconds", server.uri()), None)),
            ),
            t0(),
        )
        .await;
    match out {
        SendOutcome::Retry { error, retry_after } => {
            assert!(error.contains("HTTP 429 Too Many Requests"), "{error}");
            assert_eq!(retry_after, Some(chrono::Duration::seconds(120)));
        }
        other => panic!("{other:?}"),
    }
    let out = effects
        .deliver(
            &entry(
                2,
                Effect::Webhook(hook(format!("{}/date", server.uri()), None)),
            ),
            t0(),
        )
        .await;
    match out {
        SendOutcome::Retry { retry_after, .. } => {
            assert_eq!(retry_after, Some(chrono::Duration::minutes(10)))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_4xx_fails_with_the_start_of_the_body() {
    let server = MockServer::start().await;
    let long = format!(
        "{{\"error\":\"email is required\",\"padding\":\"{}\"}}",
        "é".repeat(1000)
    );
    Mock::given(path("/strict"))
        .respond_with(ResponseTemplate::new(422).set_body_string(long))
        .mount(&server)
        .await;
    Mock::given(path("/moved"))
        .respond_with(
            ResponseTemplate::new(301).insert_header("Location", "https://elsewhere.test/h"),
        )
        .mount(&server)
        .await;
    let w = World::new();
    let effects = w.effects();
    match effects
        .deliver(
            &entry(
                1,
                Effect::Webhook(hook(format!("{}/strict", server.uri()), None)),
            ),
            t0(),
        )
        .await
    {
        SendOutcome::Failed { error } => {
            assert!(error.starts_with("the webhook answered HTTP 422 Unprocessable Entity: {\"error\":\"email is required\""), "{error}");
            assert!(error.ends_with('…'), "{error}");
            assert!(error.len() < 600, "{} bytes: {error}", error.len());
        }
        other => panic!("{other:?}"),
    }
    match effects
        .deliver(
            &entry(
                2,
                Effect::Webhook(hook(format!("{}/moved", server.uri()), None)),
            ),
            t0(),
        )
        .await
    {
        SendOutcome::Failed { error } => {
            assert!(
                error.contains("HTTP 301") && error.contains("https://elsewhere.test/h"),
                "{error}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_account_without_a_secret_never_sends_unsigned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let mut w = World::new();
    accounts::add_webhook(&mut w.store, &w.vault, "plain", None, t0()).unwrap();
    let e = entry(
        1,
        Effect::Webhook(hook(format!("{}/h", server.uri()), Some("plain"))),
    );
    // The account's fault: its queue is held until a secret is stored.
    match w.effects().deliver(&e, t0()).await {
        SendOutcome::AccountFault { account, error } => {
            assert_eq!(account, "plain");
            assert!(error.contains("not sent unsigned"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn slack_gets_the_text_at_the_stored_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/s3cr3tT0ken"))
        .and(wiremock::matchers::body_json(
            serde_json::json!({"text": "New sale: bea@client.test"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let mut w = World::new();
    let url = format!("{}/services/T0/B0/s3cr3tT0ken", server.uri());
    accounts::add_slack(&mut w.store, &w.vault, "team", Sensitive::new(url), t0()).unwrap();
    let account = w.store.account("team").unwrap();
    let proven = accounts::test(&account, &w.vault).await.unwrap();
    assert!(
        proven.contains("well-formed") && !proven.contains("s3cr3t"),
        "{proven}"
    );
    let e = entry(
        1,
        Effect::Slack(SlackMessage {
            account: "team".into(),
            text: "New sale: bea@client.test".into(),
        }),
    );
    let out = w.effects().deliver(&e, t0()).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
}

#[tokio::test]
async fn slack_failures_never_show_the_url_and_flag_the_account() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let mut w = World::new();
    let token = "s3cr3tT0ken";
    accounts::add_slack(
        &mut w.store,
        &w.vault,
        "team",
        Sensitive::new(format!("{}/services/T0/B0/{token}", server.uri())),
        t0(),
    )
    .unwrap();
    // A port with nothing behind it: no answer at all.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    accounts::add_slack(
        &mut w.store,
        &w.vault,
        "gone",
        Sensitive::new(format!("http://127.0.0.1:{dead}/services/T0/B0/{token}")),
        t0(),
    )
    .unwrap();
    let effects = w.effects();
    let slack = |account: &str| {
        entry(
            1,
            Effect::Slack(SlackMessage {
                account: account.into(),
                text: "hi".into(),
            }),
        )
    };
    // A hook Slack no longer knows is the account's fault: the engine
    // marks the account with this reason and holds its queue.
    match effects.deliver(&slack("team"), t0()).await {
        SendOutcome::AccountFault { account, error } => {
            assert_eq!(account, "team");
            assert!(
                error.contains("HTTP 404") && error.contains("no_service"),
                "{error}"
            );
            assert!(!error.contains(token), "{error}");
        }
        other => panic!("{other:?}"),
    }
    match effects.deliver(&slack("gone"), t0()).await {
        SendOutcome::Unreachable { error } => {
            assert!(error.starts_with("Slack could not be reached"), "{error}");
            assert!(
                !error.contains(token) && !error.contains("/services/"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A URL that is not https towards another machine is refused at once.
    let e = accounts::add_slack(
        &mut w.store,
        &w.vault,
        "bad",
        Sensitive::new(format!("http://hooks.example.com/services/{token}")),
        t0(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("must start with https://") && !e.to_string().contains(token),
        "{e}"
    );
    assert_eq!(w.store.account("bad").unwrap_err().code(), "not_found");
}
