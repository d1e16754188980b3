//! A/B splits: each variant's results, and declaring a winner.
//!
//! # Results
//! A variant's **runs** are the live runs whose split step took it and
//! started in the range (the cohort the variant was given). Of those, as
//! they stand at `until`: how many **ended**, **completed**, and
//! **converted** (ended by reaching a goal that counts as a conversion).
//! Rates are over ended runs, as the workflow's own completion and
//! conversion rates are: a run still waiting has not had its chance yet.
//!
//! Each variant after the first is compared with the first (the control)
//! on one metric: the conversion rate when the workflow has a conversion
//! goal, else the completion rate; by the two-proportion z-test of
//! [`cairn_model::significance`] (95 % confidence, and no verdict below 30
//! ended runs a side or 5 expected successes and failures).
//!
//! Runs that took a variant because it had been declared the winner are
//! not part of the test (they were not assigned by weight): they are
//! counted apart (`after_winner`).
//!
//! # Declaring a winner
//! [`Store::declare_split_winner`] writes `winner` into the split and saves
//! the workflow as any edit is saved: a new version when the current one has
//! runs (which stay on it, taking their variants as before), so only runs
//! that start afterwards all take the winner.

use std::collections::BTreeMap;

use cairn_model::Timestamp;
use cairn_model::significance::{Comparison, Verdict, two_proportions};
use cairn_model::workflow::{NodeSpec, WorkflowDef};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::analytics::ratio;
use crate::workflows::{SaveOutcome, summary_using};
use crate::{Result, Store, StoreError, ms};

/// What a split's variants are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SplitMetric {
    /// Converted ÷ ended: the workflow has a conversion goal.
    Conversion,
    /// Completed ÷ ended: it has none.
    Completion,
}

/// One split node's results over a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SplitResults {
    pub node: String,
    pub label: Option<String>,
    pub metric: SplitMetric,
    /// The declared winner, if any.
    pub winner: Option<String>,
    /// In the current version's order (the first is the control), then
    /// variants only older versions had.
    pub variants: Vec<VariantResult>,
    /// Runs that took the declared winner after it was declared; not in
    /// the comparison.
    #[ts(type = "number")]
    pub after_winner: u64,
}

/// One variant's cohort and how it compares with the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VariantResult {
    pub variant: String,
    /// Its weight in the current version; `null` for a variant it no longer has.
    pub weight: Option<u32>,
    #[ts(type = "number")]
    pub runs: u64,
    #[ts(type = "number")]
    pub ended: u64,
    #[ts(type = "number")]
    pub completed: u64,
    #[ts(type = "number")]
    pub conversions: u64,
    /// completed ÷ ended; `null` when none ended.
    pub completion_rate: Option<f64>,
    /// conversions ÷ ended; `null` when none ended.
    pub conversion_rate: Option<f64>,
    /// Against the control, on the split's metric; `null` for the control.
    pub comparison: Option<Comparison>,
    /// The comparison in words ("B converts 4.1 pts better than A, 95 %
    /// confidence"), or "control".
    pub statement: String,
}

pub mod sql {
    /// A split node's steps of live runs started in the range, per variant
    /// and whether a declared winner chose it, with where each run stands
    /// at `?3` (bound to `(workflow_id, since, until, node)`).
    pub const COHORTS: &str = "SELECT s.exit, json_extract(s.detail, '$.winner') IS NOT NULL,
            COUNT(DISTINCT r.id),
            COUNT(DISTINCT CASE WHEN r.ended_at < ?3 THEN r.id END),
            COUNT(DISTINCT CASE WHEN r.ended_at < ?3 AND r.status = 'completed' THEN r.id END),
            COUNT(DISTINCT CASE WHEN r.ended_at < ?3 AND r.converted = 1 THEN r.id END)
     FROM steps s INDEXED BY steps_exits JOIN runs r ON r.id = s.run_id
     WHERE s.workflow_id = ?1 AND s.node_id = ?4
       AND s.kind IN ('condition', 'branch', 'split') AND s.status = 'ok'
       AND s.started_at >= ?2 AND s.started_at < ?3 AND r.mode = 'live'
     GROUP BY 1, 2";
}

#[derive(Default)]
struct Cohort {
    runs: u64,
    ended: u64,
    completed: u64,
    conversions: u64,
}

