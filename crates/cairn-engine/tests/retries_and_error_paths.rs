//! Re-running failed runs (from the failed step, from the start, in bulk)
//! and the workflow's error path ("when a run fails"), on a virtual clock
//! over a real SQLite file.

mod common;

use cairn_engine::{RetryFrom, SendOutcome};
use cairn_model::account::AccountKind;
use cairn_model::effect::Effect;
use cairn_store::failures::FailureFilter;
use cairn_store::runs::RunStatus;
use common::*;
use serde_json::{Value, json};

/// A purchase tags the buyer, sends a receipt (one attempt), tags again.
fn receipt(settings: Value) -> Value {
    json!({
        "name": "Receipt",
        "settings": settings,
        "nodes": [
            node("t", "trigger.purchase_completed", json!({})),
            node("buyer", "action.add_tag", json!({"tag": "buyer"})),
            node("send", "action.send_email", json!({"template": "receipt", "account": "Gmail",
                "on_error": {"max_attempts": 1}})),
            node("done", "action.add_tag", json!({"tag": "receipt-sent"})),
        ],
        "edges": chain(&["t", "buyer", "send", "done"]),
        "email_templates": [{"name": "receipt", "subject": "Your receipt", "body": "Thanks for buying {{ trigger.product }}."}],
    })
}

fn failed_send() -> SendOutcome {
    SendOutcome::Failed {
        error: "550 5.7.1 sender rejected".into(),
    }
}

/// A purchase by `email`, handled up to the send.
fn purchase(b: &mut Bench, email: &str) {
    b.contact(email);
    b.emit("purchase.completed", email, json!({"product": "Program A"}));
    b.tick();
}

fn tag_events(b: &mut Bench, tag: &str) -> i64 {
    b.count(&format!(
        "SELECT COUNT(*) FROM events WHERE type = 'tag.added' AND json_extract(payload, '$.tag') = '{tag}'"
    ))
}

#[test]
fn a_failed_send_is_sent_again_with_the_same_key_and_done_steps_are_not_redone() {
    let mut b = Bench::new();
    let wf = b.workflow(receipt(json!({})));
    purchase(&mut b, "ada@x.com");
    let sender = ScriptedSender::new(vec![failed_send()]);
    assert_eq!(b.dispatch(&sender), 1);
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.current_node.as_deref(), Some("send"));
    assert!(
        run.exit_reason
            .as_deref()
            .unwrap()
            .contains("sender rejected")
    );

    let now = b.now();
    let r = b
        .engine
        .retry_run(run.id, RetryFrom::FailedStep, now)
        .unwrap();
    assert!(r.retried, "{r:?}");
    assert_eq!(r.carried_on_by, Some(run.id));
    let reopened = b.only_run(&wf);
    assert_eq!(reopened.status, RunStatus::Waiting);
    assert_eq!(reopened.retries, 1);
    assert_eq!(reopened.exit_reason, None);
    assert_eq!(reopened.ended_at, None);

    assert_eq!(b.dispatch(&sender), 1);
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    // One step per node: the tag before the send was not added again, the
    // send's step went from failed back to pending and then ok.
    assert_eq!(
        b.trail(run.id),
        vec!["t:ok:next", "buyer:ok:next", "send:ok:next", "done:ok:next"]
    );
    assert_eq!(tag_events(&mut b, "buyer"), 1);
    assert_eq!(tag_events(&mut b, "receipt-sent"), 1);
    // The same outbox row, the same Message-ID, the next attempt.
    let seen = sender.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].id, seen[1].id);
    assert_eq!(seen[0].idempotency_key, seen[1].idempotency_key);
    assert_eq!((seen[0].attempt, seen[1].attempt), (1, 2));
    let Effect::Email(m) = &seen[1].effect else {
        panic!("{:?}", seen[1].effect)
    };
    assert!(m.message_id.contains(&seen[0].idempotency_key));
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 1);
    let send = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "send")
        .unwrap();
    assert_eq!(send.detail["retried"], json!(1));
    assert!(
        send.detail["previous_error"]
            .as_str()
            .unwrap()
            .contains("sender rejected")
    );
    assert!(send.detail.get("error").is_none(), "{}", send.detail);
    assert_eq!(send.detail["sent"], json!(true));
}

