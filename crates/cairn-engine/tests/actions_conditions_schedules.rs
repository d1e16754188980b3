//! The rest of the node kinds and rules: date waits, every internal action,
//! engagement and history conditions, splits, time windows, notifications,
//! test mode, rate-limit deferrals, schedules and date-based triggers.

mod common;

use cairn_engine::SendOutcome;
use cairn_model::account::AccountKind;
use cairn_model::contact::{ContactStatus, FieldDef, FieldType};
use cairn_model::effect::{Effect, RunMode};
use cairn_store::contacts::ContactInput;
use cairn_store::runs::RunStatus;
use cairn_store::workflows::WorkflowStatus;
use chrono::{Duration, TimeZone, Utc};
use common::*;
use serde_json::json;

fn field(b: &mut Bench, name: &str, t: FieldType) {
    let now = b.now();
    b.store()
        .define_field(
            &FieldDef {
                name: name.into(),
                field_type: t,
            },
            now,
        )
        .unwrap();
}

fn upsert(b: &mut Bench, email: &str, fields: &[(&str, &str)], tags: &[&str]) {
    let now = b.now();
    b.store()
        .upsert_contact(
            &ContactInput {
                email: email.into(),
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            },
            now,
        )
        .unwrap();
}

#[test]
fn wait_until_a_date_relative_to_a_contact_field() {
    let mut b = Bench::new(); // Monday 2026-01-05 08:00 UTC
    field(&mut b, "renewal", FieldType::Date);
    let wf = b.workflow(json!({
        "name": "Renewal",
        "settings": {"timezone": "America/New_York", "reentry": "always"},
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "go"})),
            node("w", "wait.until_date", json!({"field": "renewal", "offset_days": -2, "time": "10:00"})),
            node("a", "action.add_tag", json!({"tag": "reminded"})),
        ],
        "edges": chain(&["t", "w", "a"]),
    }));
    upsert(&mut b, "due@x.com", &[("renewal", "2026-01-20")], &[]);
    upsert(&mut b, "past@x.com", &[("renewal", "2025-12-01")], &[]);
    b.contact("none@x.com");
    for e in ["due@x.com", "past@x.com", "none@x.com"] {
        b.emit("go", e, json!({}));
    }
    b.tick();
    let runs = b.runs(&wf);
    let w = b
        .steps(runs[0].id)
        .into_iter()
        .find(|s| s.node_id == "w")
        .unwrap();
    assert_eq!(
        w.detail["until"], "2026-01-18T15:00:00+00:00",
        "10:00 in New York, two days before"
    );
    assert_eq!(
        b.trail(runs[1].id),
        vec!["t:ok:next", "w:ok:next", "a:ok:next"],
        "date already passed: go on"
    );
    assert_eq!(
        b.trail(runs[2].id),
        vec!["t:ok:next", "w:skipped:next", "a:ok:next"],
        "no date: go on, recorded"
    );
    b.advance(Duration::days(14));
    assert_eq!(b.runs(&wf)[0].status, RunStatus::Completed);
}

