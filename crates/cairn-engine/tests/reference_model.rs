//! The reference-model property test: random valid workflows × random
//! event-and-time scripts. The executor's per-run step sequence must equal
//! what a small in-memory interpreter, written separately from the engine,
//! says the workflows mean.
//!
//! The generated workflows use custom-event triggers with payload filters,
//! conditions on tags and on the trigger payload, duration waits, waits for
//! an event (with and without correlation) with a timeout, add/remove tag,
//! end, goals and every re-entry rule. Graphs only point forward, so they
//! never loop.

mod common;

use std::collections::BTreeSet;

use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum K {
    Trigger {
        ev: &'static str,
        only_v1: bool,
    },
    HasTag(&'static str),
    PayloadV1,
    Wait(i64),
    WaitFor {
        ev: &'static str,
        timeout: i64,
        correlate: bool,
    },
    Add(&'static str),
    Remove(&'static str),
    End,
}

#[derive(Debug, Clone)]
struct N {
    kind: K,
    /// exit name → target node index
    edges: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
struct Wf {
    nodes: Vec<N>,
    goal: Option<&'static str>,
    reentry: &'static str,
}

#[derive(Debug, Clone)]
struct Ev {
    at_min: i64,
    contact: usize,
    ev: &'static str,
    v: i64,
    k: &'static str,
}

const TAGS: [&str; 2] = ["t1", "t2"];
const CONTACTS: usize = 3;

fn exits(k: &K) -> Vec<&'static str> {
    match k {
        K::HasTag(_) | K::PayloadV1 => vec!["yes", "no"],
        K::WaitFor { .. } => vec!["arrived", "timed_out"],
        K::End => vec![],
        _ => vec!["next"],
    }
}

fn kind_strategy() -> impl Strategy<Value = K> {
    prop_oneof![
        prop::sample::select(TAGS.to_vec()).prop_map(K::HasTag),
        Just(K::PayloadV1),
        (1i64..=4).prop_map(|h| K::Wait(h * 60)),
        (
            prop::sample::select(vec!["c", "d"]),
            1i64..=4,
            any::<bool>()
        )
            .prop_map(|(ev, h, correlate)| K::WaitFor {
                ev,
                timeout: h * 60,
                correlate
            }),
        prop::sample::select(TAGS.to_vec()).prop_map(K::Add),
        prop::sample::select(TAGS.to_vec()).prop_map(K::Remove),
        Just(K::End),
    ]
}

// Edges are chosen by node index (forward only), hence the index loop.
#[allow(clippy::needless_range_loop)]
fn wf_strategy() -> impl Strategy<Value = Wf> {
    (
        1usize..=2,
        prop::collection::vec(kind_strategy(), 1..7),
        prop::collection::vec((prop::sample::select(vec!["a", "b"]), any::<bool>()), 2),
        prop::option::of(prop::sample::select(vec!["g", "c"])),
        prop::sample::select(vec!["once", "one_at_a_time", "always"]),
        prop::collection::vec(any::<prop::sample::Index>(), 40),
    )
        .prop_map(|(ntrig, body, trigs, goal, reentry, picks)| {
            let mut nodes: Vec<N> = trigs[..ntrig]
                .iter()
                .map(|(ev, only_v1)| N {
                    kind: K::Trigger {
                        ev,
                        only_v1: *only_v1,
                    },
                    edges: vec![],
                })
                .collect();
            nodes.extend(body.into_iter().map(|kind| N {
                kind,
                edges: vec![],
            }));
            let n = nodes.len();
            let mut pick = picks.into_iter();
            for i in 0..n {
                let first_target = ntrig.max(i + 1);
                for exit in exits(&nodes[i].kind) {
                    let p = pick.next().map(|p| p.index(n + 2)).unwrap_or(0);
                    // Triggers always connect (validation requires it).
                    let connect = matches!(nodes[i].kind, K::Trigger { .. }) || p < n;
                    if connect && first_target < n {
                        let to = first_target + p % (n - first_target);
                        nodes[i].edges.push((exit.to_string(), to));
                    }
                }
            }
            Wf {
                nodes,
                goal,
                reentry,
            }
        })
        .prop_filter("triggers need a node to lead to", |w| {
            w.nodes
                .iter()
                .filter(|n| matches!(n.kind, K::Trigger { .. }))
                .all(|n| !n.edges.is_empty())
        })
}

fn script_strategy() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(
        (
            0i64..600,
            0..CONTACTS,
            prop::sample::select(vec!["a", "b", "c", "d", "g"]),
            0i64..2,
            prop::sample::select(vec!["x", "y"]),
        ),
        1..14,
    )
    .prop_map(|v| {
        let mut evs: Vec<Ev> = v
            .into_iter()
            .map(|(at_min, contact, ev, v, k)| Ev {
                at_min,
                contact,
                ev,
                v,
                k,
            })
            .collect();
        evs.sort_by_key(|e| e.at_min);
        evs
    })
}

fn to_json(i: usize, w: &Wf) -> Value {
    let nodes: Vec<Value> = w
        .nodes
        .iter()
        .enumerate()
        .map(|(j, n)| {
            let (kind, config) = match &n.kind {
                K::Trigger { ev, only_v1 } => (
                    "trigger.event",
                    if *only_v1 {
                        json!({"event_type": ev, "filters": [{"path": "v", "op": "eq", "value": 1}]})
                    } else {
                        json!({"event_type": ev})
                    },
                ),
                K::HasTag(t) => ("condition", json!({"condition": {"has_tag": t}})),
                K::PayloadV1 => ("condition", json!({"condition": {"payload": {"path": "v", "op": "eq", "value": 1}}})),
                K::Wait(m) => ("wait.duration", json!({"duration": format!("{m}m")})),
                K::WaitFor { ev, timeout, correlate } => (
                    "wait.for_event",
                    if *correlate {
                        json!({"event_type": ev, "timeout": format!("{timeout}m"), "correlate": ["k"]})
                    } else {
                        json!({"event_type": ev, "timeout": format!("{timeout}m")})
                    },
                ),
                K::Add(t) => ("action.add_tag", json!({"tag": t})),
                K::Remove(t) => ("action.remove_tag", json!({"tag": t})),
                K::End => ("end", json!({})),
            };
            node(&format!("n{j}"), kind, config)
        })
        .collect();
    let edges: Vec<Value> = w
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(j, n)| {
            n.edges
                .iter()
                .map(move |(e, to)| edge(&format!("n{j}"), e, &format!("n{to}")))
        })
        .collect();
    let mut def = json!({"name": format!("W{i}"), "settings": {"reentry": w.reentry}, "nodes": nodes, "edges": edges});
    if let Some(g) = w.goal {
        def["goals"] = json!([{"name": "goal", "event_type": g}]);
    }
    def
}

// ---------------------------------------------------------------------------
// The reference interpreter.
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct MRun {
    wf: usize,
    contact: usize,
    open: bool,
    at: Option<usize>,
    trig_k: &'static str,
    trig_v: i64,
    steps: Vec<(usize, String, Option<String>)>,
    waiting_for: Option<(&'static str, Option<&'static str>)>,
}

struct Model<'a> {
    wfs: &'a [Wf],
    tags: Vec<BTreeSet<&'static str>>,
    runs: Vec<MRun>,
    /// (due minute, sequence, run, node, is_timeout)
    timers: Vec<(i64, u64, usize, usize, bool)>,
    seq: u64,
}

