//! The forecast before activation over 100,000 contacts and 30 days (issue
//! 14: under 10 s), on a real SQLite file, timed from the call to the
//! answer: the scratch copy, the engine over 30 virtual days, the counts.
//!
//! `cargo bench -p cairn-engine --bench forecast` (add `-- quick` for a
//! tenth of the contacts). Numbers go in docs/BENCHMARKS.md ("Forecast").

use std::time::Instant;

// The benches' shared helpers (node JSON, CPU time); the rest of the
// module, the soak itself, is unused here.
#[path = "../tests/soak/mod.rs"]
mod soak;

use soak::{cpu, node};

use cairn_engine::Engine;
use cairn_engine::forecast::{self, ForecastOptions};
use cairn_model::account::AccountKind;
use cairn_model::contact::{FieldDef, FieldType};
use cairn_store::Store;
use cairn_store::contacts::{self, ContactInput};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

fn edge(from: &str, exit: &str, to: &str) -> Value {
    json!({"from": from, "exit": exit, "to": to})
}

/// `n` contacts with a birthday spread over the year, a time zone out of
/// four, one in ten tagged `vip`; their signup events handled, as a
/// running executor would have.
fn database(dir: &tempfile::TempDir, n: usize) -> Store {
    let mut s = Store::open(dir.path().join("cairn.db")).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    s.add_account(
        "Gmail",
        AccountKind::Smtp,
        &json!({"from": "Coach <coach@example.com>"}),
        None,
        now,
    )
    .unwrap();
    s.define_field(
        &FieldDef {
            name: "birthday".into(),
            field_type: FieldType::Date,
        },
        now,
    )
    .unwrap();
    let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];
    let first = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        s.write(|tx| {
            for &i in chunk {
                let bday = first + chrono::Duration::days((i * 7 % 365) as i64);
                let input = ContactInput {
                    email: format!("c{i}@example.com"),
                    timezone: Some(zones[i % 4].into()),
                    fields: [(
                        "birthday".to_string(),
                        format!("{}-{:02}-{:02}", bday.year(), bday.month(), bday.day()),
                    )]
                    .into(),
                    tags: if i % 10 == 0 {
                        vec!["vip".into()]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                };
                contacts::upsert_using(tx, &input, "bench", now)?;
            }
            Ok::<_, cairn_store::StoreError>(())
        })
        .unwrap();
    }
    let mut e = Engine::new(s);
    while e.tick(now).unwrap().more {}
    e.store().reopen().unwrap()
}

/// A birthday greeting (date-based, yearly, in the contact's zone), three
/// days later a gift for VIPs; and every Monday a digest to the VIPs. `which`
/// keeps the birthday part, the digest part, or both.
fn workflow(which: &str) -> String {
    let birthday = [
        node(
            "d",
            "trigger.date",
            json!({"field": "birthday", "yearly": true, "time": "10:00", "timezone": "contact"}),
        ),
        node(
            "greet",
            "action.send_email",
            json!({"template": "greeting", "account": "Gmail"}),
        ),
        node("w", "wait.duration", json!({"duration": "3d"})),
        node("vip", "condition", json!({"condition": {"has_tag": "vip"}})),
        node(
            "gift",
            "action.send_email",
            json!({"template": "gift", "account": "Gmail"}),
        ),
        node("tag", "action.add_tag", json!({"tag": "gifted"})),
    ];
    let birthday_edges = [
        edge("d", "next", "greet"),
        edge("greet", "next", "w"),
        edge("w", "next", "vip"),
        edge("vip", "yes", "gift"),
        edge("gift", "next", "tag"),
    ];
    let digest = [
        node(
            "s",
            "trigger.schedule",
            json!({"every": "week", "weekdays": ["mon"], "time": "09:00", "audience": {"has_tag": "vip"}}),
        ),
        node(
            "digest",
            "action.send_email",
            json!({"template": "digest", "account": "Gmail"}),
        ),
    ];
    let digest_edges = [edge("s", "next", "digest")];
    let (mut nodes, mut edges) = (vec![], vec![]);
    if which != "digest" {
        nodes.extend(birthday);
        edges.extend(birthday_edges);
    }
    if which != "birthday" {
        nodes.extend(digest);
        edges.extend(digest_edges);
    }
    json!({
        "format": "cairn.workflow", "version": 1,
        "name": which,
        "nodes": nodes,
        "edges": edges,
        "email_templates": [
            {"name": "greeting", "subject": "Happy birthday, {{ contact.email }}", "body": "Hi {{ contact.email }},\n\n**Happy birthday** from all of us."},
            {"name": "gift", "subject": "A gift for you", "body": "[Open it](https://example.com/gift)"},
            {"name": "digest", "subject": "This week", "body": "The week's news."},
        ],
    })
    .to_string()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let n = if quick { 10_000 } else { 100_000 };
    let rounds = if quick { 3 } else { 1 };
    let picked: Vec<&str> = ["birthday", "digest", "both"]
        .into_iter()
        .filter(|w| args.iter().any(|a| a == w))
        .collect();
    let which = if picked.is_empty() {
        vec!["birthday", "digest", "both"]
    } else {
        picked
    };
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let mut s = database(&dir, n);
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    for w in &which {
        s.import_workflow(&workflow(w), false, now).unwrap();
    }
    let bytes = std::fs::metadata(dir.path().join("cairn.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "setup: {n} contacts in {:.1}s ({:.1} MB)",
        t.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );
    let t = Instant::now();
    let c0 = cpu();
    let copy = dir.path().join("copy-only.cairn");
    drop(s.scratch_copy(&copy).unwrap());
    println!(
        "scratch copy alone: {:.2}s wall / {:.2}s CPU",
        t.elapsed().as_secs_f64(),
        (cpu() - c0).as_secs_f64()
    );
    for name in which {
        for _ in 0..rounds {
            let t = Instant::now();
            let c0 = cpu();
            let f = forecast::forecast(&s, name, None, &ForecastOptions::new(30, now)).unwrap();
            let took = t.elapsed();
            let spent = cpu() - c0;
            let total = &f.windows.last().unwrap().counts;
            println!(
                "forecast {name:?}: {n} contacts × 30 days in {:.2}s wall / {:.2}s CPU: {} runs, {} emails ({:?}), {} tags; confirmation: {:?}",
                took.as_secs_f64(),
                spent.as_secs_f64(),
                total.runs_started,
                total.emails_total,
                total.emails,
                total.tags_added,
                f.confirm
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
            );
        }
    }
}