#[test]
fn internal_actions_change_contacts_deals_and_courses_once() {
    let mut b = Bench::new();
    field(&mut b, "plan", FieldType::Text);
    field(&mut b, "spent", FieldType::Number);
    b.workflow(json!({
        "name": "Other",
        "nodes": [node("t", "trigger.event", json!({"event_type": "other"})), node("w", "wait.duration", json!({"duration": "30d"}))],
        "edges": chain(&["t", "w"]),
    }));
    let wf = b.workflow(json!({
        "name": "Everything",
        "nodes": [
            node("t", "trigger.purchase_completed", json!({})),
            node("f", "action.set_field", json!({"field": "plan", "value": "{{ trigger.product }}"})),
            node("n", "action.set_field", json!({"field": "spent", "value": "{{ trigger.amount }}"})),
            node("d", "action.create_deal", json!({"pipeline": "Sales", "stage": "Lead", "title": "{{ contact.email }} deal", "value": "{{ trigger.amount }}"})),
            node("m", "action.move_deal", json!({"pipeline": "Sales", "stage": "Won"})),
            node("e", "action.enroll_course", json!({"course": "Course A"})),
            node("u", "action.unenroll_course", json!({"course": "Course A"})),
            node("r", "action.remove_from_workflow", json!({"workflow": "Other"})),
            node("x", "action.unsubscribe", json!({})),
        ],
        "edges": chain(&["t", "f", "n", "d", "m", "e", "u", "r", "x"]),
        "requires": {"pipelines": [{"name": "Sales", "stages": ["Lead", "Won"]}], "courses": ["Course A"]},
    }));
    b.contact("all@x.com");
    b.emit("other", "all@x.com", json!({}));
    b.tick();
    b.emit(
        "purchase.completed",
        "all@x.com",
        json!({"product": "Pro", "amount": 99.5}),
    );
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed, "{:?}", b.trail(run.id));
    let c = b.store().require_contact("all@x.com").unwrap();
    assert_eq!(c.fields["plan"], json!("Pro"));
    assert_eq!(c.fields["spent"], json!(99.5));
    assert_eq!(c.status, ContactStatus::Unsubscribed);
    let deals = b.store().deals_of_contact(c.id).unwrap();
    assert_eq!(deals.len(), 1);
    assert_eq!(
        (
            deals[0].stage.as_str(),
            deals[0].title.as_str(),
            deals[0].value
        ),
        ("Won", "all@x.com deal", Some(99.5))
    );
    let en = b.store().enrollments_of_contact(c.id).unwrap();
    assert!(en[0].revoked_at.is_some(), "enrolled, then access revoked");
    assert_eq!(b.only_run("Other").status, RunStatus::Exited);
    assert_eq!(
        b.only_run("Other").exit_reason.as_deref(),
        Some("removed by workflow \"Everything\"")
    );
    for (t, n) in [
        ("deal.created", 1),
        ("deal.stage_changed", 1),
        ("course.enrolled", 1),
        ("course.unenrolled", 1),
        ("status.changed", 1),
        ("field.changed", 2),
    ] {
        assert_eq!(
            b.count(&format!("SELECT COUNT(*) FROM events WHERE type = '{t}'")),
            n,
            "{t}"
        );
    }
    // deal.stage_changed made by a workflow can trigger another.
    let deal_wf = b.workflow(json!({
        "name": "On won",
        "nodes": [node("t", "trigger.deal_stage_changed", json!({"pipeline": "Sales", "stage": "Won"})), node("a", "action.add_tag", json!({"tag": "customer"}))],
        "edges": chain(&["t", "a"]),
    }));
    let now = b.now();
    b.store().set_deal_stage(deals[0].id, "Lead", now).unwrap();
    b.store().set_deal_stage(deals[0].id, "Won", now).unwrap();
    b.tick();
    assert_eq!(b.only_run(&deal_wf).status, RunStatus::Completed);
}

#[test]
fn engagement_history_split_and_time_window_conditions() {
    let mut b = Bench::new(); // Monday 08:00 UTC
    let wf = b.workflow(json!({
        "name": "Conds",
        "settings": {"reentry": "always", "timezone": "Europe/Berlin"},
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "check"})),
            node("opened", "condition", json!({"condition": {"engagement": {"action": "opened", "email": "welcome-1", "within": "60d"}}})),
            node("bought", "condition", json!({"condition": {"had_event": {"event_type": "purchase.completed", "within": "30d", "filters": [{"path": "amount", "op": "gte", "value": 100}]}}})),
            node("hours", "condition", json!({"condition": {"time_window": {"weekdays": ["mon"], "from": "09:00", "to": "10:00"}}})),
            node("split", "condition", json!({"condition": {"random_split": {"percent": 50}}})),
        ],
        "edges": [edge("t", "next", "opened"), edge("opened", "yes", "bought"), edge("opened", "no", "bought"),
                  edge("bought", "yes", "hours"), edge("bought", "no", "hours"), edge("hours", "yes", "split"), edge("hours", "no", "split")],
    }));
    b.contact("e@x.com");
    b.emit("email.opened", "e@x.com", json!({"email": "welcome-1"}));
    b.emit("purchase.completed", "e@x.com", json!({"amount": 50}));
    b.emit("check", "e@x.com", json!({}));
    b.tick();
    let r = b.runs(&wf)[0].id;
    let t = b.trail(r);
    // 08:00 UTC is 09:00 in Berlin on a Monday: inside the window.
    assert_eq!(
        &t[..4],
        &["t:ok:next", "opened:ok:yes", "bought:ok:no", "hours:ok:yes"]
    );
    b.advance(Duration::days(61));
    b.emit("check", "e@x.com", json!({}));
    b.tick();
    let r2 = b.runs(&wf)[1].id;
    assert_eq!(
        b.trail(r2)[1],
        "opened:ok:no",
        "the open is older than 60 days"
    );
    // The split is reproducible per run and spreads across runs.
    for i in 0..40 {
        let email = format!("s{i}@x.com");
        b.contact(&email);
        b.emit("check", &email, json!({}));
    }
    b.tick();
    let yes = b
        .runs(&wf)
        .into_iter()
        .skip(2)
        .filter(|r| b.trail(r.id).last().unwrap().ends_with(":yes"))
        .count();
    assert!((8..=32).contains(&yes), "{yes} of 40 took the 50% branch");
}

