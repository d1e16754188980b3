//! Per-account rate limits on a virtual clock, with the outbox bookkeeping
//! done as the engine's dispatcher does it, so the daily count is read back
//! from SQLite after a restart.

use cairn_effects::{Effects, accounts, limit};
use cairn_engine::{OutboxEntry, SendOutcome};
use cairn_model::effect::{Effect, RunMode};
use cairn_model::{Clock, Sensitive, VirtualClock};
use cairn_store::Store;
use cairn_store::outbox;
use chrono::Duration;

use crate::support::*;

/// Queues an email to client N at `now` and returns its outbox entry.
fn enqueue(store: &Store, n: i64, now: chrono::DateTime<chrono::Utc>) -> OutboxEntry {
    let mut m = email("gmail", &format!("client{n}@client.test"));
    m.message_id = format!("run-{n}.step-1@cairn");
    enqueue_at(store, n, Effect::Email(m), now)
}

/// One attempt, recorded as the dispatcher records it.
async fn dispatch(
    store: &Store,
    effects: &Effects,
    e: &OutboxEntry,
    clock: &VirtualClock,
) -> SendOutcome {
    let now = clock.now();
    outbox::mark_sending_using(store.conn(), e.id, now, now + chrono::Duration::minutes(15))
        .unwrap();
    let out = effects.deliver(e, now).await;
    match &out {
        SendOutcome::Sent { .. } => outbox::mark_sent_using(store.conn(), e.id, now).unwrap(),
        SendOutcome::Deferred { until, .. } => {
            outbox::reschedule_using(store.conn(), e.id, *until, None, false, now).unwrap()
        }
        other => panic!("unexpected {other:?}"),
    }
    out
}

fn deferred_until(out: SendOutcome) -> chrono::DateTime<chrono::Utc> {
    match out {
        SendOutcome::Deferred { until, reason } => {
            assert!(
                reason.contains("rate limit of account \"gmail\""),
                "{reason}"
            );
            until
        }
        other => panic!("expected a deferral, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_beyond_the_limits_are_deferred_to_the_right_instant_even_after_a_restart() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp(
        "gmail",
        server.port,
        |s| {
            s.rate_per_second = 2;
            s.rate_per_day = 3;
        },
        None,
    );
    let clock = VirtualClock::new(t0());
    let effects = w.effects();
    let e: Vec<OutboxEntry> = (1..=4).map(|n| enqueue(&w.store, n, t0())).collect();

    // Two per second.
    assert!(matches!(
        dispatch(&w.store, &effects, &e[0], &clock).await,
        SendOutcome::Sent { .. }
    ));
    clock.advance(Duration::milliseconds(300));
    assert!(matches!(
        dispatch(&w.store, &effects, &e[1], &clock).await,
        SendOutcome::Sent { .. }
    ));
    clock.advance(Duration::milliseconds(300));
    let until = deferred_until(dispatch(&w.store, &effects, &e[2], &clock).await);
    assert_eq!(
        until,
        t0() + Duration::seconds(1),
        "the first send leaves the one-second window then"
    );
    clock.set(until);
    assert!(matches!(
        dispatch(&w.store, &effects, &e[2], &clock).await,
        SendOutcome::Sent { .. }
    ));

    // Three per rolling 24 hours: the fourth waits for the first to age out.
    clock.advance(Duration::minutes(5));
    let until = deferred_until(dispatch(&w.store, &effects, &e[3], &clock).await);
    assert_eq!(until, t0() + Duration::hours(24));
    assert_eq!(server.messages().len(), 3);

    // A restart: a new sender knows nothing in memory, and still counts
    // the three sends from the database.
    drop(effects);
    let effects = w.effects();
    clock.set(t0() + Duration::hours(2));
    let until = deferred_until(dispatch(&w.store, &effects, &e[3], &clock).await);
    assert_eq!(until, t0() + Duration::hours(24));

    clock.set(until);
    assert!(matches!(
        dispatch(&w.store, &effects, &e[3], &clock).await,
        SendOutcome::Sent { .. }
    ));
    assert_eq!(server.messages().len(), 4);
    // Deferrals were not counted as attempts.
    let row = w.store.outbox_entry(e[3].id).unwrap();
    assert_eq!(row.attempts, 1);
}

#[tokio::test]
async fn a_failed_send_gives_its_slot_back() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp(
        "gmail",
        server.port,
        |s| {
            s.rate_per_second = 1;
            s.rate_per_day = 0;
        },
        None,
    );
    let effects = w.effects();
    let bounce = entry(1, Effect::Email(email("gmail", "nobody@client.test")));
    assert!(matches!(
        effects.deliver(&bounce, t0()).await,
        SendOutcome::Bounced { .. }
    ));
    let ok = entry(2, Effect::Email(email("gmail", "bea@client.test")));
    let out = effects.deliver(&ok, t0()).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    let third = entry(3, Effect::Email(email("gmail", "cy@client.test")));
    assert_eq!(
        match effects.deliver(&third, t0()).await {
            SendOutcome::Deferred { until, .. } => until,
            other => panic!("{other:?}"),
        },
        t0() + Duration::seconds(1)
    );
}