impl Model<'_> {
    fn step(&mut self, r: usize, node: usize, status: &str, exit: Option<&str>) {
        self.runs[r]
            .steps
            .push((node, status.to_string(), exit.map(String::from)));
    }

    fn next(&self, r: usize, node: usize, exit: &str) -> Option<usize> {
        self.wfs[self.runs[r].wf].nodes[node]
            .edges
            .iter()
            .find(|(e, _)| e == exit)
            .map(|(_, t)| *t)
    }

    fn advance(&mut self, r: usize, mut at: Option<usize>, now: i64) {
        loop {
            let Some(i) = at else {
                self.runs[r].open = false;
                return;
            };
            let kind = self.wfs[self.runs[r].wf].nodes[i].kind.clone();
            let c = self.runs[r].contact;
            let exit = match kind {
                K::Trigger { .. } => "next",
                K::HasTag(t) => {
                    let e = if self.tags[c].contains(t) {
                        "yes"
                    } else {
                        "no"
                    };
                    self.step(r, i, "ok", Some(e));
                    at = self.next(r, i, e);
                    continue;
                }
                K::PayloadV1 => {
                    let e = if self.runs[r].trig_v == 1 {
                        "yes"
                    } else {
                        "no"
                    };
                    self.step(r, i, "ok", Some(e));
                    at = self.next(r, i, e);
                    continue;
                }
                K::Wait(m) => {
                    self.step(r, i, "waiting", None);
                    self.seq += 1;
                    self.timers.push((now + m, self.seq, r, i, false));
                    self.runs[r].at = Some(i);
                    return;
                }
                K::WaitFor {
                    ev,
                    timeout,
                    correlate,
                } => {
                    self.step(r, i, "waiting", None);
                    let k = correlate.then_some(self.runs[r].trig_k);
                    self.runs[r].waiting_for = Some((ev, k));
                    self.seq += 1;
                    self.timers.push((now + timeout, self.seq, r, i, true));
                    self.runs[r].at = Some(i);
                    return;
                }
                K::Add(t) => {
                    self.tags[c].insert(t);
                    "next"
                }
                K::Remove(t) => {
                    self.tags[c].remove(t);
                    "next"
                }
                K::End => {
                    self.step(r, i, "ok", None);
                    self.runs[r].open = false;
                    return;
                }
            };
            self.step(r, i, "ok", Some(exit));
            at = self.next(r, i, exit);
        }
    }

    /// Exits a run early: its waiting step becomes skipped.
    fn exit(&mut self, r: usize) {
        if let Some(last) = self.runs[r].steps.last_mut()
            && last.1 == "waiting"
        {
            last.1 = "skipped".into();
        }
        self.runs[r].open = false;
        self.runs[r].waiting_for = None;
        self.timers.retain(|t| t.2 != r);
    }

    fn event(&mut self, e: &Ev, now: i64) {
        // Goals.
        for r in 0..self.runs.len() {
            if self.runs[r].open
                && self.runs[r].contact == e.contact
                && self.wfs[self.runs[r].wf].goal == Some(e.ev)
            {
                self.exit(r);
            }
        }
        // Waits, in run order.
        for r in 0..self.runs.len() {
            if !(self.runs[r].open && self.runs[r].contact == e.contact) {
                continue;
            }
            let Some((ev, k)) = self.runs[r].waiting_for else {
                continue;
            };
            if ev != e.ev || k.is_some_and(|k| k != e.k) {
                continue;
            }
            self.runs[r].waiting_for = None;
            self.timers.retain(|t| !(t.2 == r && t.4));
            let i = self.runs[r].at.unwrap();
            let last = self.runs[r].steps.last_mut().unwrap();
            last.1 = "ok".into();
            last.2 = Some("arrived".into());
            let next = self.next(r, i, "arrived");
            self.advance(r, next, now);
        }
        // Triggers: workflows in order, one run per workflow per event.
        for w in 0..self.wfs.len() {
            let trig = self.wfs[w].nodes.iter().position(|n| {
                matches!(n.kind, K::Trigger { ev, only_v1 } if ev == e.ev && (!only_v1 || e.v == 1))
            });
            let Some(t) = trig else { continue };
            let mine = self
                .runs
                .iter()
                .filter(|r| r.wf == w && r.contact == e.contact);
            let blocked = match self.wfs[w].reentry {
                "once" => mine.count() > 0,
                "one_at_a_time" => mine.filter(|r| r.open).count() > 0,
                _ => false,
            };
            if blocked {
                continue;
            }
            self.runs.push(MRun {
                wf: w,
                contact: e.contact,
                open: true,
                at: None,
                trig_k: e.k,
                trig_v: e.v,
                steps: vec![],
                waiting_for: None,
            });
            let r = self.runs.len() - 1;
            self.step(r, t, "ok", Some("next"));
            let next = self.next(r, t, "next");
            self.advance(r, next, now);
        }
    }

    fn fire_due(&mut self, now: i64) {
        loop {
            self.timers.sort_by_key(|t| (t.0, t.1));
            let Some(pos) = self.timers.iter().position(|t| t.0 <= now) else {
                return;
            };
            let (_, _, r, i, timeout) = self.timers.remove(pos);
            let exit = if timeout {
                self.runs[r].waiting_for = None;
                "timed_out"
            } else {
                "next"
            };
            let last = self.runs[r].steps.last_mut().unwrap();
            last.1 = "ok".into();
            last.2 = Some(exit.into());
            let next = self.next(r, i, exit);
            self.advance(r, next, now);
        }
    }

    fn next_due(&self) -> Option<i64> {
        self.timers.iter().map(|t| t.0).min()
    }
}