#[test]
fn notifications_and_test_mode() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Notify",
        "settings": {"reentry": "always"},
        "nodes": [
            node("t", "trigger.manual", json!({})),
            node("d", "action.notify", json!({"channel": "desktop", "message": "{{ contact.email }} joined"})),
            node("o", "action.notify", json!({"channel": {"email_owner": {"account": "Gmail"}}, "message": "New: {{ contact.email }}"})),
            node("h", "action.webhook", json!({"url": "https://example.com/x"})),
        ],
        "edges": chain(&["t", "d", "o", "h"]),
    }));
    b.contact("n@x.com");
    let now = b.now();
    b.engine
        .start_run(&wf, "n@x.com", None, &json!({}), RunMode::Live, now)
        .unwrap();
    let sender = ScriptedSender::default();
    b.dispatch(&sender);
    let seen = sender.seen();
    assert!(
        matches!(&seen[0].effect, Effect::Desktop(d) if d.title == "Notify" && d.body == "n@x.com joined")
    );
    assert!(
        matches!(&seen[1].effect, Effect::Email(m) if m.to == "coach@example.com" && m.subject == "[Cairn] Notify")
    );
    assert_eq!(seen.len(), 3);
    // A test run: only email leaves, and only to the test contact.
    let sender = ScriptedSender::default();
    let now = b.now();
    let run = b
        .engine
        .start_run(&wf, "n@x.com", None, &json!({}), RunMode::Test, now)
        .unwrap()
        .unwrap();
    b.dispatch(&sender);
    let seen = sender.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(matches!(&seen[0].effect, Effect::Email(m) if m.to == "n@x.com"));
    assert_eq!(b.store().run(run).unwrap().status, RunStatus::Completed);
    let h = b.steps(run).into_iter().find(|s| s.node_id == "h").unwrap();
    assert_eq!(h.detail["sent"], false);
}

#[test]
fn a_rate_limit_deferral_is_not_an_attempt() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Mail",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail", "on_error": {"max_attempts": 1}}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Hi", "body": "Hello"}],
    }));
    b.contact("r@x.com");
    b.emit("go", "r@x.com", json!({}));
    b.tick();
    let until = b.now() + Duration::hours(3);
    b.dispatch(&ScriptedSender::new(vec![SendOutcome::Deferred {
        until,
        reason: "daily limit of 500 reached".into(),
    }]));
    let row = b.store().outbox(true, 1).unwrap().remove(0);
    assert_eq!((row.attempts, row.next_attempt_at), (0, until));
    assert_eq!(b.only_run(&wf).status, RunStatus::Waiting);
    b.advance(Duration::hours(3));
    b.dispatch(&ScriptedSender::default());
    assert_eq!(b.only_run(&wf).status, RunStatus::Completed);
}

