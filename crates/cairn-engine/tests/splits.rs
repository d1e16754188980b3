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
