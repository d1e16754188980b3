//! Shopify: orders created, fulfilled and delivered, from the REST Admin API.
//!
//! `GET /admin/api/{version}/orders.json?status=any&updated_at_min=…&limit=250`
//! with the `X-Shopify-Access-Token` header (a custom app's Admin API access
//! token with `read_orders`), further pages through the `Link` header's
//! `rel="next"` URL, which must be used as given (shopify.dev/docs/api/
//! admin-rest/usage/pagination). Shopify calls the REST Admin API "legacy"
//! since 2024-10 but keeps serving it to custom apps; the version is a
//! setting.
//!
//! Every order updated in the window is read whole, and each state it has
//! reached becomes an event once, keyed `order:<id>:<state>`, so the same
//! order seen again later with a new status yields only the new event:
//! - `order.created` — at `created_at`; not for an order cancelled before
//!   Cairn first saw it.
//! - `order.fulfilled` — `fulfillment_status` is `fulfilled`; at the latest
//!   successful fulfillment's `created_at`.
//! - `order.delivered` — every successful fulfillment has `shipment_status`
//!   `delivered`; at the latest one's `updated_at`.
//!
//! Nothing that happened before the account was connected becomes an event
//! (an old order edited today does not start a "new order" workflow).
//! Payload: `order_id` (the numeric id, as text: the correlation key),
//! `order_name` (`#1001`), `amount` (`total_price`), `currency`, `product`
//! (the first line item's title), `products`, `line_items`,
//! `financial_status`, `fulfillment_status`, `name`, and for fulfilment
//! events `tracking_numbers` / `tracking_company`. The contact is the
//! order's `email`, else `contact_email`, else the customer's.

use cairn_model::Timestamp;
use cairn_model::event::types;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::batch::{Batch, Incoming, Window};
use crate::error::ConnectorError;
use crate::http::{Api, Reply};
use crate::map;

pub const DEFAULT_API_VERSION: &str = "2025-10";
/// Largest page Shopify serves.
const PAGE: u32 = 250;
const MAX_PAGES: u32 = 1000;
/// The call-limit header: "used/bucket size".
const CALL_LIMIT: &str = "x-shopify-shop-api-call-limit";
/// The bucket's leak rate on the standard plan, requests per second.
const LEAK_PER_SEC: i64 = 2;

/// A Shopify account's settings (the access token is in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopifySettings {
    /// `your-store.myshopify.com`.
    pub shop: String,
    #[serde(default = "default_version")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

fn default_version() -> String {
    DEFAULT_API_VERSION.to_string()
}

/// `my-store`, `https://my-store.myshopify.com/` → `my-store.myshopify.com`.
pub fn normalize_shop(raw: &str) -> String {
    let s = raw.trim().to_ascii_lowercase();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    let s = s.split('/').next().unwrap_or("").to_string();
    if !s.is_empty() && !s.contains('.') {
        format!("{s}.myshopify.com")
    } else {
        s
    }
}

impl ShopifySettings {
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        let shop = &self.shop;
        if shop.is_empty()
            || !shop
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(ConnectorError::invalid(
                account,
                "shop",
                format!("{shop:?} is not a shop domain such as my-store.myshopify.com"),
            ));
        }
        let v = &self.api_version;
        let ok = v.len() == 7
            && v[..4].chars().all(|c| c.is_ascii_digit())
            && &v[4..5] == "-"
            && v[5..].chars().all(|c| c.is_ascii_digit());
        if !ok && v != "unstable" {
            return Err(ConnectorError::invalid(
                account,
                "api_version",
                format!("{v:?} is not an API version such as {DEFAULT_API_VERSION}"),
            ));
        }
        self.orders_url(account).map(|_| ())
    }

    fn orders_url(&self, account: &str) -> Result<Url, ConnectorError> {
        let default = format!("https://{}", self.shop);
        crate::settings::base_url(account, self.base_url.as_deref(), &default)?
            .join(&format!("admin/api/{}/orders.json", self.api_version))
            .map_err(|e| ConnectorError::invalid(account, "api_version", e.to_string()))
    }
}

#[derive(Deserialize)]
struct Orders {
    orders: Vec<Order>,
}