#[test]
fn weekly_schedule_runs_over_the_audience_once_per_occurrence() {
    let mut b = Bench::new(); // Monday 2026-01-05 08:00 UTC
    upsert(&mut b, "vip1@x.com", &[], &["vip"]);
    upsert(&mut b, "vip2@x.com", &[], &["vip"]);
    upsert(&mut b, "plain@x.com", &[], &[]);
    let wf = b.workflow(json!({
        "name": "Weekly digest",
        "settings": {"reentry": "always"},
        "nodes": [
            node("s", "trigger.schedule", json!({"every": "week", "weekdays": ["mon"], "time": "09:00", "audience": {"has_tag": "vip"}})),
            node("a", "action.add_tag", json!({"tag": "digest"})),
        ],
        "edges": chain(&["s", "a"]),
    }));
    b.tick();
    assert!(b.runs(&wf).is_empty());
    b.advance(Duration::hours(1)); // Monday 09:00
    assert_eq!(b.runs(&wf).len(), 2);
    b.tick();
    b.advance(Duration::hours(1));
    assert_eq!(b.runs(&wf).len(), 2, "once per occurrence");
    // Away for three weeks: the missed occurrences fire once, not three times.
    b.advance(Duration::days(21));
    assert_eq!(b.runs(&wf).len(), 4);
    assert_eq!(
        b.engine.next_due().unwrap(),
        Some(Utc.with_ymd_and_hms(2026, 2, 2, 9, 0, 0).unwrap())
    );
}

#[test]
fn a_schedule_audience_that_requires_a_tag_selects_what_the_whole_condition_selects() {
    let mut b = Bench::new(); // Monday 2026-01-05 08:00 UTC
    upsert(&mut b, "vip@x.com", &[], &["vip"]);
    upsert(&mut b, "vip-paused@x.com", &[], &["VIP", "paused"]);
    upsert(&mut b, "plain@x.com", &[], &[]);
    upsert(&mut b, "other@x.com", &[], &["other"]);
    let digest = |name: &str, audience: serde_json::Value| {
        json!({
            "name": name,
            "nodes": [
                node("s", "trigger.schedule", json!({"every": "week", "weekdays": ["mon"], "time": "09:00", "audience": audience})),
                node("a", "action.add_tag", json!({"tag": format!("got-{name}")})),
            ],
            "edges": chain(&["s", "a"]),
        })
    };
    // The tag named in another case than the contacts carry it; an `all`
    // whose other part still rules one of them out.
    let required = b.workflow(digest(
        "required",
        json!({"all": [{"has_tag": "Vip"}, {"lacks_tag": "paused"}]}),
    ));
    // No tag is required by an `any`: everyone is read and evaluated.
    let either = b.workflow(digest(
        "either",
        json!({"any": [{"has_tag": "vip"}, {"field": {"field": "email", "op": "contains", "value": "plain"}}]}),
    ));
    b.tick();
    b.advance(Duration::hours(1)); // Monday 09:00
    let mut emails = |wf| {
        let mut e: Vec<String> = b.runs(wf).into_iter().map(|r| r.contact_email).collect();
        e.sort();
        e
    };
    assert_eq!(emails(&required), ["vip@x.com"]);
    assert_eq!(
        emails(&either),
        ["plain@x.com", "vip-paused@x.com", "vip@x.com"]
    );
}

#[test]
fn a_schedule_activated_while_no_executor_ran_fires_what_fell_due_since() {
    let mut b = Bench::new(); // Monday 2026-01-05 08:00 UTC
    upsert(&mut b, "vip@x.com", &[], &["vip"]);
    // Activated at 08:00 (as `cairn workflow activate` does with the app
    // closed); the executor first looks at 10:00.
    let wf = b.workflow(json!({
        "name": "Weekly digest",
        "nodes": [
            node("s", "trigger.schedule", json!({"every": "week", "weekdays": ["mon"], "time": "09:00", "audience": {"has_tag": "vip"}})),
            node("a", "action.add_tag", json!({"tag": "digest"})),
        ],
        "edges": chain(&["s", "a"]),
    }));
    b.clock.advance(Duration::hours(2));
    b.tick();
    let runs = b.runs(&wf);
    assert_eq!(runs.len(), 1, "the 09:00 occurrence fires late, once");
    assert_eq!(
        runs[0].trigger_payload["scheduled_for"],
        "2026-01-05T09:00:00+00:00"
    );
}

