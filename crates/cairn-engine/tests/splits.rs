//! The A/B `split` node on a virtual clock over a real SQLite file: each run
//! takes one variant, the same one every time it is evaluated (after a
//! restart too), the variants share the runs by weight, and each variant
//! leads through its own exit.

mod common;

use std::collections::BTreeMap;

use cairn_engine::Engine;
use cairn_store::Store;
use cairn_store::step_detail::StepDetail;
use chrono::Duration;
use common::*;
use serde_json::{Value, json};

/// `t` → wait 1h → split `ab` (A weight 1, B weight 3) → tag `a` / tag `b`.
fn ab_test(winner: Option<&str>) -> Value {
    let mut split = json!({"variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 3}]});
    if let Some(w) = winner {
        split["winner"] = json!(w);
    }
    json!({
        "name": "AB",
        "settings": {"reentry": "always"},
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "signup"})),
            node("hour", "wait.duration", json!({"duration": "1h"})),
            node("ab", "split", split),
            node("a", "action.add_tag", json!({"tag": "got-a"})),
            node("b", "action.add_tag", json!({"tag": "got-b"})),
        ],
        "edges": [edge("t", "next", "hour"), edge("hour", "next", "ab"),
                  edge("ab", "A", "a"), edge("ab", "B", "b")],
    })
}

/// The variant each run of the split took, by run id, from the step log.
fn variants(store: &Store) -> BTreeMap<i64, String> {
    let mut st = store
        .conn()
        .prepare("SELECT run_id, exit FROM steps WHERE node_id = 'ab' ORDER BY run_id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn start_runs(b: &mut Bench, n: usize) {
    b.contact("ada@example.com");
    for _ in 0..n {
        b.emit("signup", "ada@example.com", json!({}));
    }
    b.tick();
}

#[test]
fn each_variant_leads_through_its_own_exit_and_the_step_says_which() {
    let mut b = Bench::new();
    let wf = b.workflow(ab_test(None));
    start_runs(&mut b, 20);
    b.advance(Duration::hours(1));
    let mut seen = BTreeMap::new();
    for r in b.runs(&wf) {
        let steps = b.steps(r.id);
        let split = steps.iter().find(|s| s.node_id == "ab").unwrap();
        let variant = split.exit.clone().unwrap();
        let detail: StepDetail = serde_json::from_value(split.detail.clone()).unwrap();
        assert_eq!(
            detail,
            StepDetail::Split {
                variant: variant.clone(),
                winner: None
            }
        );
        let next = if variant == "A" {
            "a:ok:next"
        } else {
            "b:ok:next"
        };
        assert_eq!(
            b.trail(r.id),
            vec![
                "t:ok:next".to_string(),
                "hour:ok:next".into(),
                format!("ab:ok:{variant}"),
                next.into()
            ]
        );
        *seen.entry(variant).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 2, "20 runs reached both variants: {seen:?}");
}

#[test]
fn the_same_run_takes_the_same_variant_after_a_restart() {
    let mut b = Bench::new();
    b.workflow(ab_test(None));
    start_runs(&mut b, 60);
    // A copy of the database just before the split is evaluated: what a
    // restart finds when the process died before that tick committed.
    let copy = b.dir.path().join("before-split.db");
    b.store()
        .conn()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    b.advance(Duration::hours(1));
    let first = variants(b.store());
    assert_eq!(first.len(), 60);

    let mut again = Engine::new(Store::open(&copy).unwrap());
    assert_eq!(variants(again.store_mut()).len(), 0, "nothing split yet");
    again.tick(b.now()).unwrap();
    assert_eq!(variants(again.store_mut()), first);
    // And evaluating again later changes nothing that was recorded.
    again.tick(b.now() + Duration::days(1)).unwrap();
    assert_eq!(variants(again.store_mut()), first);
}

#[test]
fn variants_share_the_runs_by_weight() {
    let mut b = Bench::new();
    b.workflow(ab_test(None));
    let n = 2_000;
    start_runs(&mut b, n);
    b.advance(Duration::hours(1));
    let v = variants(b.store());
    let to_b = v.values().filter(|x| *x == "B").count();
    // B's weight is 3 of 4: 1,500 expected, standard deviation
    // √(2000 × ¾ × ¼) ≈ 19.4. Six deviations either side (±116) would be
    // exceeded by a fair hash about once in 500 million.
    assert_eq!(v.len(), n);
    assert!((1_384..=1_616).contains(&to_b), "{to_b} of {n} took B");
}

#[test]
fn a_declared_winner_takes_every_run() {
    let mut b = Bench::new();
    let wf = b.workflow(ab_test(Some("A")));
    start_runs(&mut b, 40);
    b.advance(Duration::hours(1));
    let v = variants(b.store());
    assert_eq!(v.len(), 40);
    assert!(v.values().all(|x| x == "A"), "{v:?}");
    let r = b.runs(&wf)[0].id;
    let split = b.steps(r).into_iter().find(|s| s.node_id == "ab").unwrap();
    assert_eq!(split.detail, json!({"variant": "A", "winner": true}));
}

/// `t` → split `ab` (A, B; weight 1 each) → a one-day wait on each path →
/// `end`; the goal "Bought" ends a run converted.
fn offer_test() -> Value {
    json!({
        "name": "Offer",
        "goals": [{"name": "Bought", "event_type": "purchase.completed"}],
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "signup"})),
            node("ab", "split", json!({"variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}]})),
            node("wa", "wait.duration", json!({"duration": "1d"})),
            node("wb", "wait.duration", json!({"duration": "1d"})),
            node("end", "end", json!({})),
        ],
        "edges": [edge("t", "next", "ab"), edge("ab", "A", "wa"), edge("ab", "B", "wb"),
                  edge("wa", "next", "end"), edge("wb", "next", "end")],
    })
}

