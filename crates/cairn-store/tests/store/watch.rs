//! The watch after activation and drift alerts, on a real database: runs
//! written as the engine writes them, on a fixed clock.

use cairn_model::Timestamp;
use cairn_model::effect::RunMode;
use cairn_store::contacts::ContactInput;
use cairn_store::incidents::IncidentKind;
use cairn_store::runs::{
    NewRun, NewStep, RunStatus, StepStatus, end_run_using, insert_run_using, insert_step_using,
    set_run_position_using,
};
use cairn_store::workflows::WorkflowStatus;
use cairn_store::{Store, StoreError};
use chrono::Duration;
use serde_json::json;

use crate::common::*;

fn hours(n: i64) -> Timestamp {
    t0() + Duration::hours(n)
}

/// "Follow-up": a manual trigger, a wait, a webhook.
fn workflow(s: &mut Store) -> i64 {
    let text = json!({"format": "cairn.workflow", "version": 1, "name": "Follow-up", "nodes": [
        {"id": "start", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}},
        {"id": "pause", "position": {"x": 0, "y": 100}, "kind": "wait.duration", "config": {"duration": "1d"}},
        {"id": "hook", "position": {"x": 0, "y": 200}, "kind": "action.webhook", "config": {"url": "https://example.com/h"}}],
        "edges": [{"from": "start", "to": "pause"}, {"from": "pause", "to": "hook"}]});
    s.import_workflow(&text.to_string(), false, t0())
        .unwrap()
        .id
}

fn contact(s: &mut Store) -> i64 {
    s.add_contact(
        &ContactInput {
            email: "ada@example.com".into(),
            ..Default::default()
        },
        t0(),
    )
    .unwrap()
    .id
}

