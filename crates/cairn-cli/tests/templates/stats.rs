//! `cairn stats` over a run log written by the real engine for an imported
//! template, with every number worked out by hand from the script below.

use cairn_engine::{Engine, EngineConfig};
use cairn_model::Timestamp;
use cairn_model::account::AccountKind;
use cairn_model::event::NewEvent;
use cairn_store::Store;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::common::*;

fn utc(d: u32, h: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap()
}

/// Feeds scripted events to the engine on a virtual clock until `until`,
/// the way the executor would have handled them as they arrived.
fn drive(db: &std::path::Path, mut script: Vec<(Timestamp, &str, &str, Value)>, until: Timestamp) {
    script.sort_by_key(|e| e.0);
    let store = Store::open(db).unwrap();
    let mut engine = Engine::with_config(
        store,
        EngineConfig {
            // Effects are recorded, not sent: no SMTP server in this test.
            force_dry_run: true,
            ..EngineConfig::default()
        },
    );
    let mut now = script[0].0;
    let mut next_event = 0;
    loop {
        while next_event < script.len() && script[next_event].0 <= now {
            let (at, email, ty, payload) = &script[next_event];
            engine
                .store_mut()
                .emit(
                    &NewEvent {
                        event_type: ty.to_string(),
                        contact_email: Some(email.to_string()),
                        payload: payload.clone(),
                        occurred_at: *at,
                        source: "shop".into(),
                        external_id: None,
                    },
                    *at,
                )
                .unwrap();
            next_event += 1;
        }
        engine.tick(now).unwrap();
        let due = engine.next_due().unwrap();
        let next = [due, script.get(next_event).map(|e| e.0)]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .min();
        match next {
            Some(t) if t < until => now = t,
            _ => break,
        }
    }
}

