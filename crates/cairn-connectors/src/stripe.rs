//! Stripe: purchases and refunds from the Events API.
//!
//! `GET /v1/events?created[gte]=…&types[]=…&limit=100`, newest first, paged
//! with `starting_after=<last id>` while `has_more` (docs.stripe.com/api/
//! events/list, docs.stripe.com/api/pagination); auth is the secret key as
//! a Bearer token. Stripe lists events for 30 days.
//!
//! What becomes what (the event's `data.object` at the time it happened):
//! - `checkout.session.completed` whose `payment_status` is `paid` or
//!   `no_payment_required`, and `checkout.session.async_payment_succeeded`
//!   (a delayed payment method that went through) → `purchase.completed`.
//!   An unpaid completed session (bank debit still pending) is skipped: its
//!   `async_payment_succeeded` comes later.
//! - `charge.succeeded` → `purchase.completed`, when the account is set to
//!   read charges (`purchases_from`: `charges` or `both`).
//! - `charge.refunded` → `refund.issued`.
//!
//! Payload: `product` (the object's `metadata.product` or
//! `metadata.product_name`; for a charge, else its `description`) — events
//! do not carry a Checkout Session's line items, so a Payment Link or
//! Checkout Session should set `metadata.product`; `amount` in major units
//! (`amount_total` of a session, `amount` of a charge, `amount_refunded` —
//! cumulative — of a refunded charge), `currency` (upper case), `order_id`
//! (the PaymentIntent, else the session or charge id: the correlation key
//! for "wait until refund.issued with the same order_id"), `metadata`,
//! `name`, and the Stripe ids. The contact is the customer's email:
//! `customer_details.email` / `customer_email` of a session,
//! `billing_details.email` / `receipt_email` of a charge.
//!
//! With `purchases_from: both`, one payment would surface twice (its session
//! and its charge); both then share the dedupe key `payment:<PaymentIntent>`
//! and the session, read first within a poll, wins.

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::batch::{Batch, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::Api;
use crate::map;

pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// Largest page Stripe serves.
const PAGE: u32 = 100;
/// A bound on one poll's pages (100,000 events), against a server that
/// never stops saying `has_more`.
const MAX_PAGES: u32 = 1000;

/// Which Stripe events are purchases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchasesFrom {
    /// Checkout Sessions (Checkout and Payment Links).
    #[default]
    Checkout,
    /// Charges (invoices, custom integrations).
    Charges,
    /// Both, one purchase per PaymentIntent.
    Both,
}

/// A Stripe account's settings (the secret key is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default)]
    pub purchases_from: PurchasesFrom,
}

#[derive(Deserialize)]
struct List {
    data: Vec<StripeEvent>,
    has_more: bool,
}

#[derive(Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: Value,
}

const SESSION_COMPLETED: &str = "checkout.session.completed";
const SESSION_ASYNC_PAID: &str = "checkout.session.async_payment_succeeded";
const CHARGE_SUCCEEDED: &str = "charge.succeeded";
const CHARGE_REFUNDED: &str = "charge.refunded";

fn types(mode: PurchasesFrom) -> Vec<&'static str> {
    let mut t = match mode {
        PurchasesFrom::Checkout => vec![SESSION_COMPLETED, SESSION_ASYNC_PAID],
        PurchasesFrom::Charges => vec![CHARGE_SUCCEEDED],
        PurchasesFrom::Both => vec![SESSION_COMPLETED, SESSION_ASYNC_PAID, CHARGE_SUCCEEDED],
    };
    t.push(CHARGE_REFUNDED);
    t
}

fn events_url(api: &Api<'_>, s: &StripeSettings) -> Result<Url, ConnectorError> {
    crate::settings::base_url(api.account, s.base_url.as_deref(), DEFAULT_BASE_URL)?
        .join("v1/events")
        .map_err(|e| ConnectorError::invalid(api.account, "base_url", e.to_string()))
}

/// Reads the window's events.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &StripeSettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let base = events_url(api, s)?;
    let mut events: Vec<StripeEvent> = Vec::new();
    let mut starting_after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut url = base.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &PAGE.to_string());
            q.append_pair("created[gte]", &w.since.timestamp().to_string());
            for t in types(s.purchases_from) {
                q.append_pair("types[]", t);
            }
            if let Some(after) = &starting_after {
                q.append_pair("starting_after", after);
            }
        }
        let reply = api
            .get(api.client.get(url).bearer_auth(api.secret.expose()))
            .await?;
        let page: List = api.json(&reply)?;
        let last = page.data.last().map(|e| e.id.clone());
        events.extend(page.data);
        match (page.has_more, last) {
            (true, Some(last)) => starting_after = Some(last),
            _ => return Ok(map_events(events, s.purchases_from, w)),
        }
    }
    Err(api.bad(format!(
        "more than {MAX_PAGES} pages of events in one window; the poll stopped"
    )))
}

/// One cheap request that proves the key works.
pub async fn probe(api: &mut Api<'_>, s: &StripeSettings) -> Result<String, ConnectorError> {
    let mut url = events_url(api, s)?;
    url.query_pairs_mut().append_pair("limit", "1");
    let reply = api
        .get(api.client.get(url).bearer_auth(api.secret.expose()))
        .await?;
    let _: List = api.json(&reply)?;
    Ok("Stripe accepted the API key and listed events".into())
}