/// The results of every split node of `def` (the current version of
/// workflow `wf`) over `[since, until)`.
pub fn split_results_using(
    c: &Connection,
    def: &WorkflowDef,
    wf: i64,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<SplitResults>> {
    let metric = if def.goals.iter().any(|g| g.conversion) {
        SplitMetric::Conversion
    } else {
        SplitMetric::Completion
    };
    let mut out = vec![];
    for n in &def.nodes {
        let NodeSpec::Split(split) = &n.spec else {
            continue;
        };
        let mut cohorts: BTreeMap<String, Cohort> = BTreeMap::new();
        let mut after_winner = 0;
        let mut st = c.prepare_cached(sql::COHORTS)?;
        let mut rows = st.query(params![wf, ms(since), ms(until), n.id])?;
        while let Some(r) = rows.next()? {
            let variant: Option<String> = r.get(0)?;
            let by_winner: bool = r.get(1)?;
            let runs = r.get::<_, i64>(2)? as u64;
            if by_winner {
                after_winner += runs;
                continue;
            }
            let e = cohorts.entry(variant.unwrap_or_default()).or_default();
            e.runs += runs;
            e.ended += r.get::<_, i64>(3)? as u64;
            e.completed += r.get::<_, i64>(4)? as u64;
            e.conversions += r.get::<_, i64>(5)? as u64;
        }
        let mut order: Vec<(String, Option<u32>)> = split
            .variants
            .iter()
            .map(|v| (v.name.clone(), Some(v.weight)))
            .collect();
        for name in cohorts.keys() {
            if !order.iter().any(|(n, _)| n == name) {
                order.push((name.clone(), None));
            }
        }
        let successes = |c: &Cohort| match metric {
            SplitMetric::Conversion => c.conversions,
            SplitMetric::Completion => c.completed,
        };
        let empty = Cohort::default();
        let control_name = order.first().map(|(n, _)| n.clone()).unwrap_or_default();
        let control = cohorts.get(&control_name).unwrap_or(&empty);
        let variants = order
            .iter()
            .enumerate()
            .map(|(i, (name, weight))| {
                let k = cohorts.get(name).unwrap_or(&empty);
                let comparison = (i > 0).then(|| {
                    two_proportions(successes(control), control.ended, successes(k), k.ended)
                });
                VariantResult {
                    variant: name.clone(),
                    weight: *weight,
                    runs: k.runs,
                    ended: k.ended,
                    completed: k.completed,
                    conversions: k.conversions,
                    completion_rate: ratio(k.completed, k.ended),
                    conversion_rate: ratio(k.conversions, k.ended),
                    statement: match &comparison {
                        Some(cmp) => statement(name, &control_name, metric, cmp),
                        None => "control".into(),
                    },
                    comparison,
                }
            })
            .collect();
        out.push(SplitResults {
            node: n.id.clone(),
            label: n.label.clone(),
            metric,
            winner: split.winner.clone(),
            variants,
            after_winner,
        });
    }
    Ok(out)
}

/// "B converts 4.1 pts better than A (95 % confidence, p = 0.005)".
pub fn statement(variant: &str, control: &str, metric: SplitMetric, c: &Comparison) -> String {
    let verb = match metric {
        SplitMetric::Conversion => "converts",
        SplitMetric::Completion => "completes",
    };
    let Some(d) = c.difference_pts else {
        return "not yet significant: no ended runs to compare".into();
    };
    let way = if d >= 0.0 { "better" } else { "worse" };
    let diff = format!("{variant} {verb} {:.1} pts {way} than {control}", d.abs());
    match (c.verdict, c.p_value) {
        (Verdict::Better | Verdict::Worse, Some(p)) => {
            format!("{diff} (95 % confidence, {})", p_text(p))
        }
        (Verdict::NotSignificant, Some(p)) => {
            format!("{diff}; not yet significant ({})", p_text(p))
        }
        _ => format!(
            "{diff}; not yet significant (n too small: each side needs {} ended runs and {} of each outcome expected)",
            cairn_model::significance::MIN_RUNS,
            cairn_model::significance::MIN_EXPECTED
        ),
    }
}

/// "p = 0.004", or "p < 0.001" below what three decimals show.
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

impl Store {
    /// Declares `variant` the winner of split `node` of the workflow named
    /// `workflow`: saved as a new version when the current one has runs
    /// (those stay on it), so every run that starts afterwards takes it.
    pub fn declare_split_winner(
        &mut self,
        workflow: &str,
        node: &str,
        variant: &str,
        now: Timestamp,
    ) -> Result<SaveOutcome> {
        let w = summary_using(self.conn(), workflow)?
            .ok_or_else(|| StoreError::not_found("workflow", workflow.trim()))?;
        let (_, mut def) = self.workflow_def(&w.name)?;
        let n = def
            .nodes
            .iter_mut()
            .find(|n| n.id == node)
            .ok_or_else(|| StoreError::not_found("node", node))?;
        let NodeSpec::Split(split) = &mut n.spec else {
            return Err(cairn_model::ModelError::Invalid(format!(
                "node {node:?} is a {}, not a split",
                n.spec.kind()
            ))
            .into());
        };
        if !split.variants.iter().any(|v| v.name == variant) {
            return Err(StoreError::not_found("variant", variant));
        }
        split.winner = Some(variant.to_string());
        self.save_workflow(w.id, &def, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_say_the_difference_and_how_sure() {
        let c = two_proportions(100, 1_000, 141, 1_000);
        assert_eq!(
            statement("B", "A", SplitMetric::Conversion, &c),
            "B converts 4.1 pts better than A (95 % confidence, p = 0.005)"
        );
        let c = two_proportions(50, 500, 45, 500);
        assert_eq!(
            statement("B", "A", SplitMetric::Completion, &c),
            "B completes 1.0 pts worse than A; not yet significant (p = 0.590)"
        );
        let c = two_proportions(2, 10, 5, 10);
        assert!(
            statement("B", "A", SplitMetric::Conversion, &c)
                .ends_with("not yet significant (n too small: each side needs 30 ended runs and 5 of each outcome expected)")
        );
    }
}