#[test]
fn stats_of_an_abandoned_cart_log_written_by_the_engine() {
    let w = Workdir::new();
    let db = w.db();
    let dbs = db.to_str().unwrap();
    ok(w.path(), &["--db", dbs, "init"]);
    ok(
        w.path(),
        &["--db", dbs, "template", "use", "abandoned-cart"],
    );
    {
        let mut s = Store::open(&db).unwrap();
        s.add_account(
            "Email",
            AccountKind::Smtp,
            &json!({"from": "Sam Coach <sam@example.com>"}),
            None,
            utc(5, 15),
        )
        .unwrap();
    }
    ok(
        w.path(),
        &["--db", dbs, "workflow", "activate", "Abandoned cart"],
    );
    let cart = json!({"cart_url": "https://shop.example.com/cart/1", "product": "Program A"});
    // New York is UTC-5 in January: 15:00Z is 10:00 there.
    drive(
        &db,
        vec![
            // Ann: reminders at 16:00Z and (a day later) Jan 6 16:00Z, then
            // buys at Jan 6 17:00Z: a conversion, the third reminder never goes.
            (
                utc(5, 15),
                "ann@example.com",
                "cart.abandoned",
                cart.clone(),
            ),
            (
                utc(6, 17),
                "ann@example.com",
                "purchase.completed",
                json!({"product": "Program A"}),
            ),
            // Bo: reminders Jan 5 17:00Z, Jan 6 17:00Z, Jan 8 17:00Z, then the
            // tag and the end: completed after 3 days 1 hour.
            (utc(5, 16), "bo@example.com", "cart.abandoned", cart.clone()),
            // Cy: reminders Jan 8 16:00Z and Jan 9 16:00Z; on Jan 10 still
            // waiting for the third.
            (utc(8, 15), "cy@example.com", "cart.abandoned", cart),
        ],
        utc(10, 5),
    );

    // Local days Jan 5 – Jan 9 in New York: 05:00Z to 05:00Z, five days.
    let s = json(
        w.path(),
        &[
            "--db",
            dbs,
            "stats",
            "Abandoned cart",
            "--since",
            "2026-01-05",
            "--until",
            "2026-01-10",
        ],
    );
    assert_eq!(s["since"], "2026-01-05T05:00:00Z");
    assert_eq!(s["until"], "2026-01-10T05:00:00Z");
    assert_eq!(
        s["runs"],
        json!({"started": 3, "open": 1, "ended": 2, "completed": 1, "exited": 1, "failed": 0})
    );
    assert_eq!(s["completion_rate"], 0.5);
    assert_eq!(s["conversions"], 1);
    assert_eq!(s["conversion_rate"], 0.5);
    assert_eq!(s["goals"], json!([{"goal": "Purchased", "runs": 1}]));
    // Ann's exit is a conversion, not a drop-off; nobody else left early.
    assert_eq!(s["drop_off"], Value::Null);
    assert_eq!(s["drop_offs"], json!([]));
    let ttc = 3 * D + H;
    assert_eq!(
        s["time_to_completion"],
        json!({"median_secs": ttc, "p90_secs": ttc, "runs": 1})
    );
    assert_eq!(
        s["throughput"],
        json!({"days": 5.0, "per_day": 0.6, "per_week": 4.2})
    );
    // 1 completed run × 3 minutes ÷ 60 × 40 an hour.
    assert_eq!(
        s["cost_saved"],
        json!({"completed_runs": 1, "manual_minutes_per_run": 3.0, "hourly_rate": 40.0, "hours": 0.05, "amount": 2.0})
    );
    assert_eq!(s["workflows_active"], 1);
    // Reminders: 3 + 3 + 1, the tag: 1; none failed.
    assert_eq!(
        (
            s["action_steps"].as_i64(),
            s["failed_action_steps"].as_i64()
        ),
        (Some(8), Some(0))
    );
    assert_eq!(s["error_rate"], 0.0);
    // Three runs are too few to judge drift; no experience event is named.
    assert_eq!(s["drift"]["until"], "2026-01-10T05:00:00Z");
    assert!(
        s["drift"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["verdict"] == "too_few_runs"),
        "{}",
        s["drift"]
    );
    assert_eq!(s["experience"], Value::Null);
    let nodes: Vec<(String, i64, i64, i64, i64)> = s["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node"].as_str().unwrap().to_string(),
                n["passed"].as_i64().unwrap(),
                n["waiting"].as_i64().unwrap(),
                n["failed"].as_i64().unwrap(),
                n["skipped"].as_i64().unwrap(),
            )
        })
        .collect();
    let row = |n: &str, p, w, f, sk| (n.to_string(), p, w, f, sk);
    assert_eq!(
        nodes,
        [
            row("abandoned", 3, 0, 0, 0),
            row("hour", 3, 0, 0, 0),
            row("remind_1", 3, 0, 0, 0),
            row("day", 3, 0, 0, 0),
            row("remind_2", 3, 0, 0, 0),
            // Bo's fired, Ann's was cut short by her purchase, Cy's waits.
            row("two_days", 1, 1, 0, 1),
            row("remind_3", 1, 0, 0, 0),
            row("not_recovered", 1, 0, 0, 0),
            row("end", 1, 0, 0, 0),
        ]
    );
    let days: Vec<(String, i64, i64, i64, i64)> = s["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["started"].as_i64().unwrap(),
                d["completed"].as_i64().unwrap(),
                d["failed"].as_i64().unwrap(),
                d["conversions"].as_i64().unwrap(),
            )
        })
        .collect();
    let day = |d: &str, s, c, f, v| (d.to_string(), s, c, f, v);
    assert_eq!(
        days,
        [
            day("2026-01-05", 2, 0, 0, 0),
            day("2026-01-06", 0, 0, 0, 1),
            day("2026-01-07", 0, 0, 0, 0),
            day("2026-01-08", 1, 1, 0, 0),
            day("2026-01-09", 0, 0, 0, 0),
        ]
    );

    let human = ok(
        w.path(),
        &[
            "--db",
            dbs,
            "stats",
            "Abandoned cart",
            "--since",
            "2026-01-05",
            "--until",
            "2026-01-10",
        ],
    );
    for line in [
        "runs started      3 (0.60 a day, 4.2 a week); 1 still open",
        "completion rate   50.0 %",
        "drop-off step     –",
        "time to complete  median 3d 1h, p90 3d 1h (over 1 runs)",
        "conversions       1 (50.0 %): Purchased 1",
        "cost saved        2.00 (1 runs × 3 min ÷ 60 × 40.00 an hour = 0.05 h)",
        "drift (the 7 days to 2026-01-10 05:00:00 UTC against the 28 days before):",
        "  too few runs to judge  completion rate 50.0 % (of 2) in the last 7 days, – (of 0) in the 28 days before",
    ] {
        assert!(human.contains(line), "missing {line:?} in:\n{human}");
    }
}

#[test]
fn stats_refuses_unknown_workflows_and_bad_dates() {
    let w = Workdir::new();
    let db = w.db();
    let dbs = db.to_str().unwrap();
    ok(w.path(), &["--db", dbs, "init"]);
    ok(w.path(), &["--db", dbs, "template", "use", "refund"]);
    let o = cairn(w.path(), &["--db", dbs, "--json", "stats", "Refunds"]);
    assert_eq!(o.code, 1);
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], "not_found");
    let o = cairn(
        w.path(),
        &[
            "--db",
            dbs,
            "stats",
            "Refund: Program A",
            "--since",
            "last week",
        ],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("--since \"last week\": expected a date"),
        "{}",
        o.stderr
    );
    let o = cairn(
        w.path(),
        &[
            "--db",
            dbs,
            "stats",
            "Refund: Program A",
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("the range is empty"), "{}", o.stderr);
    // No runs yet: every rate is unknown, not zero; the range defaults to
    // [local midnight of the day it was created, now).
    let s = json(w.path(), &["--db", dbs, "stats", "Refund: Program A"]);
    assert_eq!(s["since"], "2026-01-05T05:00:00Z");
    assert_eq!(s["until"], NOW);
    assert_eq!(s["runs"]["started"], 0);
    assert!(s["completion_rate"].is_null() && s["error_rate"].is_null());
}
