//! Every node kind and workflow rule, on a virtual clock over a real SQLite file.

mod common;

use cairn_engine::SendOutcome;
use cairn_store::runs::RunStatus;
use chrono::Duration;
use common::*;
use serde_json::json;

fn post_purchase() -> serde_json::Value {
    json!({
        "name": "Post-purchase",
        "settings": {"manual_minutes_per_run": 12, "hourly_rate": 60},
        "nodes": [
            node("t", "trigger.purchase_completed", json!({"filters": [{"path": "product", "op": "eq", "value": "Program A"}]})),
            node("access", "action.enroll_course", json!({"course": "Program A"})),
            node("receipt", "action.send_email", json!({"template": "receipt", "account": "Gmail"})),
            node("tag", "action.add_tag", json!({"tag": "buyer-program-A"})),
            node("onboard", "action.start_workflow", json!({"workflow": "Onboarding"})),
            node("won", "action.move_deal", json!({"pipeline": "Sales", "stage": "Won"})),
            node("slack", "action.notify", json!({"channel": {"slack": {"account": "Team"}}, "message": "New sale: {{ contact.email }} bought {{ trigger.product }}"})),
        ],
        "edges": chain(&["t", "access", "receipt", "tag", "onboard", "won", "slack"]),
        "email_templates": [{"name": "receipt", "subject": "Your receipt for {{ trigger.product }}", "body": "Hi {{ contact.first_name }}, thanks for buying **{{ trigger.product }}** ({{ trigger.amount }} USD)."}],
        "requires": {"pipelines": [{"name": "Sales", "stages": ["Lead", "Won"]}], "courses": ["Program A"]}
    })
}

fn onboarding() -> serde_json::Value {
    json!({
        "name": "Onboarding",
        "nodes": [
            node("m", "trigger.manual", json!({})),
            node("w", "wait.duration", json!({"duration": "14d"})),
            node("done", "action.add_tag", json!({"tag": "onboarded"})),
        ],
        "edges": chain(&["m", "w", "done"]),
    })
}

#[test]
fn coach_post_purchase_runs_six_actions_exactly_once() {
    let mut b = Bench::new();
    b.workflow(onboarding());
    let wf = b.workflow(post_purchase());
    b.contact("ada@example.com");
    b.emit(
        "purchase.completed",
        "ada@example.com",
        json!({"product": "Program B", "amount": 97}),
    );
    b.emit(
        "purchase.completed",
        "ada@example.com",
        json!({"product": "Program A", "amount": 497}),
    );
    b.tick();
    // Only the Program A purchase matched the trigger's filter.
    let run = b.only_run(&wf);
    assert_eq!(
        run.status,
        RunStatus::Waiting,
        "waits for the receipt to be sent"
    );
    assert_eq!(
        b.trail(run.id),
        vec!["t:ok:next", "access:ok:next", "receipt:pending"]
    );

    let sender = ScriptedSender::default();
    assert_eq!(b.dispatch(&sender), 2, "the receipt and the Slack message");
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(
        b.trail(run.id),
        vec![
            "t:ok:next",
            "access:ok:next",
            "receipt:ok:next",
            "tag:ok:next",
            "onboard:ok:next",
            "won:ok:next",
            "slack:ok:next"
        ]
    );
    let seen = sender.seen();
    let cairn_model::effect::Effect::Email(mail) = &seen[0].effect else {
        panic!("{seen:?}")
    };
    assert_eq!(mail.subject, "Your receipt for Program A");
    assert!(mail.text.contains("**Program A** (497 USD)"));
    assert!(mail.html.contains("<strong>Program A</strong>"));
    assert_eq!(
        mail.message_id,
        format!("<{}@example.com>", seen[0].idempotency_key)
    );
    // The link carries Ada's own token (an HMAC of her address under this
    // database's key), so a request by mail can only unsubscribe her.
    let key = cairn_store::unsubscribe::key_using(b.store().conn()).unwrap();
    let token = cairn_store::unsubscribe::token(&key, "ada@example.com").unwrap();
    assert_eq!(
        mail.list_unsubscribe.as_deref(),
        Some(format!("mailto:coach@example.com?subject=unsubscribe%20{token}").as_str())
    );
    let cairn_model::effect::Effect::Slack(s) = &seen[1].effect else {
        panic!()
    };
    assert_eq!(s.text, "New sale: ada@example.com bought Program A");

    // Each internal action happened once, and recorded its own event.
    let c = b.store().require_contact("ada@example.com").unwrap();
    assert!(c.has_tag("buyer-program-A"));
    assert_eq!(
        b.count("SELECT COUNT(*) FROM events WHERE type = 'tag.added'"),
        1
    );
    assert_eq!(
        b.count("SELECT COUNT(*) FROM events WHERE type = 'course.enrolled'"),
        1
    );
    let deals = b.store().deals_of_contact(c.id).unwrap();
    assert_eq!((deals.len(), deals[0].stage.as_str()), (1, "Won"));
    // The onboarding sequence started and waits 14 days.
    let onboarding = b.only_run("Onboarding");
    assert_eq!(onboarding.status, RunStatus::Waiting);
    b.advance(Duration::days(14));
    assert_eq!(b.only_run("Onboarding").status, RunStatus::Completed);
    assert!(
        b.store()
            .require_contact("ada@example.com")
            .unwrap()
            .has_tag("onboarded")
    );
}