/// Queues an effect at the start of the tests' day.
fn enqueue_effect(store: &Store, n: i64, effect: Effect) -> OutboxEntry {
    enqueue_at(store, n, effect, t0())
}

/// Queues an effect as the engine does (key `key-N`, five attempts) and
/// returns its outbox entry as the dispatcher would take it.
fn enqueue_at(
    store: &Store,
    n: i64,
    effect: Effect,
    now: chrono::DateTime<chrono::Utc>,
) -> OutboxEntry {
    let key = format!("key-{n}");
    let id = outbox::enqueue_using(
        store.conn(),
        &outbox::NewOutboxEntry {
            run_id: None,
            step_id: None,
            effect: &effect,
            idempotency_key: &key,
            mode: RunMode::Live,
            max_attempts: 5,
            backoff_secs: 60,
        },
        now,
    )
    .unwrap();
    OutboxEntry {
        id,
        run_id: None,
        step_id: None,
        effect,
        idempotency_key: key,
        mode: RunMode::Live,
        attempt: 1,
        max_attempts: 5,
        possibly_duplicated: false,
    }
}

fn signed_hook(url: &str, account: Option<&str>) -> Effect {
    Effect::Webhook(cairn_model::effect::WebhookRequest {
        method: cairn_model::workflow::HttpMethod::Post,
        url: url.into(),
        headers: Default::default(),
        secret_headers: Default::default(),
        body: Some("{}".into()),
        signing_account: account.map(str::to_string),
        timeout_secs: 5,
    })
}

fn set_limits(store: &mut Store, account: &str, per_second: u32, per_day: u32) {
    let a = store.account(account).unwrap();
    let settings = limit::with_limits(
        &a.settings,
        limit::RateLimits {
            per_second,
            per_day,
        },
    );
    store
        .set_account_settings(account, &settings, t0())
        .unwrap();
}

fn deferred(out: SendOutcome, account: &str, what: &str) -> chrono::DateTime<chrono::Utc> {
    match out {
        SendOutcome::Deferred { until, reason } => {
            assert!(
                reason.contains(&format!("rate limit of account \"{account}\""))
                    && reason.contains(&format!("the next {what} may leave")),
                "{reason}"
            );
            until
        }
        other => panic!("expected a deferral, got {other:?}"),
    }
}