#[derive(Deserialize, Serialize)]
struct Order {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    order_number: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    contact_email: Option<String>,
    #[serde(default)]
    customer: Option<Customer>,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    cancelled_at: Option<String>,
    #[serde(default)]
    total_price: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    financial_status: Option<String>,
    #[serde(default)]
    fulfillment_status: Option<String>,
    #[serde(default)]
    line_items: Vec<LineItem>,
    #[serde(default)]
    fulfillments: Vec<Fulfillment>,
}

#[derive(Deserialize, Serialize)]
struct Customer {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct LineItem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    quantity: Option<i64>,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    product_id: Option<i64>,
}

#[derive(Deserialize, Serialize)]
struct Fulfillment {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    shipment_status: Option<String>,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    tracking_company: Option<String>,
    #[serde(default)]
    tracking_numbers: Vec<String>,
}

/// Reads every order updated in the window.
pub async fn fetch(
    api: &mut Api<'_>,
    s: &ShopifySettings,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let first = s.orders_url(api.account)?;
    let mut url = first.clone();
    url.query_pairs_mut()
        .append_pair("status", "any")
        .append_pair("updated_at_min", &w.since.to_rfc3339())
        .append_pair("limit", &PAGE.to_string());
    let mut orders = Vec::new();
    for _ in 0..MAX_PAGES {
        let reply = get(api, url.clone()).await?;
        let page: Orders = api.json(&reply)?;
        orders.extend(page.orders);
        match next_link(api, &reply, &first)? {
            Some(next) => url = next,
            None => return map_orders(api, orders, w),
        }
    }
    Err(api.bad(format!(
        "more than {MAX_PAGES} pages of orders in one window; the poll stopped"
    )))
}

/// One cheap request that proves the token can read orders.
pub async fn probe(api: &mut Api<'_>, s: &ShopifySettings) -> Result<String, ConnectorError> {
    let mut url = s.orders_url(api.account)?;
    url.query_pairs_mut()
        .append_pair("status", "any")
        .append_pair("limit", "1");
    let reply = get(api, url).await?;
    let _: Orders = api.json(&reply)?;
    Ok(format!(
        "the shop {} accepted the access token and listed orders",
        s.shop
    ))
}

async fn get(api: &mut Api<'_>, url: Url) -> Result<Reply, ConnectorError> {
    let req = api
        .client
        .get(url)
        .header("X-Shopify-Access-Token", api.secret.expose().as_str());
    let reply = api.get(req).await?;
    // Past half the bucket, wait until it has drained back to half.
    if let Some((used, size)) = reply
        .headers
        .get(CALL_LIMIT)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once('/'))
        .and_then(|(u, s)| Some((u.trim().parse::<i64>().ok()?, s.trim().parse::<i64>().ok()?)))
        && used * 2 > size
    {
        let drain = chrono::Duration::milliseconds((used - size / 2) * 1000 / LEAK_PER_SEC);
        api.pacer.hold(api.account, api.clock.now() + drain);
    }
    Ok(reply)
}

/// The `rel="next"` page, refused when it leaves the shop's origin (the
/// request carries the access token).
fn next_link(api: &Api<'_>, reply: &Reply, first: &Url) -> Result<Option<Url>, ConnectorError> {
    let Some(link) = reply
        .headers
        .get(reqwest::header::LINK)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let links = parse_link_header::parse_with_rel(link)
        .map_err(|e| api.bad(format!("the Link header {link:?} cannot be read: {e:?}")))?;
    let Some(next) = links.get("next") else {
        return Ok(None);
    };
    let url = first
        .join(&next.raw_uri)
        .map_err(|e| api.bad(format!("the next-page link is not a URL: {e}")))?;
    if !crate::http::same_origin(first, &url) {
        return Err(api.bad(format!(
            "the next-page link leads to {}, not to the shop; it was not followed",
            url.host_str().unwrap_or("?")
        )));
    }
    Ok(Some(url))
}

