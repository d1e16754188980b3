//! Stripe's Events API: paging, mapping, dedupe, the cursor boundary, 429,
//! 401 and a crash between fetch and commit.

use cairn_connectors::SyncOutcome;
use cairn_connectors::accounts::replace_secret;
use cairn_connectors::sync::is_due;
use cairn_model::{ErrorCode, Sensitive};
use cairn_store::accounts::AccountStatus;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = "sk_test_good_key_0001";
const SOURCE: &str = "stripe:shop";

async fn serve_both_pages(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(query_param_is_missing("starting_after"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page1.json", &[])),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(query_param("starting_after", "evt_2UnpaidSession"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page2.json", &[])),
        )
        .mount(server)
        .await;
}

fn stripe(server: &MockServer) -> serde_json::Value {
    json!({"kind": "stripe", "base_url": server.uri()})
}

#[tokio::test]
async fn purchases_and_refunds_arrive_page_by_page_within_the_budget() {
    let server = MockServer::start().await;
    serve_both_pages(&server).await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(KEY));
    b.clock.set(at(9, 5, 0));

    let r = b.sync("Shop").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!((r.new, r.duplicates, r.ignored, r.requests), (2, 0, 1, 2));
    assert!(
        r.notes[0].contains("payment_status \"unpaid\""),
        "{:?}",
        r.notes
    );

    // The first page asked from the moment the account was connected, for
    // the purchase and refund types only; the second continued after the
    // first page's last event.
    let reqs = requests_to(&server, "/v1/events").await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        param(&reqs[0], "created[gte]"),
        Some(t0().timestamp().to_string())
    );
    assert_eq!(param(&reqs[0], "limit").as_deref(), Some("100"));
    let types: Vec<String> = reqs[0]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "types[]")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(
        types,
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "charge.refunded"
        ]
    );
    assert_eq!(
        param(&reqs[1], "starting_after").as_deref(),
        Some("evt_2UnpaidSession")
    );
    // Half of Stripe's 25 requests/s: the second request waited 100 ms.
    assert_eq!(
        b.timer.waits(),
        [at(9, 5, 0) + chrono::Duration::milliseconds(100)]
    );

    let evs = b.events(SOURCE);
    assert_eq!(evs.len(), 2);
    let buy = &evs[0];
    assert_eq!(buy.event_type, "purchase.completed");
    assert_eq!(buy.external_id.as_deref(), Some("evt_1PaidSession"));
    assert_eq!(buy.occurred_at, at(9, 0, 30));
    assert_eq!(buy.payload["product"], "Program A");
    assert_eq!(buy.payload["amount"], 49.0);
    assert_eq!(buy.payload["currency"], "USD");
    assert_eq!(buy.payload["order_id"], "pi_3Ada");
    assert_eq!(buy.payload["metadata"]["cohort"], "spring");
    assert_eq!(buy.payload["name"], "Ada Lovelace");
    let ada = b
        .store
        .contact_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(buy.contact_id, Some(ada.id));

    let refund = &evs[1];
    assert_eq!(refund.event_type, "refund.issued");
    assert_eq!(refund.payload["product"], "Program B");
    assert_eq!(refund.payload["amount"], 49.0);
    assert_eq!(refund.payload["refunded"], true);
    assert_eq!(refund.payload["order_id"], "pi_3Old");
    assert!(
        b.store
            .contact_by_email("bo@example.com")
            .unwrap()
            .is_some()
    );
    // The unpaid checkout created no contact.
    assert!(
        b.store
            .contact_by_email("cy@example.com")
            .unwrap()
            .is_none()
    );

    let a = b.account("Shop");
    assert_eq!(a.status, AccountStatus::Ok);
    assert_eq!(a.last_poll_at, Some(at(9, 5, 0)));
    assert_eq!(
        a.next_poll_at,
        Some(at(9, 6, 0)),
        "Stripe's default: every minute"
    );
    assert_eq!(r.cursor_at, Some(at(9, 2, 0)));
    // The key is in the vault, nowhere in the database.
    assert_eq!(
        b.count(&format!(
            "SELECT (SELECT COUNT(*) FROM accounts WHERE settings LIKE '%{KEY}%' OR cursor LIKE '%{KEY}%' OR status_message LIKE '%{KEY}%')
                  + (SELECT COUNT(*) FROM events WHERE payload LIKE '%{KEY}%')"
        )),
        0
    );
    assert_eq!(b.vault.get("Shop").unwrap().expose(), KEY);
}