/// How a scripted run ends.
#[derive(Clone, Copy)]
enum End {
    WaitingAt(&'static str),
    Completed,
    FailedAtHook,
}

/// A live run started at `start` that ends (or stands) at `end` as `how`,
/// with its webhook step when it got that far.
fn run(s: &mut Store, wf: i64, contact: i64, start: Timestamp, end: Timestamp, how: End) -> i64 {
    let payload = json!({});
    s.write(|tx| {
        let version: u32 = tx.query_row(
            "SELECT current_version FROM workflows WHERE id = ?1",
            [wf],
            |r| r.get(0),
        )?;
        let id = insert_run_using(
            tx,
            &NewRun {
                workflow_id: wf,
                version,
                contact_id: contact,
                trigger_node: "start",
                trigger_event_id: None,
                trigger_payload: &payload,
                mode: RunMode::Live,
            },
            start,
        )?;
        let step = |status, detail: Option<&serde_json::Value>| {
            insert_step_using(
                tx,
                &NewStep {
                    run_id: id,
                    workflow_id: wf,
                    node_id: "hook",
                    kind: "action.webhook",
                    status,
                    exit: None,
                    detail,
                },
                end,
            )
        };
        match how {
            End::WaitingAt(node) => {
                set_run_position_using(tx, id, RunStatus::Waiting, Some(node), start)?
            }
            End::Completed => {
                step(StepStatus::Ok, None)?;
                set_run_position_using(tx, id, RunStatus::Running, Some("hook"), end)?;
                end_run_using(tx, id, RunStatus::Completed, None, None, false, end)?;
            }
            End::FailedAtHook => {
                step(
                    StepStatus::Failed,
                    Some(&json!({"error": "HTTP 500 from example.com"})),
                )?;
                set_run_position_using(tx, id, RunStatus::Running, Some("hook"), end)?;
                end_run_using(
                    tx,
                    id,
                    RunStatus::Failed,
                    Some("hook: HTTP 500 from example.com"),
                    None,
                    false,
                    end,
                )?;
            }
        }
        Ok::<_, StoreError>(id)
    })
    .unwrap()
}

#[test]
fn a_workflow_is_watched_for_48_hours_after_activation() {
    let (_d, mut s) = fresh();
    let wf = workflow(&mut s);
    let ada = contact(&mut s);
    assert_eq!(s.workflow_watch(wf, hours(1)).unwrap(), None, "never live");
    s.set_workflow_status("Follow-up", WorkflowStatus::Active, hours(1))
        .unwrap();
    // A run from before the activation does not count.
    run(&mut s, wf, ada, hours(0), hours(0), End::Completed);
    run(&mut s, wf, ada, hours(2), hours(2), End::WaitingAt("pause"));
    run(&mut s, wf, ada, hours(3), hours(3), End::WaitingAt("pause"));
    run(&mut s, wf, ada, hours(4), hours(4), End::WaitingAt("hook"));
    run(&mut s, wf, ada, hours(5), hours(6), End::Completed);
    let failed = run(&mut s, wf, ada, hours(7), hours(8), End::FailedAtHook);

    let w = s.workflow_watch(wf, hours(9)).unwrap().unwrap();
    assert_eq!((w.since, w.until), (hours(1), hours(49)));
    assert_eq!(
        (w.runs_started, w.open, w.completed, w.exited, w.failed),
        (5, 3, 1, 0, 1)
    );
    let at: Vec<(&str, u64)> = w
        .at_nodes
        .iter()
        .map(|n| (n.node.as_str(), n.runs))
        .collect();
    assert_eq!(at, vec![("pause", 2), ("hook", 1)]);
    assert_eq!(w.failures.len(), 1);
    assert_eq!(w.failures[0].run_id, failed);
    assert_eq!(w.failures[0].node.as_deref(), Some("hook"));
    assert_eq!(
        w.failures[0].reason.as_deref(),
        Some("hook: HTTP 500 from example.com")
    );
    assert_eq!(w.failures[0].at, hours(8));
    assert_eq!(s.watches(hours(9)).unwrap(), vec![w]);

    // Still watched a minute before the 48 hours are up, not at 48 hours.
    assert!(
        s.workflow_watch(wf, hours(49) - Duration::minutes(1))
            .unwrap()
            .is_some()
    );
    assert_eq!(s.workflow_watch(wf, hours(49)).unwrap(), None);
    assert!(s.watches(hours(49)).unwrap().is_empty());

    // Paused: not watched. Activated again: a new watch from then.
    s.set_workflow_status("Follow-up", WorkflowStatus::Paused, hours(10))
        .unwrap();
    assert_eq!(s.workflow_watch(wf, hours(11)).unwrap(), None);
    s.set_workflow_status("Follow-up", WorkflowStatus::Active, hours(60))
        .unwrap();
    let w = s.workflow_watch(wf, hours(61)).unwrap().unwrap();
    assert_eq!((w.since, w.runs_started), (hours(60), 0));
}

#[test]
fn saving_a_new_version_of_an_active_workflow_starts_a_new_watch() {
    let (_d, mut s) = fresh();
    let wf = workflow(&mut s);
    let ada = contact(&mut s);
    s.set_workflow_status("Follow-up", WorkflowStatus::Active, hours(0))
        .unwrap();
    run(&mut s, wf, ada, hours(1), hours(1), End::FailedAtHook);
    let (_, mut def) = s.workflow_def("Follow-up").unwrap();
    // Saving what is already there changes nothing.
    s.save_workflow(wf, &def, hours(100)).unwrap();
    assert_eq!(s.workflow_watch(wf, hours(100)).unwrap(), None);
    def.settings.manual_minutes_per_run = 5.0;
    let saved = s.save_workflow(wf, &def, hours(100)).unwrap();
    assert!(saved.new_version);
    let w = s.workflow_watch(wf, hours(101)).unwrap().unwrap();
    assert_eq!((w.version, w.since, w.runs_started), (2, hours(100), 0));
}

#[test]
fn the_first_failure_of_a_watch_is_told_once() {
    let (_d, mut s) = fresh();
    let wf = workflow(&mut s);
    let ada = contact(&mut s);
    s.set_workflow_status("Follow-up", WorkflowStatus::Active, hours(0))
        .unwrap();
    run(&mut s, wf, ada, hours(1), hours(1), End::Completed);
    let watch_incidents = |s: &Store| -> usize {
        s.open_incidents()
            .unwrap()
            .iter()
            .filter(|i| i.kind == IncidentKind::Watch)
            .count()
    };
    assert!(s.review_incidents(hours(2)).unwrap().is_empty());
    let first = run(&mut s, wf, ada, hours(3), hours(4), End::FailedAtHook);
    let due = s.review_incidents(hours(5)).unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].kind, IncidentKind::Watch);
    assert_eq!(due[0].title, "“Follow-up” failed in its first 48 hours");
    assert_eq!(
        due[0].message,
        format!(
            "Run {first} failed: hook: HTTP 500 from example.com. Open the workflow to see the watch and the run."
        )
    );
    s.mark_notified(due[0].id, hours(5)).unwrap();
    // More failures in the same watch: nothing more to tell.
    run(&mut s, wf, ada, hours(6), hours(7), End::FailedAtHook);
    assert!(s.review_incidents(hours(8)).unwrap().is_empty());
    assert!(
        s.reopen()
            .unwrap()
            .review_incidents(hours(9))
            .unwrap()
            .is_empty()
    );
    assert_eq!(watch_incidents(&s), 1);
    // The watch ends: the incident closes, and a later failure is no watch's.
    assert!(s.review_incidents(hours(48)).unwrap().is_empty());
    assert_eq!(watch_incidents(&s), 0);
    run(&mut s, wf, ada, hours(50), hours(50), End::FailedAtHook);
    assert!(s.review_incidents(hours(51)).unwrap().is_empty());
    assert_eq!(watch_incidents(&s), 0);
}