fn map_events(mut events: Vec<StripeEvent>, mode: PurchasesFrom, w: &Window) -> Batch {
    // Oldest first, so runs start in the order things happened; within one
    // second, sessions before charges (see the module docs on `both`).
    events.sort_by(|a, b| {
        (a.created, a.kind.starts_with("charge."), &a.id).cmp(&(
            b.created,
            b.kind.starts_with("charge."),
            &b.id,
        ))
    });
    let mut batch = Batch::default();
    let mut newest = None;
    for e in events {
        let Some(at) = chrono::DateTime::from_timestamp(e.created, 0) else {
            batch
                .ignored
                .push(format!("{}: created {} is not a time", e.id, e.created));
            continue;
        };
        newest = newest.max(Some(at));
        let o = &e.data.object;
        let mapped = match e.kind.as_str() {
            SESSION_COMPLETED | SESSION_ASYNC_PAID => session(&e, o),
            CHARGE_SUCCEEDED => Ok(charge(&e, o, false)),
            CHARGE_REFUNDED => Ok(charge(&e, o, true)),
            other => Err(format!("{other} is not an event Cairn reads")),
        };
        match mapped {
            Ok((event_type, email, payload)) => {
                let external_id = match (mode, event_type) {
                    (PurchasesFrom::Both, cairn_model::event::types::PURCHASE_COMPLETED) => {
                        match payload.get("payment_intent").and_then(Value::as_str) {
                            Some(pi) => format!("payment:{pi}"),
                            None => e.id.clone(),
                        }
                    }
                    _ => e.id.clone(),
                };
                batch.items.push(Incoming::new(map::event(
                    event_type,
                    email,
                    payload,
                    at,
                    &w.source,
                    external_id,
                )));
            }
            Err(why) => batch.ignored.push(format!("{}: {why}", e.id)),
        }
    }
    batch.cursor = w.advance(newest, crate::provider::STRIPE.overlap());
    batch
}

fn text<'a>(o: &'a Value, path: &str) -> Option<&'a str> {
    o.pointer(path)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn metadata(o: &Value) -> Value {
    o.get("metadata")
        .filter(|m| m.is_object())
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

fn product_from_metadata(o: &Value) -> Option<&str> {
    text(o, "/metadata/product").or_else(|| text(o, "/metadata/product_name"))
}

/// Adds `amount` (major units), `amount_minor` and `currency` when present.
fn money(p: &mut Map<String, Value>, minor: Option<i64>, currency: Option<&str>) {
    if let (Some(minor), Some(cur)) = (minor, currency) {
        p.insert("amount".into(), json!(map::major_units(minor, cur)));
        p.insert("amount_minor".into(), json!(minor));
        p.insert("currency".into(), json!(cur.to_ascii_uppercase()));
    }
}

type Mapped = (&'static str, Option<String>, Value);

fn session(e: &StripeEvent, o: &Value) -> Result<Mapped, String> {
    let status = text(o, "/payment_status").unwrap_or("");
    if e.kind == SESSION_COMPLETED && !matches!(status, "paid" | "no_payment_required") {
        return Err(format!(
            "checkout session {} completed with payment_status {status:?}; its purchase comes with checkout.session.async_payment_succeeded",
            text(o, "/id").unwrap_or("?")
        ));
    }
    let id = text(o, "/id").unwrap_or(&e.id);
    let pi = text(o, "/payment_intent");
    let mut p = Map::new();
    if let Some(product) = product_from_metadata(o) {
        p.insert("product".into(), json!(product));
    }
    money(
        &mut p,
        o.get("amount_total").and_then(Value::as_i64),
        text(o, "/currency"),
    );
    p.insert("order_id".into(), json!(pi.unwrap_or(id)));
    p.insert("session_id".into(), json!(id));
    for (k, path) in [
        ("payment_intent", "/payment_intent"),
        ("customer", "/customer"),
        ("payment_link", "/payment_link"),
        ("mode", "/mode"),
        ("name", "/customer_details/name"),
    ] {
        if let Some(v) = text(o, path) {
            p.insert(k.into(), json!(v));
        }
    }
    p.insert("metadata".into(), metadata(o));
    p.insert("stripe_event".into(), json!(e.id));
    let email = map::email([
        text(o, "/customer_details/email"),
        text(o, "/customer_email"),
    ]);
    Ok((
        cairn_model::event::types::PURCHASE_COMPLETED,
        email,
        Value::Object(p),
    ))
}

fn charge(e: &StripeEvent, o: &Value, refunded: bool) -> Mapped {
    let id = text(o, "/id").unwrap_or("");
    let pi = text(o, "/payment_intent");
    let mut p = Map::new();
    if let Some(product) = product_from_metadata(o).or_else(|| text(o, "/description")) {
        p.insert("product".into(), json!(product));
    }
    let amount_key = if refunded {
        "amount_refunded"
    } else {
        "amount"
    };
    money(
        &mut p,
        o.get(amount_key).and_then(Value::as_i64),
        text(o, "/currency"),
    );
    if refunded {
        p.insert(
            "refunded".into(),
            json!(o.get("refunded").and_then(Value::as_bool).unwrap_or(false)),
        );
    }
    p.insert("order_id".into(), json!(pi.unwrap_or(id)));
    p.insert("charge_id".into(), json!(id));
    for (k, path) in [
        ("payment_intent", "/payment_intent"),
        ("customer", "/customer"),
        ("description", "/description"),
        ("name", "/billing_details/name"),
    ] {
        if let Some(v) = text(o, path) {
            p.insert(k.into(), json!(v));
        }
    }
    p.insert("metadata".into(), metadata(o));
    p.insert("stripe_event".into(), json!(e.id));
    let email = map::email([text(o, "/billing_details/email"), text(o, "/receipt_email")]);
    let t = if refunded {
        cairn_model::event::types::REFUND_ISSUED
    } else {
        cairn_model::event::types::PURCHASE_COMPLETED
    };
    (t, email, Value::Object(p))
}