#[test]
fn what_fell_due_while_a_workflow_was_paused_does_not_fire_when_it_is_resumed() {
    let mut b = Bench::new(); // Monday 2026-01-05 08:00 UTC
    field(&mut b, "birthday", FieldType::Date);
    upsert(
        &mut b,
        "paused-week@x.com",
        &[("birthday", "1990-01-07")],
        &[],
    );
    upsert(&mut b, "after@x.com", &[("birthday", "1990-01-20")], &[]);
    upsert(
        &mut b,
        "pause-all@x.com",
        &[("birthday", "1990-01-25")],
        &[],
    );
    let wf = b.workflow(json!({
        "name": "Birthday",
        "nodes": [
            node("d", "trigger.date", json!({"field": "birthday", "yearly": true, "time": "10:00"})),
            node("a", "action.add_tag", json!({"tag": "greeted"})),
        ],
        "edges": chain(&["d", "a"]),
    }));
    b.tick();
    let now = b.now();
    b.store()
        .set_workflow_status(&wf, WorkflowStatus::Paused, now)
        .unwrap();
    b.advance(Duration::days(7)); // Jan 7 passes while paused
    let now = b.now();
    b.store()
        .set_workflow_status(&wf, WorkflowStatus::Active, now)
        .unwrap();
    b.tick();
    assert!(b.runs(&wf).is_empty(), "no catch-up for the paused week");
    b.advance(Duration::days(9)); // past Jan 20, 10:00
    let emails: Vec<String> = b.runs(&wf).into_iter().map(|r| r.contact_email).collect();
    assert_eq!(emails, ["after@x.com"]);

    // "Pause all" and "Resume all" (the tray; a restore) hold the same way.
    let now = b.now();
    b.store().pause_all(now).unwrap();
    b.advance(Duration::days(7)); // Jan 25 passes while paused
    let now = b.now();
    b.store().resume_all(now).unwrap();
    b.tick();
    let emails: Vec<String> = b.runs(&wf).into_iter().map(|r| r.contact_email).collect();
    assert_eq!(emails, ["after@x.com"], "no catch-up after resume all");
    // Resumed as by hand: its first 48 hours from now on are watched.
    let id = b.store().workflow(&wf).unwrap().id;
    let went_live = cairn_store::watch::activated_at_using(b.store().conn(), id).unwrap();
    assert_eq!(went_live, Some(now));
}

#[test]
fn yearly_date_trigger_before_a_birthday() {
    let mut b = Bench::new(); // 2026-01-05
    field(&mut b, "birthday", FieldType::Date);
    upsert(&mut b, "bd@x.com", &[("birthday", "1990-01-10")], &[]);
    upsert(&mut b, "later@x.com", &[("birthday", "1985-03-01")], &[]);
    let wf = b.workflow(json!({
        "name": "Birthday",
        "nodes": [
            node("d", "trigger.date", json!({"field": "birthday", "offset_days": -3, "yearly": true, "time": "10:00"})),
            node("a", "action.add_tag", json!({"tag": "birthday-soon"})),
        ],
        "edges": chain(&["d", "a"]),
    }));
    b.tick();
    assert_eq!(
        b.engine.next_due().unwrap(),
        Some(Utc.with_ymd_and_hms(2026, 1, 7, 10, 0, 0).unwrap())
    );
    b.advance(Duration::days(2) + Duration::hours(2)); // 2026-01-07 10:00
    let runs = b.runs(&wf);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].contact_email, "bd@x.com");
    assert_eq!(
        runs[0].trigger_payload["scheduled_for"],
        "2026-01-07T10:00:00+00:00"
    );
    // A contact whose date field is set later is still picked up.
    upsert(&mut b, "new@x.com", &[("birthday", "2000-01-12")], &[]);
    b.tick();
    b.advance(Duration::days(2)); // 2026-01-09 10:00
    assert_eq!(b.runs(&wf).len(), 2);
    // Next year again.
    b.advance(Duration::days(363));
    // later@x.com on 26 February 2026 and bd@x.com on 7 January 2027.
    assert_eq!(b.runs(&wf).len(), 4);
}