#[test]
fn results_per_variant_compare_conversions_with_the_control() {
    let mut b = Bench::new();
    let wf = b.workflow(offer_test());
    for i in 0..400 {
        let email = format!("c{i}@x.com");
        b.contact(&email);
        b.emit("signup", &email, json!({}));
    }
    b.tick();
    // Every 10th run of A buys, every 2nd run of B: 10 % against 50 %.
    let mut by_variant: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in b.runs(&wf) {
        let v = b.steps(r.id)[1].exit.clone().unwrap();
        by_variant
            .entry(v)
            .or_default()
            .push(r.contact_email.clone());
    }
    let (a, bb) = (&by_variant["A"], &by_variant["B"]);
    let bought_a = a.iter().step_by(10).count() as u64;
    let bought_b = bb.iter().step_by(2).count() as u64;
    for e in a.iter().step_by(10).chain(bb.iter().step_by(2)) {
        b.emit("purchase.completed", e, json!({}));
    }
    b.tick();
    b.advance(Duration::days(1));
    b.advance(Duration::minutes(1)); // `until` is exclusive: past the runs' ends

    let now = b.now();
    let stats = b.store().workflow_stats(&wf, None, now).unwrap();
    let split = &stats.splits[0];
    assert_eq!(split.node, "ab");
    assert_eq!(split.metric, cairn_store::splits::SplitMetric::Conversion);
    let (va, vb) = (&split.variants[0], &split.variants[1]);
    assert_eq!((va.variant.as_str(), vb.variant.as_str()), ("A", "B"));
    assert_eq!(va.runs, a.len() as u64);
    assert_eq!(vb.runs, bb.len() as u64);
    assert_eq!((va.ended, vb.ended), (va.runs, vb.runs), "all ended");
    assert_eq!((va.conversions, vb.conversions), (bought_a, bought_b));
    assert_eq!(va.completed, va.runs - bought_a, "the rest completed");
    assert_eq!(va.statement, "control");
    assert!(va.comparison.is_none());
    let cmp = vb.comparison.unwrap();
    assert_eq!(cmp.verdict, cairn_model::significance::Verdict::Better);
    let expected_pts =
        (bought_b as f64 / vb.ended as f64 - bought_a as f64 / va.ended as f64) * 100.0;
    assert!((cmp.difference_pts.unwrap() - expected_pts).abs() < 1e-9);
    assert!(
        vb.statement.starts_with("B converts ")
            && vb.statement.contains("better than A (95 % confidence"),
        "{}",
        vb.statement
    );

    // The canvas counts: runs per exit of the split.
    let ab = stats.nodes.iter().find(|n| n.node == "ab").unwrap();
    let exits: Vec<(String, u64)> = ab.exits.iter().map(|e| (e.exit.clone(), e.runs)).collect();
    assert_eq!(
        exits,
        vec![
            ("A".to_string(), a.len() as u64),
            ("B".to_string(), bb.len() as u64)
        ]
    );
    assert!(
        stats
            .nodes
            .iter()
            .find(|n| n.node == "wa")
            .unwrap()
            .exits
            .is_empty()
    );
}

#[test]
fn declaring_a_winner_routes_new_runs_and_leaves_runs_in_flight_on_their_version() {
    let mut b = Bench::new();
    let wf = b.workflow(offer_test());
    for i in 0..30 {
        let email = format!("early{i}@x.com");
        b.contact(&email);
        b.emit("signup", &email, json!({}));
    }
    b.tick();
    let now = b.now();
    let saved = b.store().declare_split_winner(&wf, "ab", "B", now).unwrap();
    assert!(saved.new_version, "version 1 has runs: {saved:?}");
    assert_eq!(saved.version, 2);
    assert!(saved.report.issues.is_empty(), "{:?}", saved.report);
    // Refusals name what is wrong.
    let err = b
        .store()
        .declare_split_winner(&wf, "ab", "C", now)
        .unwrap_err();
    assert_eq!(err.to_string(), "no variant named \"C\"");
    let err = b
        .store()
        .declare_split_winner(&wf, "wa", "A", now)
        .unwrap_err();
    assert!(err.to_string().contains("not a split"), "{err}");

    for i in 0..20 {
        let email = format!("late{i}@x.com");
        b.contact(&email);
        b.emit("signup", &email, json!({}));
    }
    b.tick();
    let runs = b.runs(&wf);
    let (early, late): (Vec<_>, Vec<_>) = runs
        .iter()
        .partition(|r| r.contact_email.starts_with("early"));
    assert!(early.iter().all(|r| r.version == 1));
    assert!(late.iter().all(|r| r.version == 2));
    let took = |b: &mut Bench, id: i64| b.steps(id)[1].exit.clone().unwrap();
    let early_variants: Vec<String> = early.iter().map(|r| took(&mut b, r.id)).collect();
    assert!(
        early_variants.iter().any(|v| v == "A"),
        "version 1 split by weight"
    );
    for r in &late {
        assert_eq!(took(&mut b, r.id), "B");
    }
    // Runs in flight on version 1 finish there.
    b.advance(Duration::days(1));
    assert!(
        b.runs(&wf)
            .iter()
            .all(|r| r.status == cairn_store::runs::RunStatus::Completed)
    );
    b.advance(Duration::minutes(1));

    let now = b.now();
    let stats = b.store().workflow_stats(&wf, None, now).unwrap();
    let split = &stats.splits[0];
    assert_eq!(split.winner.as_deref(), Some("B"));
    assert_eq!(split.after_winner, 20, "not part of the test");
    assert_eq!(split.variants.iter().map(|v| v.runs).sum::<u64>(), 30);
}