/// A scripted history: `n` runs ended in each of the 35 days before `now`
/// from 28 days of baseline and 7 recent days, `completed_per_10` of each
/// 10 completing (the others fail at the webhook), each taking `took`.
fn history(s: &mut Store, wf: i64, now: Timestamp, baseline: (u32, u32), recent: (u32, u32)) {
    let ada = contact(s);
    for day in 1..=35i64 {
        let (n, ok_per_10) = if day <= 7 { recent } else { baseline };
        for i in 0..n {
            let end = now - Duration::days(day) + Duration::minutes(i64::from(i) * 10);
            let start = end - Duration::hours(1);
            let how = if i % 10 < ok_per_10 {
                End::Completed
            } else {
                End::FailedAtHook
            };
            run(s, wf, ada, start, end, how);
        }
    }
}

#[test]
fn drift_in_the_last_week_is_an_incident_told_once() {
    let (_d, mut s) = fresh();
    let wf = workflow(&mut s);
    let now = hours(24 * 60);
    s.set_workflow_status("Follow-up", WorkflowStatus::Active, t0())
        .unwrap();
    // 10 a day: 9 of 10 completed for four weeks, then 5 of 10.
    history(&mut s, wf, now, (10, 9), (10, 5));
    let report = s.workflow_drift(wf, now).unwrap();
    assert_eq!((report.recent.ended, report.recent.completed), (70, 35));
    assert_eq!(
        (report.baseline.ended, report.baseline.completed),
        (280, 252)
    );
    let verdicts: Vec<_> = report
        .metrics
        .iter()
        .map(|m| (m.metric.as_str(), m.verdict))
        .collect();
    use cairn_store::drift::DriftVerdict::*;
    assert_eq!(
        verdicts,
        vec![
            ("completion_rate", Drift),
            ("error_rate", Drift),
            ("time_to_completion", Steady)
        ]
    );
    let due = s.review_incidents(now).unwrap();
    let drift: Vec<_> = due
        .iter()
        .filter(|i| i.kind == IncidentKind::Drift)
        .collect();
    assert_eq!(drift.len(), 2, "{due:?}");
    assert_eq!(drift[0].subject, format!("{wf}/completion_rate"));
    assert_eq!(
        drift[0].message,
        "completion rate 50.0 % (of 70) in the last 7 days, 90.0 % (of 280) in the 28 days before; z = -7.8. A rule downstream may have changed."
    );
    for i in &due {
        s.mark_notified(i.id, now).unwrap();
    }
    assert!(
        s.review_incidents(now + Duration::minutes(1))
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.workflow_drift(wf, now).unwrap().incidents.len(), 2);
}

#[test]
fn a_steady_or_quiet_history_raises_no_drift() {
    let (_d, mut s) = fresh();
    let wf = workflow(&mut s);
    let now = hours(24 * 60);
    s.set_workflow_status("Follow-up", WorkflowStatus::Active, t0())
        .unwrap();
    history(&mut s, wf, now, (10, 9), (10, 9));
    let due = s.review_incidents(now).unwrap();
    assert!(due.iter().all(|i| i.kind != IncidentKind::Drift), "{due:?}");

    // A quiet workflow: 4 runs a day, all failing in the last week.
    let (_d2, mut q) = fresh();
    let wf = workflow(&mut q);
    q.set_workflow_status("Follow-up", WorkflowStatus::Active, t0())
        .unwrap();
    history(&mut q, wf, now, (1, 9), (4, 0));
    let report = q.workflow_drift(wf, now).unwrap();
    assert!(
        report
            .metrics
            .iter()
            .all(|m| m.verdict == cairn_store::drift::DriftVerdict::TooFewRuns),
        "{report:?}"
    );
    assert!(
        q.review_incidents(now)
            .unwrap()
            .iter()
            .all(|i| i.kind != IncidentKind::Drift)
    );
}