#[test]
fn offline_sends_stay_queued_without_spending_attempts_and_drain_later() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Offline",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail", "on_error": {"max_attempts": 2}}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Hi", "body": "Hello"}],
    }));
    b.contact("o@x.com");
    b.emit("go", "o@x.com", json!({}));
    b.tick();
    // A whole day without network: far more tries than max_attempts.
    let offline = || SendOutcome::Unreachable {
        error: "SMTP: connection refused".into(),
    };
    let sender = ScriptedSender::new((0..30).map(|_| offline()).collect());
    for _ in 0..30 {
        b.dispatch(&sender);
        b.advance(Duration::minutes(3));
    }
    let row = b.store().outbox(true, 1).unwrap().remove(0);
    assert_eq!(row.status, cairn_store::outbox::OutboxStatus::Pending);
    assert_eq!(row.attempts, 0, "being offline is not the message's fault");
    assert_eq!(b.only_run(&wf).status, RunStatus::Waiting);
    let run = b.only_run(&wf).id;
    let step = b.steps(run).into_iter().find(|s| s.node_id == "e").unwrap();
    assert!(
        step.detail["queued_because"]
            .as_str()
            .unwrap()
            .starts_with("waiting for the network")
    );
    // The network is back.
    b.advance(Duration::minutes(3));
    b.dispatch(&ScriptedSender::default());
    assert_eq!(b.only_run(&wf).status, RunStatus::Completed);
}

#[test]
fn a_course_on_a_platform_is_enrolled_through_the_outbox_and_a_local_one_says_so() {
    let mut b = Bench::new();
    let now = b.now();
    b.store()
        .add_account(
            "School",
            AccountKind::Thinkific,
            &json!({"subdomain": "coach"}),
            None,
            now,
        )
        .unwrap();
    let wf = b.workflow(json!({
        "name": "Access",
        "nodes": [
            node("t", "trigger.purchase_completed", json!({})),
            node("local", "action.enroll_course", json!({"course": "Workbook"})),
            node("remote", "action.enroll_course", json!({"course": "Program A"})),
            node("tag", "action.add_tag", json!({"tag": "student"})),
        ],
        "edges": chain(&["t", "local", "remote", "tag"]),
        "requires": {"courses": ["Workbook", "Program A"]},
    }));
    let now = b.now();
    b.store()
        .link_course("Program A", Some(("School", "8801")), now)
        .unwrap();
    b.contact("ada@x.com");
    b.store()
        .upsert_contact(
            &ContactInput {
                email: "ada@x.com".into(),
                name: Some("Ada Lovelace".into()),
                status: None,
                timezone: None,
                fields: Default::default(),
                tags: vec![],
                is_test: false,
            },
            now,
        )
        .unwrap();
    b.emit(
        "purchase.completed",
        "ada@x.com",
        json!({"product": "Program A"}),
    );
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Waiting, "{:?}", b.trail(run.id));
    let steps = b.steps(run.id);
    assert_eq!(steps[1].detail["note"], "recorded in Cairn only");
    // Both local rows are written at once, the platform's part is queued.
    let c = b.store().require_contact("ada@x.com").unwrap();
    assert_eq!(b.store().enrollments_of_contact(c.id).unwrap().len(), 2);
    let sender = ScriptedSender::new(vec![SendOutcome::Sent {
        detail: Some(
            "Thinkific: enrolled, enrollment 1004 (created user 1001, course 8801)".into(),
        ),
    }]);
    assert_eq!(b.dispatch(&sender), 1);
    let seen = sender.seen();
    let Effect::Course(access) = &seen[0].effect else {
        panic!("{:?}", seen[0].effect)
    };
    assert_eq!(
        (
            access.account.as_str(),
            access.platform_course_id.as_str(),
            access.enroll,
            access.email.as_str(),
            access.first_name.as_deref(),
            access.last_name.as_deref()
        ),
        (
            "School",
            "8801",
            true,
            "ada@x.com",
            Some("Ada"),
            Some("Lovelace")
        )
    );
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed, "{:?}", b.trail(run.id));
    let remote = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "remote")
        .unwrap();
    assert_eq!(
        remote.detail["response"],
        "Thinkific: enrolled, enrollment 1004 (created user 1001, course 8801)"
    );
    assert_eq!(
        b.count("SELECT COUNT(*) FROM events WHERE type = 'course.enrolled'"),
        2
    );
}