#[tokio::test]
async fn an_event_seen_in_two_polls_is_stored_once_and_the_boundary_is_read_again() {
    let server = MockServer::start().await;
    let page = fixture("stripe_events_page2.json", &[]);
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page.clone()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(KEY));
    b.clock.set(at(9, 0, 31));
    let first = b.sync("Shop").await;
    assert_eq!((first.new, first.duplicates), (1, 0));
    // The cursor stands exactly on the event's second.
    assert_eq!(first.cursor_at, Some(at(9, 0, 30)));

    // A second purchase in that same second becomes visible only later
    // (Stripe lists events as they are written, not strictly in order).
    let mut late = page["data"][0].clone();
    late["id"] = json!("evt_1bSameSecond");
    late["data"]["object"]["id"] = json!("cs_test_b2");
    late["data"]["object"]["payment_intent"] = json!("pi_3Bo");
    late["data"]["object"]["customer_details"]["email"] = json!("bo@example.com");
    let mut both = page.clone();
    both["data"] = json!([late, page["data"][0].clone()]);
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(both))
        .mount(&server)
        .await;
    b.clock.set(at(9, 2, 0));
    let second = b.sync("Shop").await;
    assert_eq!(second.outcome, SyncOutcome::Synced);
    assert_eq!((second.new, second.duplicates), (1, 1));

    let reqs = requests_to(&server, "/v1/events").await;
    let gte: i64 = param(&reqs[1], "created[gte]").unwrap().parse().unwrap();
    assert!(
        gte <= at(9, 0, 30).timestamp(),
        "the second poll starts at or before the boundary (created[gte]={gte})"
    );
    assert_eq!(
        gte,
        at(9, 0, 30).timestamp() - 300,
        "five minutes of overlap"
    );
    let evs = b.events(SOURCE);
    assert_eq!(evs.len(), 2, "each purchase once");
    assert!(
        evs.iter()
            .any(|e| e.external_id.as_deref() == Some("evt_1bSameSecond"))
    );
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_goes_on() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(fixture("stripe_error_429.json", &[])),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page2.json", &[])),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(KEY));
    b.clock.set(at(9, 5, 0));

    let r = b.sync("Shop").await;
    match &r.outcome {
        SyncOutcome::Failed { code, message } => {
            assert_eq!(*code, "rate_limited");
            assert!(message.contains("asked for 30 s"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let a = b.account("Shop");
    assert_eq!(a.status, AccountStatus::Error);
    assert_eq!(
        a.next_poll_at,
        Some(at(9, 5, 30)),
        "exactly what Retry-After asked"
    );
    assert_eq!(a.consecutive_failures, 1);
    assert_eq!(a.cursor, None, "nothing read, nothing moved");
    assert!(!is_due(&a, at(9, 5, 29)));
    assert!(is_due(&a, at(9, 5, 30)));
    assert_eq!(b.events(SOURCE).len(), 0);

    b.clock.set(at(9, 5, 30));
    let r = b.sync("Shop").await;
    assert_eq!((r.outcome.clone(), r.new), (SyncOutcome::Synced, 1));
    let a = b.account("Shop");
    assert_eq!(
        (a.status, a.status_message, a.consecutive_failures),
        (AccountStatus::Ok, None, 0)
    );
}

#[tokio::test]
async fn failures_back_off_exponentially() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(KEY));
    let mut waits = vec![];
    for _ in 0..4 {
        let now = b.now();
        let r = b.sync("Shop").await;
        assert!(
            matches!(&r.outcome, SyncOutcome::Failed { code: ErrorCode::ProviderUnavailable, message } if message.contains("HTTP 503: upstream down")),
            "{r:?}"
        );
        let next = b.account("Shop").next_poll_at.unwrap();
        waits.push((next - now).num_seconds());
        b.clock.set(next);
    }
    // 30 s, 60 s, 120 s, 240 s, each plus up to 20 % jitter.
    for (i, w) in waits.iter().enumerate() {
        let base = 30 << i;
        assert!(
            *w >= base && *w <= base + base / 5,
            "attempt {}: {w} s ({waits:?})",
            i + 1
        );
    }
    assert_eq!(b.account("Shop").consecutive_failures, 4);
}

#[tokio::test]
async fn a_401_needs_attention_stops_polling_and_a_new_key_resumes() {
    let server = MockServer::start().await;
    let wrong = "sk_test_wrong_key_0001";
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(header("authorization", format!("Bearer {wrong}").as_str()))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(fixture("stripe_error_401.json", &[])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page2.json", &[])),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(wrong));
    b.clock.set(at(9, 5, 0));

    let r = b.sync("Shop").await;
    let SyncOutcome::NeedsAttention { code, message } = &r.outcome else {
        panic!("{r:?}")
    };
    assert_eq!(*code, "unauthorized");
    assert!(
        message.contains("Stripe refused the credentials (HTTP 401)"),
        "{message}"
    );
    assert!(message.contains("cairn account test Shop"), "{message}");
    assert!(
        message.contains("Invalid API Key provided: <redacted>"),
        "{message}"
    );
    assert!(!message.contains(wrong), "the key leaked: {message}");
    let a = b.account("Shop");
    assert_eq!(a.status, AccountStatus::NeedsAttention);
    assert_eq!(a.status_message.as_deref(), Some(message.as_str()));
    assert_eq!(a.next_poll_at, None);
    assert!(
        !is_due(&a, at(9, 5, 0) + chrono::Duration::days(3)),
        "polling stopped"
    );

    // The user pastes the right key: the account is polled again.
    let now = b.now();
    replace_secret(
        &mut b.store,
        &b.vault,
        "Shop",
        &Sensitive::new(KEY.to_string()),
        now,
    )
    .unwrap();
    let a = b.account("Shop");
    assert_eq!(a.status, AccountStatus::Ok);
    assert!(is_due(&a, now));
    let r = b.sync("Shop").await;
    assert_eq!((r.outcome, r.new), (SyncOutcome::Synced, 1));
    assert_eq!(requests_to(&server, "/v1/events").await.len(), 2);
}

#[tokio::test]
async fn a_crash_between_fetch_and_commit_loses_nothing_and_doubles_nothing() {
    let server = MockServer::start().await;
    serve_both_pages(&server).await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(KEY));
    b.clock.set(at(9, 5, 0));
    // The transaction that would store the fetched events and move the
    // cursor dies at its last statement, as if the process had been killed
    // after the fetch.
    b.store
        .conn()
        .execute_batch(
            "CREATE TRIGGER crash BEFORE UPDATE OF cursor ON accounts
             BEGIN SELECT RAISE(ABORT, 'simulated crash after the fetch'); END;",
        )
        .unwrap();
    let r = b.sync("Shop").await;
    assert!(
        matches!(
            &r.outcome,
            SyncOutcome::Failed {
                code: ErrorCode::Database,
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(b.events(SOURCE).len(), 0, "no event committed");
    assert_eq!(
        b.count("SELECT COUNT(*) FROM contacts"),
        0,
        "no contact committed"
    );
    assert_eq!(b.account("Shop").cursor, None, "the cursor did not move");

    b.store.conn().execute_batch("DROP TRIGGER crash").unwrap();
    b.clock.set(at(9, 6, 0));
    let r = b.sync("Shop").await;
    assert_eq!((r.new, r.duplicates), (2, 0), "nothing lost: {r:?}");
    b.clock.set(at(9, 7, 0));
    let r = b.sync("Shop").await;
    assert_eq!((r.new, r.duplicates), (0, 2), "nothing doubled: {r:?}");
    assert_eq!(b.events(SOURCE).len(), 2);
    assert_eq!(
        b.count("SELECT COUNT(*) FROM events WHERE type = 'contact.created'"),
        2
    );
}

#[tokio::test]
async fn an_account_unpolled_longer_than_stripe_keeps_events_is_warned_about() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page2.json", &[])),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Shop", stripe(&server), Some(KEY));
    b.clock.set(at(9, 5, 0));
    b.sync("Shop").await;
    // The laptop stays closed for 41 days.
    b.clock.set(at(9, 5, 0) + chrono::Duration::days(41));
    let r = b.sync("Shop").await;
    assert_eq!(r.outcome, SyncOutcome::Synced);
    let w = r.warning.expect("a warning");
    assert!(
        w.contains("not synced since 2026-03-02 09:05 UTC (41 days)"),
        "{w}"
    );
    assert!(w.contains("Stripe keeps events for 30 days"), "{w}");
    // It stays on the account after the next successful poll too.
    b.clock.set(at(9, 10, 0) + chrono::Duration::days(41));
    b.sync("Shop").await;
    let a = b.account("Shop");
    assert_eq!(a.status, AccountStatus::Ok);
    assert_eq!(a.status_message.as_deref(), Some(w.as_str()));
}

#[tokio::test]
async fn with_purchases_from_both_a_checkout_payment_is_one_purchase() {
    let server = MockServer::start().await;
    let mut page = fixture("stripe_events_page2.json", &[]);
    let session = page["data"][0].clone();
    // The same payment's charge, in the same second (Checkout creates both).
    let charge = json!({
        "id": "evt_1ChargeOfSession",
        "object": "event",
        "created": 1772442030,
        "type": "charge.succeeded",
        "data": {"object": {
            "id": "ch_3Ada", "object": "charge", "amount": 4900, "currency": "usd",
            "billing_details": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "description": null, "metadata": {}, "payment_intent": "pi_3Ada", "status": "succeeded"
        }}
    });
    // An invoice's charge: no session, so it is a purchase of its own.
    let invoice_charge = json!({
        "id": "evt_2InvoiceCharge",
        "object": "event",
        "created": 1772442090,
        "type": "charge.succeeded",
        "data": {"object": {
            "id": "ch_inv", "object": "charge", "amount": 120000, "currency": "jpy",
            "billing_details": {"email": null}, "receipt_email": "bo@example.com",
            "description": "Coaching, March", "metadata": {}, "payment_intent": "pi_inv", "status": "succeeded"
        }}
    });
    page["data"] = json!([invoice_charge, charge, session]);
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(query_param("types[]", "charge.succeeded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Shop",
        json!({"kind": "stripe", "base_url": server.uri(), "purchases_from": "both"}),
        Some(KEY),
    );
    b.clock.set(at(9, 5, 0));
    let r = b.sync("Shop").await;
    assert_eq!((r.new, r.duplicates), (2, 1), "{r:?}");
    let evs = b.events(SOURCE);
    assert_eq!(evs[0].external_id.as_deref(), Some("payment:pi_3Ada"));
    assert_eq!(evs[0].payload["product"], "Program A", "the session won");
    assert_eq!(evs[1].payload["product"], "Coaching, March");
    assert_eq!(evs[1].payload["amount"], 120000.0, "yen has no minor unit");
    assert_eq!(evs[1].payload["currency"], "JPY");
}