#[test]
fn condition_and_branch_route_by_tags_fields_and_payload() {
    let mut b = Bench::new();
    b.store()
        .define_field(
            &cairn_model::contact::FieldDef {
                name: "country".into(),
                field_type: cairn_model::contact::FieldType::Text,
            },
            common::t0(),
        )
        .unwrap();
    let wf = b.workflow(json!({
        "name": "Router",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "lead.scored"})),
            node("vip", "condition", json!({"condition": {"any": [{"has_tag": "vip"}, {"payload": {"path": "score", "op": "gte", "value": 90}}]}})),
            node("b", "branch", json!({"paths": [
                {"name": "France", "condition": {"field": {"field": "country", "op": "eq", "value": "FR"}}},
                {"name": "Germany", "condition": {"field": {"field": "country", "op": "eq", "value": "DE"}}}
            ]})),
            node("hot", "action.add_tag", json!({"tag": "hot"})),
            node("fr", "action.add_tag", json!({"tag": "fr"})),
            node("de", "action.add_tag", json!({"tag": "de"})),
            node("other", "action.add_tag", json!({"tag": "elsewhere"})),
        ],
        "edges": [edge("t", "next", "vip"), edge("vip", "yes", "hot"), edge("vip", "no", "b"),
                  edge("b", "France", "fr"), edge("b", "Germany", "de"), edge("b", "otherwise", "other")],
    }));
    for (email, tags, country, score) in [
        ("a@x.com", vec!["vip"], "FR", 10),
        ("b@x.com", vec![], "FR", 95),
        ("c@x.com", vec![], "fr", 10),
        ("d@x.com", vec![], "DE", 10),
        ("e@x.com", vec![], "US", 10),
    ] {
        let now = b.now();
        b.store()
            .upsert_contact(
                &cairn_store::contacts::ContactInput {
                    email: email.into(),
                    fields: [("country".to_string(), country.to_string())].into(),
                    tags: tags.into_iter().map(String::from).collect(),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        b.emit("lead.scored", email, json!({"score": score}));
    }
    b.tick();
    let trails: Vec<Vec<String>> = b.runs(&wf).into_iter().map(|r| b.trail(r.id)).collect();
    assert_eq!(trails[0], vec!["t:ok:next", "vip:ok:yes", "hot:ok:next"]);
    assert_eq!(trails[1], vec!["t:ok:next", "vip:ok:yes", "hot:ok:next"]);
    assert_eq!(
        trails[2],
        vec!["t:ok:next", "vip:ok:no", "b:ok:France", "fr:ok:next"]
    );
    assert_eq!(
        trails[3],
        vec!["t:ok:next", "vip:ok:no", "b:ok:Germany", "de:ok:next"]
    );
    assert_eq!(
        trails[4],
        vec!["t:ok:next", "vip:ok:no", "b:ok:otherwise", "other:ok:next"]
    );
}

#[test]
fn wait_for_correlated_event_arrives_or_times_out() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Order status",
        "settings": {"reentry": "always"},
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "order.created"})),
            node("w", "wait.for_event", json!({"event_type": "order.fulfilled", "correlate": ["order_id"], "timeout": "3d"})),
            node("shipped", "action.add_tag", json!({"tag": "shipped"})),
            node("late", "action.add_tag", json!({"tag": "not-shipped"})),
        ],
        "edges": [edge("t", "next", "w"), edge("w", "arrived", "shipped"), edge("w", "timed_out", "late")],
    }));
    b.contact("o@x.com");
    b.emit("order.created", "o@x.com", json!({"order_id": "1001"}));
    b.emit("order.created", "o@x.com", json!({"order_id": "1002"}));
    b.tick();
    b.advance(Duration::hours(5));
    // Fulfilment of another order does not resume either run... of 1003.
    b.emit("order.fulfilled", "o@x.com", json!({"order_id": "1003"}));
    b.tick();
    let runs = b.runs(&wf);
    assert!(runs.iter().all(|r| r.status == RunStatus::Waiting));
    b.emit("order.fulfilled", "o@x.com", json!({"order_id": "1001"}));
    b.tick();
    let runs = b.runs(&wf);
    assert_eq!(
        b.trail(runs[0].id),
        vec!["t:ok:next", "w:ok:arrived", "shipped:ok:next"]
    );
    assert_eq!(runs[1].status, RunStatus::Waiting);
    b.advance(Duration::days(3));
    assert_eq!(
        b.trail(runs[1].id),
        vec!["t:ok:next", "w:ok:timed_out", "late:ok:next"]
    );
    // The late fulfilment of 1002 changes nothing now.
    b.emit("order.fulfilled", "o@x.com", json!({"order_id": "1002"}));
    b.tick();
    assert_eq!(b.trail(runs[1].id).len(), 3);
}