#[test]
fn an_email_whose_account_was_missing_is_sent_once_the_account_is_back() {
    let mut b = Bench::new();
    let wf = b.workflow(receipt(json!({})));
    b.store().remove_account("Gmail").unwrap();
    purchase(&mut b, "bea@x.com");
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.exit_reason
            .as_deref()
            .unwrap()
            .contains("no account named")
    );
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 0);

    // Retrying before the fix fails again, at the same place; nothing leaves.
    let now = b.now();
    let r = b
        .engine
        .retry_run(run.id, RetryFrom::FailedStep, now)
        .unwrap();
    assert!(r.retried);
    assert_eq!(b.only_run(&wf).status, RunStatus::Failed);

    let now = b.now();
    b.store()
        .add_account(
            "Gmail",
            AccountKind::Smtp,
            &json!({"from": "Coach <coach@example.com>"}),
            None,
            now,
        )
        .unwrap();
    let r = b
        .engine
        .retry_run(run.id, RetryFrom::FailedStep, now)
        .unwrap();
    assert!(r.retried);
    let sender = ScriptedSender::default();
    assert_eq!(b.dispatch(&sender), 1);
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.retries, 2);
    assert_eq!(
        b.trail(run.id),
        vec![
            "t:ok:next",
            "buyer:ok:next",
            "send:failed",
            "send:failed",
            "send:ok:next",
            "done:ok:next"
        ]
    );
    assert_eq!(tag_events(&mut b, "buyer"), 1);
    assert_eq!(b.count("SELECT COUNT(*) FROM outbox"), 1);
}

#[test]
fn a_restart_is_a_new_run_on_the_current_version() {
    let mut b = Bench::new();
    let wf = b.workflow(receipt(json!({"reentry": "once"})));
    purchase(&mut b, "cy@x.com");
    b.dispatch(&ScriptedSender::new(vec![failed_send()]));
    let failed = b.only_run(&wf);
    assert_eq!(failed.status, RunStatus::Failed);
    // A new version: the receipt now has three attempts.
    let mut def = receipt(json!({"reentry": "once"}));
    def["nodes"][2]["config"]["on_error"]["max_attempts"] = json!(3);
    def["format"] = json!("cairn.workflow");
    def["version"] = json!(1);
    let def = cairn_model::file::parse(&def.to_string()).unwrap();
    let id = b.store().workflow(&wf).unwrap().id;
    let now = b.now();
    assert!(b.store().save_workflow(id, &def, now).unwrap().new_version);
    let current = b.store().workflow(&wf).unwrap().version;
    assert_eq!(current, 2);

    let r = b
        .engine
        .retry_run(failed.id, RetryFrom::Start, now)
        .unwrap();
    assert!(
        r.retried,
        "re-entry 'once' does not count the failed run: {r:?}"
    );
    let new_id = r.carried_on_by.unwrap();
    assert_ne!(new_id, failed.id);
    b.dispatch(&ScriptedSender::default());
    let runs = b.runs(&wf);
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0].status,
        RunStatus::Failed,
        "the failed run stays failed"
    );
    assert_eq!(runs[1].id, new_id);
    assert_eq!(runs[1].version, 2);
    assert_eq!(runs[1].restarted_from, Some(failed.id));
    assert_eq!(runs[1].status, RunStatus::Completed);
    assert_eq!(runs[1].trigger_payload, json!({"product": "Program A"}));
    assert_eq!(b.steps(new_id).len(), 4, "from the start: every node again");

    // It is no longer a failure to re-run.
    let left = b
        .store()
        .failed_runs(&wf, &FailureFilter::default())
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    let again = b
        .engine
        .retry_run(failed.id, RetryFrom::Start, now)
        .unwrap();
    assert!(!again.retried);
    assert!(
        again
            .reason
            .unwrap()
            .contains(&format!("restarted as run {new_id}"))
    );
}

#[test]
fn only_failed_live_runs_are_retried_and_bulk_retry_filters_by_node_and_error() {
    let mut b = Bench::new();
    let wf = b.workflow(receipt(json!({"reentry": "always"})));
    for who in ["a@x.com", "b@x.com", "c@x.com"] {
        purchase(&mut b, who);
    }
    let rejected = SendOutcome::Failed {
        error: "550 mailbox 100%_full".into(),
    };
    let sender = ScriptedSender::new(vec![
        failed_send(),
        rejected,
        SendOutcome::Sent { detail: None },
    ]);
    assert_eq!(b.dispatch(&sender), 3);
    let runs = b.runs(&wf);
    let completed = runs[2].id;
    assert_eq!(runs[2].status, RunStatus::Completed);

    let now = b.now();
    let r = b
        .engine
        .retry_run(completed, RetryFrom::FailedStep, now)
        .unwrap();
    assert!(!r.retried);
    assert_eq!(r.reason.as_deref(), Some("it is completed, not failed"));

    let by = |node: &str, error: &str| FailureFilter {
        node: Some(node.into()),
        error: Some(error.into()),
    };
    // LIKE's wildcards in the text are literal.
    let full = b
        .store()
        .failed_runs(&wf, &by("send", "100%_FULL"))
        .unwrap();
    assert_eq!(
        full.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![runs[1].id]
    );
    assert!(
        b.store()
            .failed_runs(&wf, &by("send", "100%x"))
            .unwrap()
            .is_empty()
    );
    assert!(
        b.store()
            .failed_runs(&wf, &by("buyer", ""))
            .unwrap()
            .is_empty()
    );

    let done = b
        .engine
        .retry_failed(
            &wf,
            &by("send", "sender rejected"),
            RetryFrom::FailedStep,
            now,
        )
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].run_id, runs[0].id);
    let all = b
        .engine
        .retry_failed(&wf, &FailureFilter::default(), RetryFrom::FailedStep, now)
        .unwrap();
    assert_eq!(all.len(), 1, "the first is waiting now: {all:?}");
    b.dispatch(&sender);
    assert!(b.runs(&wf).iter().all(|r| r.status == RunStatus::Completed));
    assert_eq!(tag_events(&mut b, "buyer"), 3);
}