fn time(s: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn map_orders(api: &Api<'_>, orders: Vec<Order>, w: &Window) -> Result<Batch, ConnectorError> {
    let mut batch = Batch::default();
    let mut newest = None;
    for o in orders {
        let (Some(created), Some(updated)) = (time(&o.created_at), time(&o.updated_at)) else {
            return Err(api.bad(format!(
                "order {} has a created_at/updated_at that is not an ISO 8601 time",
                o.id
            )));
        };
        newest = newest.max(Some(updated));
        let email = map::email([
            o.email.as_deref(),
            o.contact_email.as_deref(),
            o.customer.as_ref().and_then(|c| c.email.as_deref()),
        ]);
        let base = payload(&o);
        let mut emit = |state: &str, t: &str, at: Timestamp, extra: Value| {
            let mut p = base.clone();
            if let (Some(p), Value::Object(extra)) = (p.as_object_mut(), extra) {
                p.extend(extra);
            }
            batch.items.push(Incoming::new(map::event(
                t,
                email.clone(),
                p,
                at,
                &w.source,
                format!("order:{}:{state}", o.id),
            )));
        };
        if created >= w.start && o.cancelled_at.is_none() {
            emit("created", types::ORDER_CREATED, created, json!({}));
        }
        let shipped: Vec<&Fulfillment> = o
            .fulfillments
            .iter()
            .filter(|f| f.status.as_deref().is_none_or(|s| s == "success"))
            .collect();
        let tracking = json!({
            "tracking_numbers": shipped.iter().flat_map(|f| f.tracking_numbers.iter()).collect::<Vec<_>>(),
            "tracking_company": shipped.iter().find_map(|f| f.tracking_company.as_deref()),
        });
        if o.fulfillment_status.as_deref() == Some("fulfilled") {
            let at = shipped
                .iter()
                .filter_map(|f| time(&f.created_at))
                .max()
                .unwrap_or(updated);
            if at >= w.start {
                emit("fulfilled", types::ORDER_FULFILLED, at, tracking.clone());
            }
        }
        if !shipped.is_empty()
            && shipped
                .iter()
                .all(|f| f.shipment_status.as_deref() == Some("delivered"))
        {
            let at = shipped
                .iter()
                .filter_map(|f| time(&f.updated_at))
                .max()
                .unwrap_or(updated);
            if at >= w.start {
                emit("delivered", types::ORDER_DELIVERED, at, tracking);
            }
        }
    }
    batch.items.sort_by_key(|i| i.event.occurred_at);
    batch.cursor = w.advance(newest, crate::provider::SHOPIFY.overlap());
    Ok(batch)
}

fn payload(o: &Order) -> Value {
    let titles: Vec<&str> = o
        .line_items
        .iter()
        .filter_map(|l| l.title.as_deref())
        .collect();
    let name = o.customer.as_ref().map(|c| {
        [c.first_name.as_deref(), c.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut p = json!({
        "order_id": o.id.to_string(),
        "order_name": o.name,
        "order_number": o.order_number,
        "amount": o.total_price.as_deref().and_then(map::decimal),
        "currency": o.currency,
        "product": titles.first(),
        "products": titles,
        "line_items": o.line_items.iter().map(|l| json!({
            "title": l.title,
            "quantity": l.quantity,
            "price": l.price.as_deref().and_then(map::decimal),
            "sku": l.sku,
            "product_id": l.product_id,
        })).collect::<Vec<_>>(),
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "name": name.filter(|n| !n.is_empty()),
    });
    if let Some(m) = p.as_object_mut() {
        m.retain(|_, v| !v.is_null());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_names_are_normalized_and_checked() {
        assert_eq!(normalize_shop("My-Store"), "my-store.myshopify.com");
        assert_eq!(
            normalize_shop("https://my-store.myshopify.com/admin"),
            "my-store.myshopify.com"
        );
        let mut s = ShopifySettings {
            shop: "bad shop".into(),
            api_version: DEFAULT_API_VERSION.into(),
            base_url: None,
        };
        let e = s.check("shop").unwrap_err();
        assert!(e.to_string().contains("shop: \"bad shop\""), "{e}");
        s.shop = "ok.myshopify.com".into();
        s.api_version = "2025/10".into();
        let e = s.check("shop").unwrap_err();
        assert!(e.to_string().contains("api_version"), "{e}");
    }
}
