//! Shopify's REST Admin orders: Link-header paging, the access-token header,
//! the leaky bucket, and each order state becoming its event once.

use cairn_connectors::SyncOutcome;
use cairn_model::ErrorCode;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = "shpat_test_0123456789abcdef";
const ORDERS: &str = "/admin/api/2025-10/orders.json";
const SOURCE: &str = "shopify:store";

fn settings(server: &MockServer) -> serde_json::Value {
    json!({"kind": "shopify", "shop": "coach-store.myshopify.com", "base_url": server.uri()})
}

#[tokio::test]
async fn orders_created_fulfilled_and_delivered_each_arrive_once() {
    let server = MockServer::start().await;
    let next = format!(
        "<{}{ORDERS}?limit=250&page_info=eyJsYXN0X2lkIjo0NTA3ODk0NzB9>; rel=\"next\"",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("x-shopify-access-token", TOKEN))
        .and(query_param_is_missing("page_info"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", next.as_str())
                // 32 of 40 used: past half the bucket, Cairn slows down.
                .insert_header("X-Shopify-Shop-Api-Call-Limit", "32/40")
                .set_body_json(fixture("shopify_orders_page1.json", &[])),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("x-shopify-access-token", TOKEN))
        .and(query_param("page_info", "eyJsYXN0X2lkIjo0NTA3ODk0NzB9"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Shopify-Shop-Api-Call-Limit", "2/40")
                .set_body_json(fixture("shopify_orders_page2.json", &[])),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Store", settings(&server), Some(TOKEN));
    b.clock.set(at(10, 0, 0));

    let r = b.sync("Store").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!(r.requests, 2);
    let reqs = requests_to(&server, ORDERS).await;
    assert_eq!(param(&reqs[0], "status").as_deref(), Some("any"));
    assert_eq!(param(&reqs[0], "limit").as_deref(), Some("250"));
    assert_eq!(
        param(&reqs[0], "updated_at_min").as_deref(),
        Some("2026-03-02T08:00:00+00:00")
    );
    // The page_info link was used exactly as given, with nothing added.
    assert_eq!(param(&reqs[1], "updated_at_min"), None);
    // 32/40 is 12 over half the bucket, which drains at 2/s: 6 s.
    assert_eq!(b.timer.waits(), [at(10, 0, 6)]);

    let evs = b.events(SOURCE);
    let got: Vec<(String, String, String)> = evs
        .iter()
        .map(|e| {
            (
                e.event_type.clone(),
                e.payload["order_name"].as_str().unwrap().to_string(),
                e.external_id.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "order.created".into(),
                "#1001".into(),
                "order:450789469:created".into()
            ),
            // #1002 was created before the account was connected: only its
            // fulfilment is new.
            (
                "order.fulfilled".into(),
                "#1002".into(),
                "order:450789470:fulfilled".into()
            ),
            // #1003 was cancelled: nothing. #1004: all three.
            (
                "order.created".into(),
                "#1004".into(),
                "order:450789472:created".into()
            ),
            (
                "order.fulfilled".into(),
                "#1004".into(),
                "order:450789472:fulfilled".into()
            ),
            (
                "order.delivered".into(),
                "#1004".into(),
                "order:450789472:delivered".into()
            ),
        ]
    );
    let created = &evs[0];
    assert_eq!(created.occurred_at, at(9, 0, 0));
    assert_eq!(created.payload["order_id"], "450789469");
    assert_eq!(created.payload["amount"], 199.0);
    assert_eq!(created.payload["currency"], "USD");
    assert_eq!(created.payload["product"], "Program A Workbook");
    assert_eq!(created.payload["name"], "Ada Lovelace");
    assert_eq!(evs[1].payload["tracking_numbers"], json!(["1Z2345"]));
    // #1004 has no `email`: its contact_email is the contact.
    let dee = b
        .store
        .contact_by_email("dee@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(evs[4].contact_id, Some(dee.id));

    // Later, #1001 is fulfilled and delivered: only those two are new.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("shopify_order_1001_delivered.json", &[])),
        )
        .mount(&server)
        .await;
    b.clock
        .set(at(10, 0, 0) + chrono::Duration::days(1) + chrono::Duration::hours(6));
    let r = b.sync("Store").await;
    assert_eq!((r.new, r.duplicates), (2, 1), "{r:?}");
    let again: Vec<String> = b
        .events(SOURCE)
        .iter()
        .filter(|e| e.payload["order_id"] == "450789469")
        .map(|e| e.event_type.clone())
        .collect();
    assert_eq!(
        again,
        ["order.created", "order.fulfilled", "order.delivered"]
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Link",
                    "<https://attacker.example/admin/api/2025-10/orders.json?page_info=x>; rel=\"next\"",
                )
                .set_body_json(fixture("shopify_orders_page1.json", &[])),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Store", settings(&server), Some(TOKEN));
    let r = b.sync("Store").await;
    let SyncOutcome::Failed { code, message } = &r.outcome else {
        panic!("{r:?}")
    };
    assert_eq!(*code, "bad_response");
    assert!(
        message.contains("attacker.example, not to the shop"),
        "{message}"
    );
    assert_eq!(
        b.events(SOURCE).len(),
        0,
        "a poll that failed commits nothing"
    );
}

#[tokio::test]
async fn shopifys_fractional_retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "2.0")
                .set_body_json(json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})),
        )
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add("Store", settings(&server), Some(TOKEN));
    let r = b.sync("Store").await;
    assert!(
        matches!(
            r.outcome,
            SyncOutcome::Failed {
                code: ErrorCode::RateLimited,
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(
        b.account("Store").next_poll_at,
        Some(t0() + chrono::Duration::seconds(2))
    );
}