#[tokio::test]
async fn a_webhook_account_limits_the_webhooks_it_signs_even_after_a_restart() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let mut w = World::new();
    accounts::add_webhook(
        &mut w.store,
        &w.vault,
        "zap",
        Some(Sensitive::new("whsec_abc".into())),
        t0(),
    )
    .unwrap();
    set_limits(&mut w.store, "zap", 2, 3);
    // The settings keep what they had beside the limits.
    assert_eq!(
        w.store.account("zap").unwrap().settings["signed"],
        serde_json::json!(true)
    );
    let url = format!("{}/hook", server.uri());
    let clock = VirtualClock::new(t0());
    let effects = w.effects();
    let e: Vec<OutboxEntry> = (1..=4)
        .map(|n| enqueue_effect(&w.store, n, signed_hook(&url, Some("zap"))))
        .collect();

    // Two per second.
    for e in &e[..2] {
        let out = dispatch(&w.store, &effects, e, &clock).await;
        assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
        clock.advance(Duration::milliseconds(300));
    }
    let until = deferred(
        dispatch(&w.store, &effects, &e[2], &clock).await,
        "zap",
        "webhook",
    );
    assert_eq!(until, t0() + Duration::seconds(1));
    // A webhook no account signs has no account limit.
    let unsigned = enqueue_effect(&w.store, 9, signed_hook(&url, None));
    let out = dispatch(&w.store, &effects, &unsigned, &clock).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    clock.set(until);
    let out = dispatch(&w.store, &effects, &e[2], &clock).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");

    // Three per rolling 24 hours, counted from the database after a restart.
    drop(effects);
    let effects = w.effects();
    clock.advance(Duration::minutes(5));
    let until = deferred(
        dispatch(&w.store, &effects, &e[3], &clock).await,
        "zap",
        "webhook",
    );
    assert_eq!(until, t0() + Duration::hours(24));
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
    clock.set(until);
    let out = dispatch(&w.store, &effects, &e[3], &clock).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    assert_eq!(w.store.outbox_entry(e[3].id).unwrap().attempts, 1);
}

#[tokio::test]
async fn a_slack_account_has_its_own_limit_and_a_failed_post_gives_its_slot_back() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::body_json(
            serde_json::json!({"text": "flaky"}),
        ))
        .respond_with(wiremock::ResponseTemplate::new(500))
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let mut w = World::new();
    for name in ["team", "other"] {
        accounts::add_slack(
            &mut w.store,
            &w.vault,
            name,
            Sensitive::new(format!("{}/services/T0/B0/{name}", server.uri())),
            t0(),
        )
        .unwrap();
    }
    set_limits(&mut w.store, "team", 1, 0);
    let slack = |account: &str, text: &str| {
        Effect::Slack(cairn_model::effect::SlackMessage {
            account: account.into(),
            text: text.into(),
        })
    };
    let clock = VirtualClock::new(t0());
    let effects = w.effects();
    let flaky = enqueue_effect(&w.store, 1, slack("team", "flaky"));
    let first = enqueue_effect(&w.store, 2, slack("team", "one"));
    let second = enqueue_effect(&w.store, 3, slack("team", "two"));
    // A post that failed did not use the second's slot.
    let now = clock.now();
    outbox::mark_sending_using(w.store.conn(), flaky.id, now, now + Duration::minutes(10)).unwrap();
    let out = effects.deliver(&flaky, now).await;
    assert!(matches!(out, SendOutcome::Retry { .. }), "{out:?}");
    outbox::reschedule_using(w.store.conn(), flaky.id, now, None, true, now).unwrap();
    let out = dispatch(&w.store, &effects, &first, &clock).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    clock.advance(Duration::milliseconds(100));
    let until = deferred(
        dispatch(&w.store, &effects, &second, &clock).await,
        "team",
        "Slack message",
    );
    assert_eq!(until, t0() + Duration::seconds(1));
    // Another Slack account is not held by this one's limit.
    let elsewhere = enqueue_effect(&w.store, 4, slack("other", "three"));
    let out = dispatch(&w.store, &effects, &elsewhere, &clock).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    clock.set(until);
    let out = dispatch(&w.store, &effects, &second, &clock).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
}
