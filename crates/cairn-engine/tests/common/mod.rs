//! Shared test bench: a real SQLite file in a temp dir, a virtual clock, and
//! a scripted sender.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use cairn_engine::{Engine, OutboxEntry, SendOutcome, Sender};
use cairn_model::account::AccountKind;
use cairn_model::event::NewEvent;
use cairn_model::{Clock, Timestamp, VirtualClock};
use cairn_store::Store;
use cairn_store::runs::{Run, RunQuery, Step};
use cairn_store::workflows::WorkflowStatus;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

pub struct Bench {
    pub dir: tempfile::TempDir,
    pub engine: Engine,
    pub clock: VirtualClock,
}

/// Monday 5 January 2026, 08:00 UTC.
pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap()
}

impl Bench {
    pub fn new() -> Bench {
        Self::at(t0())
    }

    pub fn at(start: Timestamp) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("cairn.db")).unwrap();
        let mut b = Bench {
            dir,
            engine: Engine::new(store),
            clock: VirtualClock::new(start),
        };
        let now = b.now();
        let s = b.store();
        s.add_account(
            "Gmail",
            AccountKind::Smtp,
            &json!({"from": "Coach <coach@example.com>"}),
            None,
            now,
        )
        .unwrap();
        s.add_account("Team", AccountKind::Slack, &json!({}), None, now)
            .unwrap();
        s.add_account("Hooks", AccountKind::Webhook, &json!({}), None, now)
            .unwrap();
        // Reports opens and clicks: workflows that read them can be activated.
        s.add_account("Mailgun", AccountKind::Mailgun, &json!({}), Some(300), now)
            .unwrap();
        b
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn store(&mut self) -> &mut Store {
        self.engine.store_mut()
    }

    /// Imports a workflow given as JSON (format and version are added) and activates it.
    pub fn workflow(&mut self, mut def: Value) -> String {
        def["format"] = json!("cairn.workflow");
        def["version"] = json!(1);
        let now = self.now();
        let out = self
            .store()
            .import_workflow(&def.to_string(), false, now)
            .unwrap();
        let name = out.name.clone();
        self.store()
            .set_workflow_status(&name, WorkflowStatus::Active, now)
            .unwrap_or_else(|e| panic!("activating {name}: {e}"));
        name
    }

    pub fn contact(&mut self, email: &str) -> i64 {
        let now = self.now();
        self.store()
            .write(|tx| cairn_store::contacts::ensure_using(tx, email, "test", now))
            .unwrap()
            .0
    }

    pub fn emit(&mut self, event_type: &str, email: &str, payload: Value) {
        let now = self.now();
        self.store()
            .emit(
                &NewEvent {
                    event_type: event_type.into(),
                    contact_email: Some(email.into()),
                    payload,
                    occurred_at: now,
                    source: "test".into(),
                    external_id: None,
                },
                now,
            )
            .unwrap();
    }

    pub fn tick(&mut self) {
        let now = self.now();
        let r = self.engine.tick(now).unwrap();
        assert!(!r.more, "a tick left work behind");
    }

    /// Advances the clock and handles what fell due.
    pub fn advance(&mut self, by: chrono::Duration) {
        self.clock.advance(by);
        self.tick();
    }

    /// Delivers every due outbox entry with `sender`, then ticks.
    pub fn dispatch(&mut self, sender: &ScriptedSender) -> usize {
        let mut n = 0;
        loop {
            let now = self.now();
            let due = self.engine.take_due(now, 100).unwrap();
            if due.is_empty() {
                break;
            }
            for e in due {
                let out = sender.decide(&e);
                self.engine.record_outcome(e.id, &out, now).unwrap();
                n += 1;
            }
            self.tick();
        }
        n
    }

    pub fn runs(&mut self, workflow: &str) -> Vec<Run> {
        let mut r = self
            .store()
            .runs(&RunQuery {
                workflow: Some(workflow.into()),
                ..Default::default()
            })
            .unwrap();
        r.reverse();
        r
    }

    pub fn only_run(&mut self, workflow: &str) -> Run {
        let runs = self.runs(workflow);
        assert_eq!(
            runs.len(),
            1,
            "expected one run of {workflow}, got {runs:#?}"
        );
        runs.into_iter().next().unwrap()
    }

    pub fn steps(&mut self, run: i64) -> Vec<Step> {
        self.store().steps(run).unwrap()
    }

    /// `node:status:exit` for each step of a run, for compact assertions.
    pub fn trail(&mut self, run: i64) -> Vec<String> {
        self.steps(run)
            .into_iter()
            .map(|s| {
                format!(
                    "{}:{}{}",
                    s.node_id,
                    s.status.as_str(),
                    s.exit.map(|e| format!(":{e}")).unwrap_or_default()
                )
            })
            .collect()
    }

    pub fn count(&mut self, sql: &str) -> i64 {
        self.store()
            .conn()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }
}

/// A sender that answers from a script (then `Sent`), recording what it saw.
#[derive(Default, Clone)]
pub struct ScriptedSender {
    pub script: Arc<Mutex<VecDeque<SendOutcome>>>,
    pub seen: Arc<Mutex<Vec<OutboxEntry>>>,
}

impl ScriptedSender {
    pub fn new(outcomes: Vec<SendOutcome>) -> Self {
        ScriptedSender {
            script: Arc::new(Mutex::new(outcomes.into())),
            seen: Arc::default(),
        }
    }

    pub fn decide(&self, e: &OutboxEntry) -> SendOutcome {
        self.seen.lock().unwrap().push(e.clone());
        self.script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(SendOutcome::Sent { detail: None })
    }

    pub fn seen(&self) -> Vec<OutboxEntry> {
        self.seen.lock().unwrap().clone()
    }
}

impl Sender for ScriptedSender {
    fn send<'a>(
        &'a self,
        entry: &'a OutboxEntry,
        _now: Timestamp,
    ) -> cairn_engine::sender::SendFuture<'a> {
        let out = self.decide(entry);
        Box::pin(async move { out })
    }
}

/// A node at a position, for compact workflow JSON.
pub fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

pub fn edge(from: &str, exit: &str, to: &str) -> Value {
    json!({"from": from, "exit": exit, "to": to})
}

/// A linear chain of nodes joined by their `next` exits.
pub fn chain(ids: &[&str]) -> Vec<Value> {
    ids.windows(2).map(|w| edge(w[0], "next", w[1])).collect()
}