#[test]
fn goal_exits_abandoned_cart_and_counts_a_conversion() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Cart",
        "goals": [{"name": "Purchased", "event_type": "purchase.completed"}],
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "cart.abandoned"})),
            node("w1", "wait.duration", json!({"duration": "1h"})),
            node("r1", "action.add_tag", json!({"tag": "reminded-1"})),
            node("w2", "wait.duration", json!({"duration": "1d"})),
            node("r2", "action.add_tag", json!({"tag": "reminded-2"})),
        ],
        "edges": chain(&["t", "w1", "r1", "w2", "r2"]),
    }));
    b.contact("c@x.com");
    b.emit("cart.abandoned", "c@x.com", json!({}));
    b.tick();
    b.advance(Duration::hours(2));
    b.emit("purchase.completed", "c@x.com", json!({"product": "X"}));
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Exited);
    assert_eq!(run.goal.as_deref(), Some("Purchased"));
    assert!(run.converted);
    assert_eq!(
        b.trail(run.id),
        vec!["t:ok:next", "w1:ok:next", "r1:ok:next", "w2:skipped"]
    );
    b.advance(Duration::days(2));
    let c = b.store().require_contact("c@x.com").unwrap();
    assert!(c.has_tag("reminded-1") && !c.has_tag("reminded-2"));
}

#[test]
fn reentry_rules() {
    for (rule, expected) in [("once", 1), ("one_at_a_time", 2), ("always", 3)] {
        let mut b = Bench::new();
        let wf = b.workflow(json!({
            "name": "R",
            "settings": {"reentry": rule},
            "nodes": [node("t", "trigger.event", json!({"event_type": "ping"})), node("w", "wait.duration", json!({"duration": "1h"}))],
            "edges": chain(&["t", "w"]),
        }));
        b.contact("r@x.com");
        b.emit("ping", "r@x.com", json!({}));
        b.emit("ping", "r@x.com", json!({}));
        b.tick();
        b.advance(Duration::hours(2));
        b.emit("ping", "r@x.com", json!({}));
        b.tick();
        assert_eq!(b.runs(&wf).len(), expected, "{rule}");
    }
}