/// What a failure of "Receipt" does: notices on three channels and a run of
/// "Recovery" (which has a workflow-failed trigger).
fn receipt_with_error_path(b: &mut Bench) -> String {
    b.workflow(json!({
        "name": "Escalation",
        "nodes": [
            node("f", "trigger.workflow_failed", json!({})),
            node("x", "action.add_tag", json!({"tag": "escalated"})),
        ],
        "edges": chain(&["f", "x"]),
    }));
    b.workflow(json!({
        "name": "Recovery",
        "settings": {"reentry": "always", "on_run_failure": {"notify": ["desktop"], "start_workflow": "Escalation"}},
        "nodes": [
            node("f", "trigger.workflow_failed", json!({"filters": [{"path": "workflow", "op": "eq", "value": "Receipt"}]})),
            node("flag", "action.add_tag", json!({"tag": "needs-help"})),
            node("ping", "action.notify", json!({"channel": {"slack": {"account": "Team"}},
                "message": "{{ trigger.workflow }} failed at {{ trigger.node }}: {{ trigger.error }}",
                "on_error": {"max_attempts": 1}})),
        ],
        "edges": chain(&["f", "flag", "ping"]),
    }));
    b.workflow(receipt(json!({"on_run_failure": {
        "notify": ["desktop", {"slack": {"account": "Team"}}, {"email_owner": {"account": "Gmail"}}],
        "start_workflow": "Recovery"
    }})))
}

