//! `simulate`: the first trigger fires through the normal path (so its
//! filters apply), time-based triggers fire on their own in virtual time,
//! and a wait-for-event hands the arrived event to later merge fields.

mod common;

use cairn_engine::simulate::{SimulateOptions, parse_script, simulate};
use cairn_model::Duration;
use cairn_model::file;
use common::*;
use serde_json::json;

fn def(v: serde_json::Value) -> cairn_model::workflow::WorkflowDef {
    let mut v = v;
    v["format"] = json!("cairn.workflow");
    v["version"] = json!(1);
    file::parse(&v.to_string()).unwrap()
}

fn opts(payload: serde_json::Value, script: &str, days: i64) -> SimulateOptions {
    SimulateOptions {
        email: "sim@x.com".into(),
        name: Some("Sim Ulation".into()),
        fields: Default::default(),
        tags: vec![],
        timezone: None,
        script: parse_script(script).unwrap(),
        duration: Duration::from_days(days),
        start: t0(),
        fire_trigger: true,
        trigger_payload: payload,
    }
}

#[test]
fn the_first_trigger_fires_through_its_filters() {
    let w = def(json!({
        "name": "Buyers",
        "nodes": [node("t", "trigger.purchase_completed", json!({"filters": [{"path": "product", "op": "eq", "value": "Program A"}]})),
                  node("a", "action.add_tag", json!({"tag": "buyer"}))],
        "edges": chain(&["t", "a"]),
    }));
    let miss = simulate(&w, &opts(json!({"product": "Program B"}), "", 1)).unwrap();
    assert!(
        miss.runs.is_empty(),
        "a purchase of another product starts nothing"
    );
    let hit = simulate(&w, &opts(json!({"product": "Program A"}), "", 1)).unwrap();
    assert_eq!(hit.runs.len(), 1);
    assert!(hit.contact.has_tag("buyer"));
}

#[test]
fn a_schedule_fires_when_its_time_comes_not_at_the_start() {
    // t0 is Monday 08:00 UTC; the schedule runs daily at 10:00.
    let w = def(json!({
        "name": "Daily",
        "nodes": [node("s", "trigger.schedule", json!({"every": "day", "time": "10:00"})),
                  node("a", "action.add_tag", json!({"tag": "daily"}))],
        "edges": chain(&["s", "a"]),
    }));
    let t = simulate(&w, &opts(json!({}), "", 1)).unwrap();
    assert_eq!(t.runs.len(), 1);
    assert_eq!(
        t.entries[0].offset_secs,
        2 * 3600,
        "fired at 10:00, not at +0"
    );
}

#[test]
fn merge_fields_read_the_event_a_wait_received() {
    let w = def(json!({
        "name": "Shipping",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "order.created"})),
            node("w", "wait.for_event", json!({"event_type": "order.fulfilled", "correlate": ["order_id"], "timeout": "7d"})),
            node("e", "action.send_email", json!({"template": "shipped", "account": "Shop"})),
        ],
        "edges": [edge("t", "next", "w"), edge("w", "arrived", "e")],
        "email_templates": [{"name": "shipped", "subject": "Order {{ trigger.order_id }} is on its way", "body": "Tracking number: {{ event.tracking_number }}"}],
    }));
    let t = simulate(
        &w,
        &opts(
            json!({"order_id": "1001"}),
            "+1d order.fulfilled {\"order_id\": \"1002\", \"tracking_number\": \"WRONG\"}\n+2d order.fulfilled {\"order_id\": \"1001\", \"tracking_number\": \"1Z999\"}",
            5,
        ),
    )
    .unwrap();
    let email = t
        .entries
        .iter()
        .find(|e| e.node == "e")
        .expect("the email step");
    assert_eq!(email.offset_secs, 2 * 86_400);
    assert_eq!(email.subject.as_deref(), Some("Order 1001 is on its way"));
    assert!(email.summary.contains("sim@x.com"));
    let validated = cairn_model::validate::validate(&w, &Default::default());
    assert!(
        !validated
            .issues
            .iter()
            .any(|i| i.code == "unknown_merge_field"),
        "{:?}",
        validated.issues
    );
}

#[test]
fn a_wait_shows_its_local_time_beside_utc() {
    // t0 is Monday 2026-01-05 08:00 UTC (09:00 in Berlin). One wait reads
    // the workflow's zone, the other the contact's.
    let w = def(json!({
        "name": "Local",
        "settings": {"timezone": "Europe/Berlin"},
        "nodes": [node("t", "trigger.manual", json!({})),
                  node("tue", "wait.until_time", json!({"weekdays": ["tue"], "time": "09:00"})),
                  node("wed", "wait.until_time", json!({"weekdays": ["wed"], "time": "09:00", "timezone": "contact"})),
                  node("a", "action.add_tag", json!({"tag": "done"}))],
        "edges": chain(&["t", "tue", "wed", "a"]),
    }));
    let mut o = opts(json!({}), "", 4);
    o.timezone = Some("America/New_York".into());
    let t = simulate(&w, &o).unwrap();
    let summary = |node: &str| {
        t.entries
            .iter()
            .find(|e| e.node == node)
            .unwrap_or_else(|| panic!("no step {node}: {:?}", t.entries))
            .summary
            .clone()
    };
    assert_eq!(
        summary("tue"),
        "until 2026-01-06T08:00:00+00:00 (2026-01-06 09:00 Tue, Europe/Berlin)"
    );
    assert_eq!(
        summary("wed"),
        "until 2026-01-07T14:00:00+00:00 (2026-01-07 09:00 Wed, America/New_York)"
    );
    assert!(t.contact.has_tag("done"));
}
