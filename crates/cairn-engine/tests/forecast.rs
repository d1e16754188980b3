//! The forecast before activation (issue 14, point 1): it agrees with what
//! the live engine then does over the same days on the same virtual clock,
//! it leaves the database exactly as it was, and it asks for a confirmation
//! when a workflow would email much of the list at once or unsubscribe.

mod common;

use std::collections::BTreeMap;

use cairn_engine::forecast::{self, ForecastOptions};
use cairn_model::contact::{ContactStatus, FieldDef, FieldType};
use cairn_store::contacts::ContactInput;
use cairn_store::workflows::WorkflowStatus;
use chrono::Duration;
use common::*;
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

fn import_paused(b: &mut Bench, mut def: Value) -> String {
    def["format"] = json!("cairn.workflow");
    def["version"] = json!(1);
    let now = b.now();
    b.store()
        .import_workflow(&def.to_string(), false, now)
        .unwrap()
        .name
}

fn contact(b: &mut Bench, email: &str, birthday: &str, tags: &[&str]) {
    let now = b.now();
    b.store()
        .upsert_contact(
            &ContactInput {
                email: email.into(),
                fields: [("birthday".to_string(), birthday.to_string())].into(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            },
            now,
        )
        .unwrap();
}

/// 40 contacts with birthdays over the next 20 days (two a day), every
/// fourth one tagged `vip`, two unsubscribed.
fn list(b: &mut Bench) {
    let now = b.now();
    b.store()
        .define_field(
            &FieldDef {
                name: "birthday".into(),
                field_type: FieldType::Date,
            },
            now,
        )
        .unwrap();
    for i in 0..40 {
        let day = 6 + (i % 20);
        let tags: &[&str] = if i % 4 == 0 { &["vip"] } else { &[] };
        contact(
            b,
            &format!("c{i}@x.com"),
            &format!("1990-01-{day:02}"),
            tags,
        );
    }
    for e in ["c3@x.com", "c7@x.com"] {
        let now = b.now();
        b.store()
            .set_contact_status(e, ContactStatus::Unsubscribed, now)
            .unwrap();
    }
}

/// A birthday greeting, a gift two days later for VIPs, and a Monday
/// digest for VIPs: date-based and schedule triggers, a wait, a condition.
fn birthday_workflow() -> Value {
    json!({
        "name": "Birthday",
        "nodes": [
            node("d", "trigger.date", json!({"field": "birthday", "yearly": true, "time": "10:00"})),
            node("s", "trigger.schedule", json!({"every": "week", "weekdays": ["mon"], "time": "09:00", "audience": {"has_tag": "vip"}})),
            node("greet", "action.send_email", json!({"template": "greeting", "account": "Gmail"})),
            node("w", "wait.duration", json!({"duration": "2d"})),
            node("vip", "condition", json!({"condition": {"has_tag": "vip"}})),
            node("gift", "action.send_email", json!({"template": "gift", "account": "Gmail"})),
            node("tag", "action.add_tag", json!({"tag": "gifted"})),
            node("digest", "action.send_email", json!({"template": "digest", "account": "Gmail"})),
        ],
        "edges": [
            edge("d", "next", "greet"), edge("greet", "next", "w"), edge("w", "next", "vip"),
            edge("vip", "yes", "gift"), edge("gift", "next", "tag"),
            edge("s", "next", "digest"),
        ],
        "email_templates": [
            {"name": "greeting", "subject": "Happy birthday {{ contact.email }}", "body": "Hi"},
            {"name": "gift", "subject": "A gift", "body": "For you"},
            {"name": "digest", "subject": "This week", "body": "News"},
        ],
    })
}

/// Every row of every table, and the bytes of the database and its WAL.
fn whole_database(b: &mut Bench) -> (Vec<String>, Vec<u8>, Vec<u8>) {
    let c = b.store().conn();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut rows = vec![];
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let all = st
            .query_map([], |r| {
                let vals: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{t}: {}", vals.join(" | ")))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.extend(all);
    }
    let path = b.store().path().to_path_buf();
    let wal = std::fs::read(format!("{}-wal", path.display())).unwrap_or_default();
    (rows, std::fs::read(&path).unwrap(), wal)
}

/// Drives the live engine for `days` from now: each due instant, what is
/// due, then every queued send delivered (as the dispatcher would).
fn run_live(b: &mut Bench, days: i64) {
    let end = b.now() + Duration::days(days);
    let sender = ScriptedSender::default();
    loop {
        b.tick();
        b.dispatch(&sender);
        match b.engine.next_due().unwrap() {
            Some(t) if t > b.now() && t < end => b.clock.set(t),
            _ => break,
        }
    }
}

/// Per day from `start`: emails queued in the outbox by email node.
fn live_emails(b: &mut Bench, workflow: &str, start_ms: i64) -> BTreeMap<(i64, String), i64> {
    let c = b.store().conn();
    let mut st = c
        .prepare(
            "SELECT (o.created_at - ?1) / ?2, s.node_id, COUNT(*) FROM outbox o
             JOIN steps s ON s.id = o.step_id JOIN runs r ON r.id = o.run_id
             JOIN workflows w ON w.id = r.workflow_id
             WHERE w.name = ?3 AND o.kind = 'email' GROUP BY 1, 2",
        )
        .unwrap();
    st.query_map(rusqlite::params![start_ms, DAY_MS, workflow], |r| {
        Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn the_forecast_agrees_with_the_live_engine_and_leaves_the_database_alone() {
    let mut b = Bench::new(); // Monday 2026-01-05 08:00 UTC
    list(&mut b);
    let wf = import_paused(&mut b, birthday_workflow());
    let start = b.now();
    let before = whole_database(&mut b);
    let f = forecast::forecast(b.store(), &wf, None, &ForecastOptions::new(30, start)).unwrap();
    assert_eq!(whole_database(&mut b), before, "a forecast writes nothing");
    assert_eq!(
        b.store().workflow(&wf).unwrap().status,
        WorkflowStatus::Paused
    );

    // What the forecast says, worked out by hand: 38 greetings (two a day
    // for 20 days, less the 2 unsubscribed contacts, whom time-based
    // triggers leave out), gifts
    // and tags for the 10 VIPs two days after, and a digest to the 10 VIPs
    // on each of the five Mondays at 09:00 from the 5th (activated at
    // 08:00) to the 2nd of February — less two on the 12th and two on the
    // 19th, whose birthday run still waits its two days then (one open run
    // per contact and workflow: the engine's own rule, not the forecast's).
    let total = f.windows.last().unwrap();
    assert_eq!(total.days, 30);
    assert_eq!(total.counts.emails["greeting"], 38);
    assert_eq!(total.counts.emails_refused, 0);
    assert_eq!(total.counts.runs_started, 38 + 46);
    assert_eq!(
        f.windows[0].counts.runs_started, 10,
        "day 1: the 09:00 digest"
    );
    assert_eq!(
        f.windows[1].counts.emails["greeting"], 11,
        "the 6th to the 11th: 12, less c3"
    );
    assert_eq!(total.counts.emails["gift"], 10);
    assert_eq!(total.counts.tags_added, 10);
    assert_eq!(total.counts.emails["digest"], 46);
    // The busiest day, Monday the 12th, emails 12 of the 38 subscribed
    // contacts (8 digests, 2 gifts, 2 greetings): more than 20 %.
    let codes: Vec<_> = f.confirm.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["mass_email"]);
    assert!(
        f.confirm[0].message.starts_with(
            "on day 8 it would send 12 emails at once: 32 % of the 38 subscribed contacts"
        ),
        "{}",
        f.confirm[0].message
    );
    // The runs' ends, with contacts to look at.
    let gifted = f
        .paths
        .iter()
        .find(|p| p.node.as_deref() == Some("tag"))
        .unwrap();
    assert_eq!((gifted.runs, gifted.sample.len()), (10, 5));
    assert!(
        f.assumptions
            .iter()
            .any(|a| a.starts_with("Date-based and schedule triggers"))
    );

    // Then the live engine over the same days on the same clock.
    b.store()
        .set_workflow_status(&wf, WorkflowStatus::Active, start)
        .unwrap();
    run_live(&mut b, 30);
    let live = live_emails(&mut b, &wf, start.timestamp_millis());
    let template = |node: &str| match node {
        "greet" => "greeting",
        "gift" => "gift",
        _ => "digest",
    };
    let mut from_forecast = BTreeMap::new();
    for (day, counts) in f.per_day.iter().enumerate() {
        for (t, n) in &counts.emails {
            from_forecast.insert((day as i64, t.clone()), *n as i64);
        }
    }
    let from_live: BTreeMap<_, _> = live
        .into_iter()
        .map(|((day, node), n)| ((day, template(&node).to_string()), n))
        .collect();
    assert_eq!(from_forecast, from_live, "emails per day and template");
    let started_live = b.runs(&wf).len() as u64;
    assert_eq!(total.counts.runs_started, started_live);
    let tagged = b.count("SELECT COUNT(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = 'gifted'");
    assert_eq!(total.counts.tags_added as i64, tagged);
}

fn mailing(name: &str, extra: Value) -> Value {
    let mut nodes = vec![
        node(
            "t",
            "trigger.schedule",
            json!({"every": "day", "time": "09:00"}),
        ),
        node(
            "e",
            "action.send_email",
            json!({"template": "news", "account": "Gmail"}),
        ),
    ];
    let mut edges = vec![edge("t", "next", "e")];
    if !extra.is_null() {
        nodes.push(extra);
        edges.push(edge("e", "next", "x"));
    }
    json!({
        "name": name, "nodes": nodes, "edges": edges,
        "email_templates": [{"name": "news", "subject": "News", "body": "Hi"}],
    })
}

#[test]
fn emailing_much_of_the_list_at_once_or_unsubscribing_asks_for_a_confirmation() {
    let mut b = Bench::new();
    list(&mut b);
    let start = b.now();
    let opts = ForecastOptions::new(7, start);
    // A daily newsletter to every subscribed contact: 38 of 38 each day.
    let all = import_paused(&mut b, mailing("Daily", Value::Null));
    let f = forecast::forecast(b.store(), &all, None, &opts).unwrap();
    assert_eq!(f.windows[0].counts.emails["news"], 38);
    assert_eq!(f.confirm.len(), 1);
    assert_eq!(f.confirm[0].code, "mass_email");
    assert!(
        f.confirm[0].message.contains("100 %"),
        "{}",
        f.confirm[0].message
    );
    // The same at a lower rate than the list's fifth passes: a birthday
    // greeting alone, two a day.
    let birthday = import_paused(
        &mut b,
        json!({
            "name": "Greeting",
            "nodes": [
                node("d", "trigger.date", json!({"field": "birthday", "yearly": true, "time": "10:00"})),
                node("greet", "action.send_email", json!({"template": "greeting", "account": "Gmail"})),
            ],
            "edges": chain(&["d", "greet"]),
            "email_templates": [{"name": "greeting", "subject": "Happy birthday", "body": "Hi"}],
        }),
    );
    let f = forecast::forecast(b.store(), &birthday, None, &opts).unwrap();
    assert_eq!(f.windows[1].counts.emails_total, 11);
    assert!(f.confirm.is_empty(), "{:?}", f.confirm);
    // Unsubscribing anyone asks, however few.
    let unsub = import_paused(
        &mut b,
        json!({
            "name": "Clean up",
            "nodes": [
                node("d", "trigger.date", json!({"field": "birthday", "yearly": true, "time": "10:00"})),
                node("u", "action.unsubscribe", json!({})),
            ],
            "edges": chain(&["d", "u"]),
        }),
    );
    let f = forecast::forecast(b.store(), &unsub, None, &ForecastOptions::new(2, start)).unwrap();
    assert_eq!(f.windows.last().unwrap().counts.unsubscribes, 2);
    let codes: Vec<_> = f.confirm.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["unsubscribes"]);
    assert_eq!(f.confirm[0].message, "it would unsubscribe 2 contacts");
}

#[test]
fn event_triggers_start_runs_only_for_events_already_waiting() {
    let mut b = Bench::new();
    list(&mut b);
    let wf = import_paused(
        &mut b,
        json!({
            "name": "Receipt",
            "nodes": [
                node("p", "trigger.purchase_completed", json!({})),
                node("r", "action.send_email", json!({"template": "receipt", "account": "Gmail"})),
                node("w", "wait.for_event", json!({"event_type": "course.completed", "timeout": "3d"})),
                node("t", "action.add_tag", json!({"tag": "no-finish"})),
            ],
            "edges": [edge("p", "next", "r"), edge("r", "next", "w"), edge("w", "timed_out", "t")],
            "email_templates": [{"name": "receipt", "subject": "Thanks", "body": "Hi"}],
        }),
    );
    // Two purchases recorded while nothing ran: the executor has not
    // handled them yet, so activating now would start their runs.
    b.emit("purchase.completed", "c1@x.com", json!({"amount": 10}));
    b.emit("purchase.completed", "c2@x.com", json!({"amount": 20}));
    let start = b.now();
    let before = whole_database(&mut b);
    let f = forecast::forecast(b.store(), &wf, None, &ForecastOptions::new(7, start)).unwrap();
    assert_eq!(whole_database(&mut b), before);
    let week = &f.windows[1].counts;
    assert_eq!(
        (week.runs_started, week.emails_total, week.tags_added),
        (2, 2, 2)
    );
    assert_eq!(
        f.windows[0].counts.tags_added, 0,
        "the wait times out on day 4"
    );
    assert!(
        f.assumptions
            .iter()
            .any(|a| a.contains("(purchase.completed) start runs only for the 2 events")),
        "{:#?}",
        f.assumptions
    );
    assert!(
        f.assumptions
            .iter()
            .any(|a| a.starts_with("Waits for an event (course.completed) reach their timeout"))
    );
}

#[test]
fn a_draft_is_forecast_as_the_next_version_without_saving_it() {
    let mut b = Bench::new();
    list(&mut b);
    let wf = import_paused(&mut b, mailing("Daily", Value::Null));
    let now = b.now();
    b.store()
        .set_workflow_status(&wf, WorkflowStatus::Active, now)
        .unwrap();
    let (_, mut draft) = b.store().workflow_def(&wf).unwrap();
    draft.nodes.retain(|n| n.id != "e");
    draft.edges.clear();
    let extra: cairn_model::workflow::Node =
        serde_json::from_value(node("e", "action.add_tag", json!({"tag": "daily"}))).unwrap();
    draft.nodes.push(extra);
    draft
        .edges
        .push(serde_json::from_value(edge("t", "next", "e")).unwrap());
    let before = whole_database(&mut b);
    let f =
        forecast::forecast(b.store(), &wf, Some(&draft), &ForecastOptions::new(2, now)).unwrap();
    assert_eq!(whole_database(&mut b), before);
    assert!(f.active);
    let two = &f.windows[1].counts;
    assert_eq!((two.emails_total, two.tags_added), (0, 76));
    assert_eq!(b.store().workflow(&wf).unwrap().version, 1);
}

#[test]
fn a_forecast_covers_one_to_366_days() {
    let mut b = Bench::new();
    let wf = import_paused(&mut b, mailing("Daily", Value::Null));
    let now = b.now();
    for days in [0, 367] {
        let e =
            forecast::forecast(b.store(), &wf, None, &ForecastOptions::new(days, now)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("a forecast covers 1 to 366 days, not {days}")
        );
    }
    let e = forecast::forecast(b.store(), "Nope", None, &ForecastOptions::new(3, now)).unwrap_err();
    assert_eq!(e.code(), "not_found");
}