#[test]
fn pause_holds_waiting_runs_and_resume_continues_them() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "P",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("w", "wait.duration", json!({"duration": "1d"})), node("a", "action.add_tag", json!({"tag": "done"}))],
        "edges": chain(&["t", "w", "a"]),
    }));
    b.contact("p@x.com");
    b.emit("go", "p@x.com", json!({}));
    b.tick();
    let now = b.now();
    b.store()
        .set_workflow_status(&wf, cairn_store::workflows::WorkflowStatus::Paused, now)
        .unwrap();
    b.advance(Duration::days(3));
    assert_eq!(
        b.only_run(&wf).status,
        RunStatus::Waiting,
        "held while paused"
    );
    // No new runs while paused.
    b.contact("q@x.com");
    b.emit("go", "q@x.com", json!({}));
    b.tick();
    assert_eq!(b.runs(&wf).len(), 1);
    let now = b.now();
    b.store()
        .set_workflow_status(&wf, cairn_store::workflows::WorkflowStatus::Active, now)
        .unwrap();
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    let w = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "w")
        .unwrap();
    assert_eq!(w.detail["late"], "fired 2 d late");
}

#[test]
fn a_run_stays_on_its_version() {
    let mut b = Bench::new();
    let v1 = json!({
        "name": "V",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("w", "wait.duration", json!({"duration": "1d"})), node("a", "action.add_tag", json!({"tag": "v1"}))],
        "edges": chain(&["t", "w", "a"]),
    });
    let wf = b.workflow(v1.clone());
    b.contact("v@x.com");
    b.emit("go", "v@x.com", json!({}));
    b.tick();
    let mut v2 = v1;
    v2["format"] = json!("cairn.workflow");
    v2["version"] = json!(1);
    v2["nodes"][2]["config"]["tag"] = json!("v2");
    let def = cairn_model::file::parse(&v2.to_string()).unwrap();
    let id = b.store().workflow(&wf).unwrap().id;
    let now = b.now();
    let saved = b.store().save_workflow(id, &def, now).unwrap();
    assert!(saved.new_version);
    b.contact("w@x.com");
    b.emit("go", "w@x.com", json!({}));
    b.tick();
    b.advance(Duration::days(2));
    let runs = b.runs(&wf);
    assert_eq!((runs[0].version, runs[1].version), (1, 2));
    assert!(b.store().require_contact("v@x.com").unwrap().has_tag("v1"));
    assert!(b.store().require_contact("w@x.com").unwrap().has_tag("v2"));
}

#[test]
fn send_window_holds_email_until_it_opens() {
    // Saturday 10:00 UTC; the window is weekdays 09:00-17:00 Europe/Paris.
    let mut b =
        Bench::at(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 1, 10, 10, 0, 0).unwrap());
    let wf = b.workflow(json!({
        "name": "Window",
        "settings": {"timezone": "Europe/Paris", "send_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}},
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Hi", "body": "Hello"}],
    }));
    b.contact("s@x.com");
    b.emit("go", "s@x.com", json!({}));
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(b.trail(run.id), vec!["t:ok:next", "e:waiting"]);
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 0);
    b.advance(Duration::days(1)); // Sunday: still closed
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 0);
    b.advance(Duration::hours(22)); // Monday 08:00 UTC = 09:00 Paris
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 1);
    let sender = ScriptedSender::default();
    b.dispatch(&sender);
    assert_eq!(b.trail(run.id), vec!["t:ok:next", "e:ok:next"]);
}