fn check(wfs: Vec<Wf>, script: Vec<Ev>) -> Result<(), TestCaseError> {
    let mut b = Bench::new();
    for (i, w) in wfs.iter().enumerate() {
        b.workflow(to_json(i, w));
    }
    let emails: Vec<String> = (0..CONTACTS).map(|c| format!("c{c}@x.com")).collect();
    for e in &emails {
        b.contact(e);
    }
    let t0 = b.now();
    let mut model = Model {
        wfs: &wfs,
        tags: vec![BTreeSet::new(); CONTACTS],
        runs: vec![],
        timers: vec![],
        seq: 0,
    };
    let end = 24 * 60;
    let mut i = 0;
    let mut now = 0i64;
    loop {
        // The engine side: emit the events due now, then tick.
        b.clock.set(t0 + chrono::Duration::minutes(now));
        while i < script.len() && script[i].at_min <= now {
            let e = &script[i];
            b.emit(e.ev, &emails[e.contact], json!({"v": e.v, "k": e.k}));
            model.event(e, now);
            i += 1;
        }
        b.tick();
        model.fire_due(now);
        let engine_next = b.engine.next_due().unwrap().map(|t| (t - t0).num_minutes());
        prop_assert_eq!(
            engine_next,
            model.next_due(),
            "next due instant at minute {}",
            now
        );
        let next = [engine_next, script.get(i).map(|e| e.at_min)]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(n) if n <= end => now = n.max(now),
            _ => break,
        }
    }
    // Compare per-run step sequences.
    let mut engine_runs: Vec<(String, String, Vec<String>)> = vec![];
    for w in 0..wfs.len() {
        for r in b.runs(&format!("W{w}")) {
            let trail = b.trail(r.id);
            engine_runs.push((format!("W{w}"), r.contact_email.clone(), trail));
        }
    }
    let mut model_runs: Vec<(String, String, Vec<String>)> = model
        .runs
        .iter()
        .map(|r| {
            let trail = r
                .steps
                .iter()
                .map(|(n, s, e)| {
                    format!(
                        "n{n}:{s}{}",
                        e.as_ref().map(|e| format!(":{e}")).unwrap_or_default()
                    )
                })
                .collect();
            (format!("W{}", r.wf), emails[r.contact].clone(), trail)
        })
        .collect();
    engine_runs.sort();
    model_runs.sort();
    prop_assert_eq!(engine_runs, model_runs);
    // Tags agree too.
    for (c, e) in emails.iter().enumerate() {
        let got: BTreeSet<String> = b
            .store()
            .require_contact(e)
            .unwrap()
            .tags
            .into_iter()
            .collect();
        let want: BTreeSet<String> = model.tags[c].iter().map(|t| t.to_string()).collect();
        prop_assert_eq!(got, want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn executor_matches_the_reference_interpreter(
        wfs in prop::collection::vec(wf_strategy(), 1..4),
        script in script_strategy(),
    ) {
        check(wfs, script)?;
    }
}