fn notices(b: &mut Bench) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = b
        .store()
        .outbox(true, 100)
        .unwrap()
        .into_iter()
        .filter(|r| r.step_id.is_none())
        .map(|r| (r.idempotency_key, r.kind))
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_failure_notifies_and_starts_the_error_workflow_live_and_after_a_retry() {
    let mut b = Bench::new();
    let wf = receipt_with_error_path(&mut b);
    purchase(&mut b, "dee@x.com");
    // The receipt fails; the Recovery run's Slack ping goes out.
    let sender = ScriptedSender::new(vec![failed_send()]);
    b.dispatch(&sender);
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Failed);

    let n = notices(&mut b);
    let kinds: Vec<&str> = n.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(kinds.len(), 3, "{n:?}");
    assert!(
        n.iter()
            .all(|(k, _)| k.contains(&format!("-{}-failed0-", run.id))),
        "{n:?}"
    );
    let seen = sender.seen();
    let texts: Vec<String> = seen
        .iter()
        .filter_map(|e| match &e.effect {
            Effect::Desktop(d) => Some(format!("{} | {}", d.title, d.body)),
            Effect::Email(m) if e.step_id.is_none() => {
                Some(format!("{} -> {} | {}", m.subject, m.to, m.text))
            }
            Effect::Slack(s) => Some(s.text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        texts.contains(&format!(
            "A run of Receipt failed | A run of Receipt failed for dee@x.com at send: send: 550 5.7.1 sender rejected (run {})",
            run.id
        )),
        "{texts:#?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("[Cairn] A run of Receipt failed -> coach@example.com |")),
        "{texts:#?}"
    );
    // The Recovery run: the failed run's contact and details.
    let recovery = b.only_run("Recovery");
    assert_eq!(recovery.contact_email, "dee@x.com");
    assert_eq!(recovery.status, RunStatus::Completed);
    assert_eq!(
        recovery.trigger_payload,
        json!({"workflow": "Receipt", "node": "send", "error": "send: 550 5.7.1 sender rejected", "run": run.id})
    );
    assert!(
        texts.contains(&"Receipt failed at send: send: 550 5.7.1 sender rejected".to_string()),
        "{texts:#?}"
    );

    // Retried, it fails again: told again under new keys, Recovery again.
    let now = b.now();
    b.engine
        .retry_run(run.id, RetryFrom::FailedStep, now)
        .unwrap();
    b.dispatch(&ScriptedSender::new(vec![failed_send()]));
    assert_eq!(b.only_run(&wf).status, RunStatus::Failed);
    let n = notices(&mut b);
    assert_eq!(n.len(), 6, "{n:?}");
    assert_eq!(
        n.iter()
            .filter(|(k, _)| k.contains(&format!("-{}-failed1-", run.id)))
            .count(),
        3
    );
    assert_eq!(b.runs("Recovery").len(), 2);
    assert!(b.runs("Escalation").is_empty());
}

#[test]
fn an_error_workflow_that_fails_notifies_but_starts_nothing() {
    let mut b = Bench::new();
    let wf = receipt_with_error_path(&mut b);
    purchase(&mut b, "eve@x.com");
    // Every send fails: the receipt, its notices, Recovery's Slack ping.
    let sender = ScriptedSender::new(vec![failed_send(); 20]);
    b.dispatch(&sender);
    assert_eq!(b.only_run(&wf).status, RunStatus::Failed);
    let recovery = b.only_run("Recovery");
    assert_eq!(recovery.status, RunStatus::Failed);
    // Recovery's own error path: its desktop notice, but no Escalation run.
    assert!(b.runs("Escalation").is_empty());
    let n = notices(&mut b);
    assert!(
        n.iter().any(
            |(k, kind)| kind == "desktop" && k.contains(&format!("-{}-failed0-0", recovery.id))
        ),
        "{n:?}"
    );
}

#[test]
fn test_runs_have_no_error_path() {
    let mut b = Bench::new();
    let wf = receipt_with_error_path(&mut b);
    b.store().remove_account("Gmail").unwrap();
    b.contact("tess@x.com");
    let now = b.now();
    let id = b
        .engine
        .start_run(
            &wf,
            "tess@x.com",
            None,
            &json!({}),
            cairn_model::effect::RunMode::DryRun,
            now,
        )
        .unwrap()
        .unwrap();
    assert_eq!(b.store().run(id).unwrap().status, RunStatus::Failed);
    assert!(notices(&mut b).is_empty());
    assert!(b.runs("Recovery").is_empty());
    let r = b.engine.retry_run(id, RetryFrom::FailedStep, now).unwrap();
    assert!(!r.retried);
}

#[test]
fn erasing_the_contact_clears_its_failure_notices() {
    let mut b = Bench::new();
    receipt_with_error_path(&mut b);
    purchase(&mut b, "fay@x.com");
    // The receipt fails; the notices stay queued (not dispatched).
    let now = b.now();
    let due = b.engine.take_due(now, 100).unwrap();
    let receipt = due.iter().find(|e| e.step_id.is_some()).unwrap();
    b.engine
        .record_outcome(receipt.id, &failed_send(), now)
        .unwrap();
    let with_email =
        "SELECT COUNT(*) FROM outbox WHERE step_id IS NULL AND payload LIKE '%fay@x.com%'";
    assert_eq!(
        b.count(with_email),
        3,
        "desktop, Slack and owner email name the contact"
    );
    b.store().erase_contact("fay@x.com", now).unwrap();
    assert_eq!(b.count(with_email), 0);
    assert_eq!(
        b.count("SELECT COUNT(*) FROM outbox WHERE step_id IS NULL AND status = 'skipped'"),
        3
    );
}

#[test]
fn a_provider_answer_with_markup_reaches_the_owner_and_slack_escaped() {
    let mut b = Bench::new();
    let wf = receipt_with_error_path(&mut b);
    purchase(&mut b, "eve@x.com");
    let sender = ScriptedSender::new(vec![SendOutcome::Failed {
        error: "550 <script>alert(1)</script> & <@channel>".into(),
    }]);
    b.dispatch(&sender);
    assert_eq!(b.only_run(&wf).status, RunStatus::Failed);
    let seen = sender.seen();
    let owner = seen
        .iter()
        .find_map(|e| match &e.effect {
            Effect::Email(m) if e.step_id.is_none() => Some(m.clone()),
            _ => None,
        })
        .expect("the owner's notice was sent");
    assert!(
        owner
            .html
            .contains("550 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;@channel&gt;"),
        "{}",
        owner.html
    );
    assert!(!owner.html.contains("<script>"), "{}", owner.html);
    // The plain-text part keeps the words as they were.
    assert!(
        owner.text.contains("550 <script>alert(1)</script>"),
        "{}",
        owner.text
    );
    let slack: Vec<&str> = seen
        .iter()
        .filter_map(|e| match &e.effect {
            Effect::Slack(s) if e.step_id.is_none() => Some(s.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(slack.len(), 1, "{slack:?}");
    assert!(!slack[0].contains("<@channel>"), "{}", slack[0]);
    assert!(slack[0].contains("&lt;@channel&gt;"), "{}", slack[0]);
}