#[test]
fn retries_with_backoff_then_follow_the_error_policy() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Hook",
        "settings": {"reentry": "always"},
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "go"})),
            node("h", "action.webhook", json!({"url": "https://example.com/h", "body": "{\"email\": {{ contact.email }}}",
                "on_error": {"max_attempts": 3, "backoff": "1m", "then": "error_exit"}})),
            node("ok", "action.add_tag", json!({"tag": "posted"})),
            node("bad", "action.add_tag", json!({"tag": "post-failed"})),
        ],
        "edges": [edge("t", "next", "h"), edge("h", "next", "ok"), edge("h", "error", "bad")],
    }));
    b.contact("h@x.com");
    b.emit("go", "h@x.com", json!({}));
    b.tick();
    let retry = || SendOutcome::Retry {
        error: "HTTP 500".into(),
        retry_after: None,
    };
    let sender = ScriptedSender::new(vec![retry(), retry(), retry()]);
    assert_eq!(b.dispatch(&sender), 1, "second attempt is not due yet");
    let row = b.store().outbox(true, 10).unwrap().remove(0);
    assert_eq!(row.attempts, 1);
    let wait = row.next_attempt_at - b.now();
    assert!(
        wait >= Duration::seconds(60) && wait <= Duration::seconds(72),
        "{wait}"
    );
    b.advance(Duration::minutes(2));
    assert_eq!(b.dispatch(&sender), 1);
    b.advance(Duration::minutes(3));
    assert_eq!(b.dispatch(&sender), 1);
    let run = b.only_run(&wf);
    assert_eq!(
        b.trail(run.id),
        vec!["t:ok:next", "h:failed:error", "bad:ok:next"]
    );
    let keys: Vec<String> = sender
        .seen()
        .iter()
        .map(|e| e.idempotency_key.clone())
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "same Idempotency-Key on every attempt"
    );
    let cairn_model::effect::Effect::Webhook(w) = &sender.seen()[0].effect else {
        panic!()
    };
    assert_eq!(w.body.as_deref(), Some("{\"email\": \"h@x.com\"}"));
}

#[test]
fn a_bounce_fails_the_run_and_marks_the_contact() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "B",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Hi", "body": "Hello"}],
    }));
    b.contact("gone@x.com");
    b.emit("go", "gone@x.com", json!({}));
    b.tick();
    b.dispatch(&ScriptedSender::new(vec![SendOutcome::Bounced {
        error: "550 5.1.1 no such user".into(),
    }]));
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Failed);
    let c = b.store().require_contact("gone@x.com").unwrap();
    assert_eq!(c.status, cairn_model::contact::ContactStatus::Bounced);
    // A later email to the bounced contact is skipped, not sent.
    let wf2 = b.workflow(json!({
        "name": "B2",
        "nodes": [node("t", "trigger.event", json!({"event_type": "again"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Hi", "body": "Hello"}],
    }));
    b.emit("again", "gone@x.com", json!({}));
    b.tick();
    let run = b.only_run(&wf2);
    assert_eq!(b.trail(run.id), vec!["t:ok:next", "e:skipped:next"]);
    assert_eq!(run.status, RunStatus::Completed);
}

#[test]
fn late_waits_run_anyway_or_skip() {
    let mut b = Bench::new();
    let anyway = b.workflow(json!({
        "name": "Anyway",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("w", "wait.duration", json!({"duration": "1h"})), node("a", "action.add_tag", json!({"tag": "a"}))],
        "edges": chain(&["t", "w", "a"]),
    }));
    let skip = b.workflow(json!({
        "name": "Skip",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("w", "wait.duration", json!({"duration": "1h", "late": {"skip_if_late_by": "2h"}})), node("a", "action.add_tag", json!({"tag": "b"}))],
        "edges": chain(&["t", "w", "a"]),
    }));
    b.contact("l@x.com");
    b.emit("go", "l@x.com", json!({}));
    b.tick();
    // The laptop sleeps for 9 hours: the wait is 8 h late.
    b.advance(Duration::hours(9));
    let a = b.only_run(&anyway);
    assert_eq!(a.status, RunStatus::Completed);
    let w = b
        .steps(a.id)
        .into_iter()
        .find(|s| s.node_id == "w")
        .unwrap();
    assert_eq!(w.detail["late"], "fired 8 h late");
    let s = b.only_run(&skip);
    assert_eq!(s.status, RunStatus::Exited);
    assert_eq!(
        s.exit_reason.as_deref(),
        Some("skipped: the wait fired 8 h late (limit 2 h)")
    );
    let c = b.store().require_contact("l@x.com").unwrap();
    assert!(c.has_tag("a") && !c.has_tag("b"));
}

#[test]
fn weekly_wait_monday_nine_berlin_across_both_dst_changes() {
    // Friday 27 March 2026, before spring-forward (29 March).
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 27, 12, 0, 0).unwrap();
    let mut b = Bench::at(start);
    let wf = b.workflow(json!({
        "name": "Weekly",
        "settings": {"timezone": "Europe/Berlin", "reentry": "always"},
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("w", "wait.until_time", json!({"weekdays": ["mon"], "time": "09:00"})), node("a", "action.add_tag", json!({"tag": "monday"}))],
        "edges": chain(&["t", "w", "a"]),
    }));
    b.contact("d@x.com");
    b.emit("go", "d@x.com", json!({}));
    b.tick();
    let run = b.only_run(&wf);
    let w = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "w")
        .unwrap();
    assert_eq!(w.detail["until"], "2026-03-30T07:00:00+00:00", "09:00 CEST");
    // Autumn: Friday 23 October, before fall-back (25 October).
    b.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 10, 23, 12, 0, 0).unwrap());
    b.tick();
    b.emit("go", "d@x.com", json!({}));
    b.tick();
    let runs = b.runs(&wf);
    let w = b
        .steps(runs[1].id)
        .into_iter()
        .find(|s| s.node_id == "w")
        .unwrap();
    assert_eq!(w.detail["until"], "2026-10-26T08:00:00+00:00", "09:00 CET");
    b.advance(Duration::days(3) + Duration::hours(20)); // Monday 08:00 UTC
    assert_eq!(b.runs(&wf)[1].status, RunStatus::Completed);
}

#[test]
fn dry_run_records_full_content_and_sends_nothing() {
    let mut b = Bench::new();
    let wf = b.workflow(post_purchase_without_start());
    b.contact("t@x.com");
    let now = b.now();
    let run = b
        .engine
        .start_run(
            &wf,
            "t@x.com",
            None,
            &json!({"product": "Program A", "amount": 497}),
            cairn_model::effect::RunMode::DryRun,
            now,
        )
        .unwrap()
        .unwrap();
    assert_eq!(b.store().run(run).unwrap().status, RunStatus::Completed);
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 0);
    let receipt = b
        .steps(run)
        .into_iter()
        .find(|s| s.node_id == "receipt")
        .unwrap();
    assert_eq!(receipt.detail["sent"], false);
    assert_eq!(
        receipt.detail["effect"]["subject"],
        "Your receipt for Program A"
    );
    assert!(
        receipt.detail["effect"]["html"]
            .as_str()
            .unwrap()
            .contains("<strong>Program A</strong>")
    );
}

fn post_purchase_without_start() -> serde_json::Value {
    let mut w = post_purchase();
    w["nodes"]
        .as_array_mut()
        .unwrap()
        .retain(|n| n["id"] != "onboard");
    w["edges"] = json!(chain(&["t", "access", "receipt", "tag", "won", "slack"]));
    w
}

#[test]
fn an_email_after_a_wait_quotes_the_event_that_arrived() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Shipping",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "order.created"})),
            node("w", "wait.for_event", json!({"event_type": "order.fulfilled", "correlate": ["order_id"], "timeout": "7d"})),
            node("e", "action.send_email", json!({"template": "shipped", "account": "Gmail"})),
        ],
        "edges": [edge("t", "next", "w"), edge("w", "arrived", "e")],
        // An order update: transactional, so no unsubscribe footer.
        "email_templates": [{"name": "shipped", "subject": "Order {{ trigger.order_id }} shipped", "body": "Tracking: {{ event.tracking_number }}", "kind": "transactional"}],
    }));
    b.contact("s@x.com");
    b.emit("order.created", "s@x.com", json!({"order_id": "7"}));
    b.tick();
    b.emit(
        "order.fulfilled",
        "s@x.com",
        json!({"order_id": "7", "tracking_number": "1Z999"}),
    );
    b.tick();
    let sender = ScriptedSender::default();
    b.dispatch(&sender);
    let cairn_model::effect::Effect::Email(m) = &sender.seen()[0].effect else {
        panic!()
    };
    assert_eq!(m.text, "Tracking: 1Z999");
    assert_eq!(b.only_run(&wf).status, RunStatus::Completed);
}
