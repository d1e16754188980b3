//! Per-workflow analytics, computed from the run log (runs and steps).
//!
//! Nothing here is stored or cached: every number is a query over `runs`
//! and `steps` for one workflow and a time range `[since, until)`, so it is
//! always consistent with the log the engine writes, and a constructed log
//! has hand-computable answers. Migration 0003 adds the covering indexes
//! these queries need so they stay fast at a million steps (see
//! `benches/analytics.rs` and docs/BENCHMARKS.md).
//!
//! # Definitions
//! Only live runs count; dry runs and test runs from the editor do not.
//! Runs are counted where they *happened*: started-at for what is about
//! starting (throughput), ended-at for what is about ending (completion,
//! drop-off, time to completion, conversions, cost saved), and a step's
//! started-at for steps (error rate, counts on the canvas nodes).
//!
//! - **completion rate** = completed ÷ ended (completed + exited + failed).
//!   A goal is an early exit too; conversions are counted on their own.
//! - **drop-off step**: the node at which most runs ended early, an early end
//!   being an exit without a conversion (removed, skipped as late) or a
//!   failure. Runs still waiting are not drop-offs, but each node also says
//!   how many runs started in the range still wait there.
//! - **error rate** = failed action steps ÷ finished action steps (ok or
//!   failed; a skipped email to an unsubscribed contact is neither).
//! - **time to completion**: median and 90th percentile of ended − started
//!   over completed runs, by the nearest-rank method (the value at rank
//!   ⌈p·n⌉ of the sorted durations).
//! - **throughput** = runs started ÷ days in the range; per week is × 7.
//! - **conversions**: runs that ended by reaching a goal that counts as a
//!   conversion, per goal.
//! - **cost saved** = completed runs × manual minutes per run ÷ 60 × hourly
//!   rate, from the workflow's current settings.
//! - **workflows active**: workflows whose status is active, database-wide.
//! - **time series**: one point per local day (in the workflow's time zone)
//!   of runs started, completed, failed and converted that day.

use std::collections::{BTreeMap, HashMap};

use cairn_model::Timestamp;
use cairn_model::time::{TimeOfDay, TimezoneRef, local_instant, local_parts};
use cairn_model::workflow::WorkflowDef;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::splits::{SplitResults, split_results_using};
use crate::workflows::{WorkflowSummary, definition_using, summary_using};
use crate::{Result, Store, StoreError, ms, ts};

/// The analytics of one workflow over `[since, until)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkflowStats {
    #[ts(type = "number")]
    pub workflow_id: i64,
    pub workflow: String,
    /// The zone of the daily series (the workflow's time zone).
    pub timezone: String,
    pub since: Timestamp,
    pub until: Timestamp,
    pub runs: RunCounts,
    /// completed ÷ ended; `null` when no run ended in the range.
    pub completion_rate: Option<f64>,
    /// The node where runs most often ended early; `null` when none did.
    pub drop_off: Option<DropOff>,
    /// Every node where runs ended early, worst first.
    pub drop_offs: Vec<DropOff>,
    #[ts(type = "number")]
    pub action_steps: u64,
    #[ts(type = "number")]
    pub failed_action_steps: u64,
    /// failed ÷ finished action steps; `null` when no action ran.
    pub error_rate: Option<f64>,
    /// Over completed runs; `null` when none completed.
    pub time_to_completion: Option<CompletionTimes>,
    pub throughput: Throughput,
    #[ts(type = "number")]
    pub conversions: u64,
    /// conversions ÷ ended; `null` when no run ended.
    pub conversion_rate: Option<f64>,
    pub goals: Vec<GoalCount>,
    pub cost_saved: CostSaved,
    /// Active workflows in the whole database.
    #[ts(type = "number")]
    pub workflows_active: u64,
    /// Counts for the canvas, in the order of the workflow's nodes.
    pub nodes: Vec<NodeCounts>,
    /// One point per local day.
    pub series: Vec<DayPoint>,
    /// Per A/B split node of the current version, its variants' results.
    pub splits: Vec<SplitResults>,
}

/// Runs of the workflow in the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RunCounts {
    /// Started in the range.
    #[ts(type = "number")]
    pub started: u64,
    /// Started in the range and still running or waiting.
    #[ts(type = "number")]
    pub open: u64,
    /// Ended in the range, by how they ended.
    #[ts(type = "number")]
    pub ended: u64,
    #[ts(type = "number")]
    pub completed: u64,
    #[ts(type = "number")]
    pub exited: u64,
    #[ts(type = "number")]
    pub failed: u64,
}

/// Where runs ended early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DropOff {
    pub node: String,
    pub label: Option<String>,
    /// Left without a conversion while at this node.
    #[ts(type = "number")]
    pub exited: u64,
    /// Failed at this node.
    #[ts(type = "number")]
    pub failed: u64,
    /// exited + failed.
    #[ts(type = "number")]
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct CompletionTimes {
    #[ts(type = "number")]
    pub median_secs: i64,
    #[ts(type = "number")]
    pub p90_secs: i64,
    /// How many completed runs the times are taken over.
    #[ts(type = "number")]
    pub runs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Throughput {
    /// Length of the range in days (fractional).
    pub days: f64,
    pub per_day: f64,
    pub per_week: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GoalCount {
    pub goal: String,
    #[ts(type = "number")]
    pub runs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct CostSaved {
    #[ts(type = "number")]
    pub completed_runs: u64,
    pub manual_minutes_per_run: f64,
    pub hourly_rate: f64,
    pub hours: f64,
    /// hours × hourly rate, in the user's currency.
    pub amount: f64,
}

/// What happened at one node, for the canvas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NodeCounts {
    pub node: String,
    pub kind: String,
    pub label: Option<String>,
    /// False for a node only older versions had.
    pub in_current_version: bool,
    /// Steps that finished ok (runs that went through).
    #[ts(type = "number")]
    pub passed: u64,
    /// Steps waiting (a wait, a send window) or queued to send, still now.
    #[ts(type = "number")]
    pub waiting: u64,
    #[ts(type = "number")]
    pub failed: u64,
    /// Skipped: an email to an unsubscribed contact, a late wait, a step
    /// cut short when its run left the workflow.
    #[ts(type = "number")]
    pub skipped: u64,
    /// For a condition, branch or split: how many runs left by each exit,
    /// in the node's exit order (exits only older versions had come last).
    /// Empty for other nodes.
    pub exits: Vec<ExitCount>,
}

/// How many runs left a decision node by one exit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExitCount {
    pub exit: String,
    #[ts(type = "number")]
    pub runs: u64,
}

/// One local day of the time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DayPoint {
    pub date: NaiveDate,
    #[ts(type = "number")]
    pub started: u64,
    #[ts(type = "number")]
    pub completed: u64,
    #[ts(type = "number")]
    pub failed: u64,
    #[ts(type = "number")]
    pub conversions: u64,
}

/// The queries, each bound to `(workflow_id, since_ms, until_ms)` unless
/// it says otherwise. Public so the benchmark can time each one and the
/// tests can check its query plan.
pub mod sql {
    /// The first live run: where the range starts by default.
    pub const FIRST_RUN: &str =
        "SELECT MIN(started_at) FROM runs WHERE workflow_id = ?1 AND mode = 'live'";
    /// Live runs started in the range, in order (throughput, open runs, series).
    pub const STARTED: &str = "SELECT started_at, status FROM runs
     WHERE workflow_id = ?1 AND started_at >= ?2 AND started_at < ?3 AND mode = 'live'
     ORDER BY started_at";
    /// Live runs ended in the range, in order (completion, times, conversions, series).
    pub const ENDED: &str = "SELECT ended_at, status, converted, started_at FROM runs
     WHERE workflow_id = ?1 AND ended_at >= ?2 AND ended_at < ?3 AND mode = 'live'
     ORDER BY ended_at";
    /// Conversions per goal among runs ended in the range.
    pub const GOALS: &str = "SELECT COALESCE(goal, ''), COUNT(*) FROM runs
     WHERE workflow_id = ?1 AND ended_at >= ?2 AND ended_at < ?3 AND mode = 'live' AND converted = 1
     GROUP BY 1 ORDER BY 2 DESC, 1";
    /// Active workflows in the database.
    pub const ACTIVE: &str = "SELECT COUNT(*) FROM workflows WHERE status = 'active'";
    /// Where runs that ended early in the range were.
    pub const DROP_OFFS: &str = "SELECT COALESCE(current_node, ''), status, COUNT(*) FROM runs
     WHERE workflow_id = ?1 AND ended_at >= ?2 AND ended_at < ?3 AND mode = 'live'
     AND (status = 'failed' OR (status = 'exited' AND converted = 0))
     GROUP BY 1, 2";
    /// The `(node, status)` group of the workflow's steps after `(?2, ?3)`
    /// in index order (bound to `(workflow_id, node, status)`). The third
    /// column makes SQLite seek past the whole group at once; with
    /// `(node_id, status) > (?2, ?3)` alone it steps through every entry of
    /// the group first (measured: 30 ms for a group of 100,000).
    pub const NEXT_STEP_GROUP: &str = "SELECT node_id, status FROM steps
     WHERE workflow_id = ?1 AND (node_id, status, started_at) > (?2, ?3, 9223372036854775807)
     ORDER BY node_id, status, started_at LIMIT 1";
    /// Steps of one group started in the range (`?4` node, `?5` status).
    pub const STEPS_IN_GROUP: &str = "SELECT COUNT(*) FROM steps
     WHERE workflow_id = ?1 AND node_id = ?4 AND status = ?5
       AND started_at >= ?2 AND started_at < ?3";
    /// Decision steps (condition, branch, split) of the workflow started
    /// in the range, per node and exit, through the partial index
    /// `steps_exits` (its `WHERE` is repeated here so SQLite may use it).
    pub const EXITS: &str = "SELECT node_id, exit, COUNT(*) FROM steps INDEXED BY steps_exits
     WHERE workflow_id = ?1 AND kind IN ('condition', 'branch', 'split') AND status = 'ok'
       AND started_at >= ?2 AND started_at < ?3
     GROUP BY 1, 2";
    /// The same for the steps of dry and test runs, subtracted as in
    /// [`TEST_RUN_STEPS`].
    pub const TEST_RUN_EXITS: &str = "SELECT s.node_id, s.exit, COUNT(*)
     FROM runs r INDEXED BY runs_test_stats CROSS JOIN steps s ON s.run_id = r.id
     WHERE r.workflow_id = ?1 AND r.mode <> 'live'
       AND s.kind IN ('condition', 'branch', 'split') AND s.status = 'ok'
       AND s.started_at >= ?2 AND s.started_at < ?3
     GROUP BY 1, 2";
    /// The kind of a node's steps (for nodes of older versions).
    pub const KIND_OF_NODE: &str =
        "SELECT kind FROM steps WHERE workflow_id = ?1 AND node_id = ?2 LIMIT 1";
    /// Steps of dry and test runs started in the range, per node and
    /// status; subtracted from the counts. `INDEXED BY` and `CROSS JOIN`
    /// pin the plan: from those few runs (a small partial index) to their
    /// steps, never from every step in the range to its run.
    pub const TEST_RUN_STEPS: &str = "SELECT s.node_id, s.status, COUNT(*)
     FROM runs r INDEXED BY runs_test_stats CROSS JOIN steps s ON s.run_id = r.id
     WHERE r.workflow_id = ?1 AND r.mode <> 'live'
       AND s.started_at >= ?2 AND s.started_at < ?3
     GROUP BY 1, 2";
}

/// Computes a workflow's analytics over `[since, until)`. Without `since`,
/// the range starts at local midnight (in the workflow's zone) of the day of
/// its first live run, or of its creation if that is earlier.
pub fn workflow_stats_using(
    c: &Connection,
    workflow: &WorkflowSummary,
    since: Option<Timestamp>,
    until: Timestamp,
) -> Result<WorkflowStats> {
    let def = definition_using(c, workflow.id, workflow.version)?;
    let wf = workflow.id;
    let since = match since {
        Some(s) => s,
        None => {
            let first: Option<i64> = c
                .prepare_cached(sql::FIRST_RUN)?
                .query_row([wf], |r| r.get(0))?;
            let first = first
                .map(ts)
                .map_or(workflow.created_at, |f| f.min(workflow.created_at));
            let tz = TimezoneRef::Workflow.resolve(None, &def.settings.timezone);
            local_instant(tz, local_parts(first, tz).2, TimeOfDay::MIDNIGHT)
        }
    };
    if since >= until {
        return Err(StoreError::Invalid(cairn_model::ModelError::Invalid(
            format!(
                "the range is empty: since ({}) is not before until ({})",
                since.to_rfc3339(),
                until.to_rfc3339()
            ),
        )));
    }
    let (s, u) = (ms(since), ms(until));
    let tz = TimezoneRef::Workflow.resolve(None, &def.settings.timezone);
    let (_, _, first_day) = local_parts(since, tz);
    let mut series = Days::new(
        first_day,
        |d| local_instant(tz, d, TimeOfDay::MIDNIGHT),
        since,
        until,
    );

    // Runs started in the range: throughput, open runs, the daily series.
    let mut runs = RunCounts::default();
    {
        let mut st = c.prepare_cached(sql::STARTED)?;
        let mut rows = st.query(params![wf, s, u])?;
        while let Some(r) = rows.next()? {
            let at: i64 = r.get(0)?;
            runs.started += 1;
            if matches!(r.get_ref(1)?.as_str(), Ok("running" | "waiting")) {
                runs.open += 1;
            }
            series.point(at).started += 1;
        }
    }

    // Runs ended in the range: completion, times, conversions, the series.
    let mut durations: Vec<i64> = vec![];
    let mut conversions = 0;
    {
        let mut st = c.prepare_cached(sql::ENDED)?;
        let mut rows = st.query(params![wf, s, u])?;
        while let Some(r) = rows.next()? {
            let at: i64 = r.get(0)?;
            let converted: bool = r.get(2)?;
            let day = series.point(at);
            match r.get_ref(1)?.as_str().unwrap_or_default() {
                "completed" => {
                    runs.completed += 1;
                    day.completed += 1;
                    durations.push(at - r.get::<_, i64>(3)?);
                }
                "failed" => {
                    runs.failed += 1;
                    day.failed += 1;
                }
                _ => runs.exited += 1,
            }
            if converted {
                conversions += 1;
                day.conversions += 1;
            }
        }
    }
    runs.ended = runs.completed + runs.exited + runs.failed;

    let goals = {
        let mut st = c.prepare_cached(sql::GOALS)?;
        st.query_map(params![wf, s, u], |r| {
            Ok(GoalCount {
                goal: r.get(0)?,
                runs: r.get::<_, i64>(1)? as u64,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
    };

    let drop_offs = drop_offs(c, &def, wf, s, u)?;
    let nodes = node_counts_using(c, &def, wf, since, until)?;
    let splits = split_results_using(c, &def, wf, since, until)?;
    let (action_steps, failed_action_steps) = nodes
        .iter()
        .filter(|n| n.kind.starts_with("action."))
        .fold((0, 0), |(all, failed), n| {
            (all + n.passed + n.failed, failed + n.failed)
        });

    durations.sort_unstable();
    let time_to_completion = (!durations.is_empty()).then(|| CompletionTimes {
        median_secs: nearest_rank(&durations, 0.5) / 1000,
        p90_secs: nearest_rank(&durations, 0.9) / 1000,
        runs: durations.len() as u64,
    });

    let days = (u - s) as f64 / 86_400_000.0;
    let settings = &def.settings;
    let completed = runs.completed as f64;
    let workflows_active: i64 = c.prepare_cached(sql::ACTIVE)?.query_row([], |r| r.get(0))?;

    Ok(WorkflowStats {
        workflow_id: wf,
        workflow: workflow.name.clone(),
        timezone: def.settings.timezone.clone(),
        since,
        until,
        completion_rate: ratio(runs.completed, runs.ended),
        conversion_rate: ratio(conversions, runs.ended),
        drop_off: drop_offs.first().cloned(),
        drop_offs,
        action_steps,
        failed_action_steps,
        error_rate: ratio(failed_action_steps, action_steps),
        time_to_completion,
        throughput: Throughput {
            days,
            per_day: runs.started as f64 / days,
            per_week: runs.started as f64 * 7.0 / days,
        },
        conversions,
        goals,
        cost_saved: CostSaved {
            completed_runs: runs.completed,
            manual_minutes_per_run: settings.manual_minutes_per_run,
            hourly_rate: settings.hourly_rate,
            hours: completed * settings.manual_minutes_per_run / 60.0,
            amount: completed * settings.manual_minutes_per_run * settings.hourly_rate / 60.0,
        },
        runs,
        workflows_active: workflows_active as u64,
        nodes,
        series: series.points,
        splits,
    })
}

pub(crate) fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The value at rank ⌈p·n⌉ (1-based) of sorted values; `values` is not empty.
fn nearest_rank(sorted: &[i64], p: f64) -> i64 {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn label_of(def: &WorkflowDef, node: &str) -> Option<String> {
    def.node(node).and_then(|n| n.label.clone())
}

/// Position of a node in the definition, for stable ordering; nodes of
/// older versions come after.
fn order_of(def: &WorkflowDef, node: &str) -> usize {
    def.nodes
        .iter()
        .position(|n| n.id == node)
        .unwrap_or(usize::MAX)
}

fn drop_offs(c: &Connection, def: &WorkflowDef, wf: i64, s: i64, u: i64) -> Result<Vec<DropOff>> {
    let mut st = c.prepare_cached(sql::DROP_OFFS)?;
    let mut by_node: BTreeMap<String, DropOff> = BTreeMap::new();
    let mut rows = st.query(params![wf, s, u])?;
    while let Some(r) = rows.next()? {
        let node: String = r.get(0)?;
        let n = r.get::<_, i64>(2)? as u64;
        let d = by_node.entry(node.clone()).or_insert_with(|| DropOff {
            label: label_of(def, &node),
            node,
            exited: 0,
            failed: 0,
            total: 0,
        });
        if r.get_ref(1)?.as_str() == Ok("failed") {
            d.failed += n;
        } else {
            d.exited += n;
        }
        d.total += n;
    }
    let mut out: Vec<DropOff> = by_node.into_values().collect();
    out.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| order_of(def, &a.node).cmp(&order_of(def, &b.node)))
            .then_with(|| a.node.cmp(&b.node))
    });
    Ok(out)
}

/// Per node and status, the steps of live runs that started in `[s, u)`:
/// the counts on the canvas.
///
/// A plain `GROUP BY node_id, status` over a year of a busy workflow sorts
/// a million index entries (seconds). Instead the `(node, status)` groups
/// are found by seeking from one to the next in `steps_stats`, and each
/// group's range is counted there: the work is a few dozen seeks plus the
/// entries actually in the range. Steps carry no run mode, so the steps of
/// the (few) dry and test runs are counted from their runs and subtracted.
pub fn node_counts_using(
    c: &Connection,
    def: &WorkflowDef,
    wf: i64,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<NodeCounts>> {
    let (s, u) = (ms(since), ms(until));
    let mut counts: HashMap<(String, String), i64> = HashMap::new();
    {
        let mut next = c.prepare_cached(sql::NEXT_STEP_GROUP)?;
        let mut count = c.prepare_cached(sql::STEPS_IN_GROUP)?;
        let (mut node, mut status) = (String::new(), String::new());
        while let Some((n, st)) = next
            .query_row(params![wf, node, status], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?
        {
            let k: i64 = count.query_row(params![wf, s, u, n, st], |r| r.get(0))?;
            if k > 0 {
                counts.insert((n.clone(), st.clone()), k);
            }
            (node, status) = (n, st);
        }
    }
    {
        let mut st = c.prepare_cached(sql::TEST_RUN_STEPS)?;
        let mut rows = st.query(params![wf, s, u])?;
        while let Some(r) = rows.next()? {
            *counts.entry((r.get(0)?, r.get(1)?)).or_default() -= r.get::<_, i64>(2)?;
        }
    }
    let mut by_node: BTreeMap<String, NodeCounts> = BTreeMap::new();
    for n in &def.nodes {
        by_node.insert(
            n.id.clone(),
            NodeCounts {
                node: n.id.clone(),
                kind: n.spec.kind().to_string(),
                label: n.label.clone(),
                in_current_version: true,
                passed: 0,
                waiting: 0,
                failed: 0,
                skipped: 0,
                exits: vec![],
            },
        );
    }
    for ((node, status), n) in counts {
        if n <= 0 {
            continue;
        }
        if !by_node.contains_key(&node) {
            // A node only older versions had: its kind from its steps.
            let kind: String = c
                .prepare_cached(sql::KIND_OF_NODE)?
                .query_row(params![wf, node], |r| r.get(0))?;
            by_node.insert(
                node.clone(),
                NodeCounts {
                    node: node.clone(),
                    kind,
                    label: None,
                    in_current_version: false,
                    passed: 0,
                    waiting: 0,
                    failed: 0,
                    skipped: 0,
                    exits: vec![],
                },
            );
        }
        let e = by_node.get_mut(&node).expect("inserted above");
        let n = n as u64;
        match status.as_str() {
            "ok" => e.passed += n,
            "failed" => e.failed += n,
            "skipped" => e.skipped += n,
            _ => e.waiting += n, // waiting, pending
        }
    }
    for ((node, exit), runs) in exit_counts(c, wf, s, u)? {
        if let Some(e) = by_node.get_mut(&node) {
            e.exits.push(ExitCount { exit, runs });
        }
    }
    for e in by_node.values_mut() {
        let order = def
            .node(&e.node)
            .map(|n| n.spec.exits())
            .unwrap_or_default();
        let place = |x: &str| order.iter().position(|o| o == x).unwrap_or(usize::MAX);
        e.exits.sort_by(|a, b| {
            place(&a.exit)
                .cmp(&place(&b.exit))
                .then_with(|| a.exit.cmp(&b.exit))
        });
    }
    let mut out: Vec<NodeCounts> = by_node.into_values().collect();
    out.sort_by(|a, b| {
        order_of(def, &a.node)
            .cmp(&order_of(def, &b.node))
            .then_with(|| a.node.cmp(&b.node))
    });
    Ok(out)
}

/// Live runs per (decision node, exit) whose decision step started in
/// `[s, u)`: every decision step's count less those of dry and test runs.
fn exit_counts(c: &Connection, wf: i64, s: i64, u: i64) -> Result<Vec<((String, String), u64)>> {
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (q, sign) in [(sql::EXITS, 1), (sql::TEST_RUN_EXITS, -1)] {
        let mut st = c.prepare_cached(q)?;
        let mut rows = st.query(params![wf, s, u])?;
        while let Some(r) = rows.next()? {
            let exit: Option<String> = r.get(1)?;
            let key = (r.get(0)?, exit.unwrap_or_default());
            *counts.entry(key).or_default() += sign * r.get::<_, i64>(2)?;
        }
    }
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k, n as u64))
        .collect())
}

/// The local days of a range, and finding the day of an instant. Instants
/// arrive in ascending order (the queries sort them), so finding the day is
/// a walk forward, not a time-zone conversion per run.
struct Days {
    /// Where each day starts (the first clipped to `since`).
    starts: Vec<i64>,
    points: Vec<DayPoint>,
    cursor: usize,
}

impl Days {
    /// `first` is the local date of `since`; `midnight` gives the instant
    /// a local date starts.
    fn new(
        first: NaiveDate,
        midnight: impl Fn(NaiveDate) -> Timestamp,
        since: Timestamp,
        until: Timestamp,
    ) -> Days {
        let mut starts = vec![ms(since)];
        let mut points = vec![DayPoint::new(first)];
        let mut day = first;
        while let Some(next) = day.succ_opt() {
            day = next;
            let start = midnight(day);
            if start >= until {
                break;
            }
            starts.push(ms(start));
            points.push(DayPoint::new(day));
        }
        Days {
            starts,
            points,
            cursor: 0,
        }
    }

    /// The point of the day containing `at` (ms); `at` must be in the range.
    fn point(&mut self, at: i64) -> &mut DayPoint {
        // A new ascending pass (ended after started) restarts from the front.
        if self.starts[self.cursor] > at {
            self.cursor = 0;
        }
        while self.cursor + 1 < self.starts.len() && self.starts[self.cursor + 1] <= at {
            self.cursor += 1;
        }
        &mut self.points[self.cursor]
    }
}

impl DayPoint {
    fn new(date: NaiveDate) -> Self {
        DayPoint {
            date,
            started: 0,
            completed: 0,
            failed: 0,
            conversions: 0,
        }
    }
}

impl Store {
    /// The analytics of the workflow named `name` over `[since, until)`;
    /// `until` is the caller's "now" (from its clock) or an earlier instant.
    pub fn workflow_stats(
        &self,
        name: &str,
        since: Option<Timestamp>,
        until: Timestamp,
    ) -> Result<WorkflowStats> {
        let w = summary_using(self.conn(), name)?
            .ok_or_else(|| StoreError::not_found("workflow", name.trim()))?;
        workflow_stats_using(self.conn(), &w, since, until)
    }

    /// The canvas badges: per node, the steps of every live run of the
    /// workflow named `name` up to `until`, without the rest of the
    /// analytics (which the editor asks for again on every run change).
    pub fn node_counts(&self, name: &str, until: Timestamp) -> Result<Vec<NodeCounts>> {
        let w = summary_using(self.conn(), name)?
            .ok_or_else(|| StoreError::not_found("workflow", name.trim()))?;
        let def = definition_using(self.conn(), w.id, w.version)?;
        node_counts_using(self.conn(), &def, w.id, ts(0), until)
    }
}

#[cfg(test)]
mod tests {
    //! A run log built by hand, through the same `runs` functions the
    //! engine writes with, at chosen instants; every expected number below is
    //! worked out from the log in the comments.

    use super::*;
    use crate::contacts::ContactInput;
    use crate::runs::{
        NewRun, NewStep, RunStatus, StepStatus, StepUpdate, end_run_using, insert_run_using,
        insert_step_using, set_run_position_using, update_step_using,
    };
    use crate::workflows::WorkflowStatus;
    use cairn_model::effect::RunMode;
    use chrono::{TimeZone, Utc};

    /// Monday 2026-01-05 00:00 UTC; the range is [T0, T0 + 72h).
    fn h(hours: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap() + chrono::Duration::hours(hours)
    }

    const FOLLOW_UP: &str = r#"{"format": "cairn.workflow", "version": 1, "name": "Follow-up",
      "settings": {"timezone": "UTC", "manual_minutes_per_run": 12.0, "hourly_rate": 60.0},
      "goals": [{"name": "Bought", "event_type": "purchase.completed"}],
      "nodes": [
        {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.event", "config": {"event_type": "go"}},
        {"id": "hook", "label": "Tell the CRM", "position": {"x": 280, "y": 0}, "kind": "action.webhook", "config": {"url": "https://example.com/hook"}},
        {"id": "w", "label": "Wait a day", "position": {"x": 560, "y": 0}, "kind": "wait.duration", "config": {"duration": "1d"}},
        {"id": "tag", "position": {"x": 840, "y": 0}, "kind": "action.add_tag", "config": {"tag": "done"}},
        {"id": "end", "position": {"x": 1120, "y": 0}, "kind": "end", "config": {}}],
      "edges": [{"from": "t", "to": "hook"}, {"from": "hook", "to": "w"}, {"from": "w", "to": "tag"}, {"from": "tag", "to": "end"}]}"#;

    fn kind_of(node: &str) -> &'static str {
        match node {
            "t" => "trigger.event",
            "hook" => "action.webhook",
            "w" => "wait.duration",
            "tag" => "action.add_tag",
            "end" => "end",
            _ => "action.remove_tag", // "legacy": a node only an older version had
        }
    }

    /// One step: node, status, started, finished (for a wait that fired
    /// or was cut short later than it started).
    type StepAt = (&'static str, StepStatus, Timestamp, Option<Timestamp>);

    struct Log {
        store: Store,
        _dir: tempfile::TempDir,
        wf: i64,
        contact: i64,
    }

    impl Log {
        fn new(def: &str, active: bool) -> Log {
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
            let created = h(-48);
            let w = store.import_workflow(def, false, created).unwrap();
            assert!(w.report.issues.is_empty(), "{:?}", w.report);
            if active {
                store
                    .set_workflow_status(&w.name, WorkflowStatus::Active, created)
                    .unwrap();
            }
            let contact = store
                .upsert_contact(
                    &ContactInput {
                        email: "ada@example.com".into(),
                        ..Default::default()
                    },
                    created,
                )
                .unwrap()
                .id;
            Log {
                store,
                _dir: dir,
                wf: w.id,
                contact,
            }
        }

        /// Writes a run with its steps and, when it ended, how.
        fn run(
            &mut self,
            wf: i64,
            mode: RunMode,
            start: Timestamp,
            steps: &[StepAt],
            at_node: &str,
            ended: Option<(RunStatus, Timestamp, Option<&str>, bool)>,
        ) {
            let contact = self.contact;
            self.store
                .write(|tx| {
                    let run = insert_run_using(
                        tx,
                        &NewRun {
                            workflow_id: wf,
                            version: 1,
                            contact_id: contact,
                            trigger_node: "t",
                            trigger_event_id: None,
                            trigger_payload: &serde_json::json!({}),
                            mode,
                        },
                        start,
                    )?;
                    for (node, status, started, finished) in steps {
                        let first = if finished.is_some() {
                            StepStatus::Waiting
                        } else {
                            *status
                        };
                        let id = insert_step_using(
                            tx,
                            &NewStep {
                                run_id: run,
                                workflow_id: wf,
                                node_id: node,
                                kind: kind_of(node),
                                status: first,
                                exit: None,
                                detail: None,
                            },
                            *started,
                        )?;
                        if let Some(f) = finished {
                            update_step_using(
                                tx,
                                id,
                                &StepUpdate {
                                    status: *status,
                                    exit: None,
                                    detail: None,
                                    attempts: None,
                                },
                                *f,
                            )?;
                        }
                    }
                    set_run_position_using(tx, run, RunStatus::Waiting, Some(at_node), start)?;
                    if let Some((status, at, goal, converted)) = ended {
                        end_run_using(tx, run, status, None, goal, converted, at)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .unwrap();
        }

        /// A run through every node: trigger and webhook at `start`, the
        /// wait from `start` to `done`, tag and end at `done`.
        fn completed(&mut self, mode: RunMode, start: Timestamp, done: Timestamp) {
            use StepStatus::Ok;
            self.run(
                self.wf,
                mode,
                start,
                &[
                    ("t", Ok, start, None),
                    ("hook", Ok, start, None),
                    ("w", Ok, start, Some(done)),
                    ("tag", Ok, done, None),
                    ("end", Ok, done, None),
                ],
                "end",
                Some((RunStatus::Completed, done, None, false)),
            );
        }

        /// A run that left while waiting at `w` (a goal, or removed).
        fn exited_at_wait(&mut self, start: Timestamp, left: Timestamp, goal: Option<&str>) {
            use StepStatus::*;
            self.run(
                self.wf,
                RunMode::Live,
                start,
                &[
                    ("t", Ok, start, None),
                    ("hook", Ok, start, None),
                    ("w", Skipped, start, Some(left)),
                ],
                "w",
                Some((RunStatus::Exited, left, goal, goal.is_some())),
            );
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn hand_computed_log() {
        use StepStatus::*;
        let mut log = Log::new(FOLLOW_UP, true);
        let wf = log.wf;
        // R1, R2, R3: complete after 24 h, 26 h and 48 h (the last one's wait
        // fired late). R1 also went through a node only an older version had.
        log.run(
            wf,
            RunMode::Live,
            h(1),
            &[
                ("t", Ok, h(1), None),
                ("hook", Ok, h(1), None),
                ("w", Ok, h(1), Some(h(25))),
                ("tag", Ok, h(25), None),
                ("legacy", Ok, h(25), None),
                ("end", Ok, h(25), None),
            ],
            "end",
            Some((RunStatus::Completed, h(25), None, false)),
        );
        log.completed(RunMode::Live, h(2), h(28));
        log.completed(RunMode::Live, h(3), h(51));
        // R4: reaches the goal "Bought" while waiting, at 33 h.
        log.exited_at_wait(h(29), h(33), Some("Bought"));
        // R5: the webhook fails at 30 h and fails the run.
        log.run(
            wf,
            RunMode::Live,
            h(30),
            &[("t", Ok, h(30), None), ("hook", Failed, h(30), None)],
            "hook",
            Some((RunStatus::Failed, h(30), None, false)),
        );
        // R6, R11: removed while waiting, at 53 h and 58 h.
        log.exited_at_wait(h(49), h(53), None);
        log.exited_at_wait(h(51), h(58), None);
        // R7: still waiting at `w`.
        log.run(
            wf,
            RunMode::Live,
            h(50),
            &[
                ("t", Ok, h(50), None),
                ("hook", Ok, h(50), None),
                ("w", Waiting, h(50), None),
            ],
            "w",
            None,
        );
        // R8: a test run from the editor: counts nowhere.
        log.completed(RunMode::Test, h(2), h(3));
        // R9: started before the range, completed inside it after 26 h; its
        // trigger, webhook and wait steps started before the range.
        log.completed(RunMode::Live, h(-24), h(2));
        // R10: after the range.
        log.completed(RunMode::Live, h(80), h(104));
        // Another workflow's run in the range must not leak in.
        let other = log
            .store
            .import_workflow(&FOLLOW_UP.replace("Follow-up", "Other"), false, h(-48))
            .unwrap()
            .id;
        log.run(
            other,
            RunMode::Live,
            h(5),
            &[("t", Ok, h(5), None), ("hook", Failed, h(5), None)],
            "hook",
            Some((RunStatus::Failed, h(5), None, false)),
        );

        let s = log
            .store
            .workflow_stats("Follow-up", Some(h(0)), h(72))
            .unwrap();
        // The canvas badges count every live run up to now, whatever the
        // range: the node counts of a range that starts before the log.
        let all = log
            .store
            .workflow_stats("Follow-up", Some(ts(0)), h(72))
            .unwrap();
        assert_eq!(
            log.store.node_counts("Follow-up", h(72)).unwrap(),
            all.nodes
        );
        let passed = |n: &[NodeCounts]| n.iter().map(|c| c.passed).sum::<u64>();
        assert!(
            passed(&all.nodes) > passed(&s.nodes),
            "runs before h(0) count too"
        );
        // Started in range: R1, R2, R3, R4, R5, R6, R7, R11 = 8; open: R7.
        assert_eq!(s.runs.started, 8);
        assert_eq!(s.runs.open, 1);
        // Ended in range: completed R1, R2, R3, R9; exited R4, R6, R11;
        // failed R5.
        assert_eq!(
            (s.runs.ended, s.runs.completed, s.runs.exited, s.runs.failed),
            (8, 4, 3, 1)
        );
        assert!(close(s.completion_rate, 0.5));
        assert_eq!(s.conversions, 1);
        assert!(close(s.conversion_rate, 1.0 / 8.0));
        assert_eq!(
            s.goals,
            vec![GoalCount {
                goal: "Bought".into(),
                runs: 1
            }]
        );
        // Early ends: R6 and R11 at `w` (R4's goal is a conversion, not a
        // drop-off), R5 at `hook`.
        let d = s.drop_off.as_ref().unwrap();
        assert_eq!(
            (
                d.node.as_str(),
                d.label.as_deref(),
                d.exited,
                d.failed,
                d.total
            ),
            ("w", Some("Wait a day"), 2, 0, 2)
        );
        assert_eq!(s.drop_offs.len(), 2);
        assert_eq!(
            (s.drop_offs[1].node.as_str(), s.drop_offs[1].failed),
            ("hook", 1)
        );
        // Completed durations 24 h, 26 h, 48 h, 26 h → sorted 24, 26, 26, 48:
        // median = rank ⌈0.5·4⌉ = 2 → 26 h; p90 = rank ⌈0.9·4⌉ = 4 → 48 h.
        let t = s.time_to_completion.unwrap();
        assert_eq!(
            (t.median_secs, t.p90_secs, t.runs),
            (26 * 3600, 48 * 3600, 4)
        );
        // 8 started over 3 days.
        assert!((s.throughput.days - 3.0).abs() < 1e-9);
        assert!((s.throughput.per_day - 8.0 / 3.0).abs() < 1e-9);
        assert!((s.throughput.per_week - 56.0 / 3.0).abs() < 1e-9);
        // 4 completed × 12 min ÷ 60 = 0.8 h × 60 an hour = 48.
        assert!((s.cost_saved.hours - 0.8).abs() < 1e-9);
        assert!((s.cost_saved.amount - 48.0).abs() < 1e-9);
        assert_eq!(s.workflows_active, 1, "Other is paused");

        // Steps that started in the range, live runs only:
        let n = |id: &str| s.nodes.iter().find(|n| n.node == id).unwrap().clone();
        let counts = |id: &str| {
            let c = n(id);
            (c.passed, c.waiting, c.failed, c.skipped)
        };
        // t: R1, R2, R3, R4, R5, R6, R7, R11 (R9's started before).
        assert_eq!(counts("t"), (8, 0, 0, 0));
        // hook: ok for all but R5.
        assert_eq!(counts("hook"), (7, 0, 1, 0));
        // w: fired for R1, R2, R3; cut short for R4, R6, R11; R7 waits.
        assert_eq!(counts("w"), (3, 1, 0, 3));
        // tag and end: R1, R2, R3 and R9 (whose tag step is in range).
        assert_eq!(counts("tag"), (4, 0, 0, 0));
        assert_eq!(counts("end"), (4, 0, 0, 0));
        let legacy = n("legacy");
        assert!(!legacy.in_current_version && legacy.kind == "action.remove_tag");
        assert_eq!(legacy.passed, 1);
        assert_eq!(
            s.nodes.iter().map(|n| n.node.as_str()).collect::<Vec<_>>(),
            ["t", "hook", "w", "tag", "end", "legacy"],
            "the definition's order, older nodes last"
        );
        assert_eq!(n("hook").label.as_deref(), Some("Tell the CRM"));
        // Action steps: hook 8 + tag 4 + legacy 1 = 13, of which 1 failed.
        assert_eq!((s.action_steps, s.failed_action_steps), (13, 1));
        assert!(close(s.error_rate, 1.0 / 13.0));

        // Per UTC day (the workflow's zone):
        // Jan 5: started R1, R2, R3; completed R9.
        // Jan 6: started R4, R5; completed R1, R2; failed R5; converted R4.
        // Jan 7: started R6, R7, R11; completed R3.
        let days: Vec<(String, u64, u64, u64, u64)> = s
            .series
            .iter()
            .map(|d| {
                (
                    d.date.to_string(),
                    d.started,
                    d.completed,
                    d.failed,
                    d.conversions,
                )
            })
            .collect();
        assert_eq!(
            days,
            [
                ("2026-01-05".to_string(), 3, 1, 0, 0),
                ("2026-01-06".to_string(), 2, 2, 1, 1),
                ("2026-01-07".to_string(), 3, 1, 0, 0),
            ]
        );
    }

    /// Days are local days in the workflow's zone: across the switch to
    /// summer time in New York (2026-03-08 is 23 hours long) each run lands
    /// on the day its local start time says, which UTC days would not give.
    #[test]
    fn series_days_follow_the_workflow_time_zone() {
        let def = FOLLOW_UP.replace(r#""timezone": "UTC""#, r#""timezone": "America/New_York""#);
        let mut log = Log::new(&def, true);
        let utc =
            |m: u32, d: u32, hh: u32, mm: u32| Utc.with_ymd_and_hms(2026, m, d, hh, mm, 0).unwrap();
        // Local (EST, then EDT): Mar 7 23:30, Mar 8 00:30, Mar 8 23:30, Mar 9 00:30.
        for start in [
            utc(3, 8, 4, 30),
            utc(3, 8, 5, 30),
            utc(3, 9, 3, 30),
            utc(3, 9, 4, 30),
        ] {
            log.completed(RunMode::Live, start, start + chrono::Duration::minutes(10));
        }
        // From local midnight Mar 7 (05:00Z) to local midnight Mar 10 (04:00Z).
        let s = log
            .store
            .workflow_stats("Follow-up", Some(utc(3, 7, 5, 0)), utc(3, 10, 4, 0))
            .unwrap();
        let days: Vec<(String, u64, u64)> = s
            .series
            .iter()
            .map(|d| (d.date.to_string(), d.started, d.completed))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-03-07".to_string(), 1, 1),
                ("2026-03-08".to_string(), 2, 2),
                ("2026-03-09".to_string(), 1, 1),
            ]
        );
        assert!(
            (s.throughput.days - 71.0 / 24.0).abs() < 1e-9,
            "{}",
            s.throughput.days
        );
    }

    #[test]
    fn range_defaults_and_empty_ranges() {
        let mut log = Log::new(FOLLOW_UP, false);
        // Nothing ran: no rates, no drop-off, no times; the range starts at
        // the workflow's creation.
        let s = log.store.workflow_stats("Follow-up", None, h(0)).unwrap();
        assert_eq!(s.since, h(-48));
        assert_eq!((s.runs.started, s.runs.ended), (0, 0));
        assert!(s.completion_rate.is_none() && s.error_rate.is_none());
        assert!(s.drop_off.is_none() && s.time_to_completion.is_none());
        assert_eq!(s.workflows_active, 0);
        assert_eq!(s.series.len(), 2, "Jan 3 and Jan 4");
        assert_eq!(s.nodes.len(), 5);
        assert!(
            s.nodes
                .iter()
                .all(|n| n.passed + n.waiting + n.failed + n.skipped == 0)
        );
        // A run from before the workflow existed (an import of old history)
        // moves the default start back to the midnight before it.
        log.completed(RunMode::Live, h(-60), h(-50));
        let s = log.store.workflow_stats("Follow-up", None, h(0)).unwrap();
        assert_eq!(s.since, h(-72));
        assert_eq!(s.runs.completed, 1);
        let e = log
            .store
            .workflow_stats("Follow-up", Some(h(5)), h(5))
            .unwrap_err();
        assert!(e.to_string().contains("the range is empty"), "{e}");
        let e = log.store.workflow_stats("Nope", None, h(5)).unwrap_err();
        assert_eq!(e.code(), "not_found");
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v = [10, 20, 30, 40, 50];
        // ⌈0.5·5⌉ = 3, ⌈0.9·5⌉ = 5.
        assert_eq!((nearest_rank(&v, 0.5), nearest_rank(&v, 0.9)), (30, 50));
        assert_eq!((nearest_rank(&[7], 0.5), nearest_rank(&[7], 0.9)), (7, 7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!((nearest_rank(&v, 0.5), nearest_rank(&v, 0.9)), (5, 9));
    }

    /// Every per-range query reads an index of migration 0003, so its cost
    /// grows with the rows in the range, not with the table.
    #[test]
    fn queries_read_covering_indexes() {
        let log = Log::new(FOLLOW_UP, true);
        let plan = |q: &str, p: &[&dyn rusqlite::ToSql]| -> String {
            let mut st = log
                .store
                .conn()
                .prepare(&format!("EXPLAIN QUERY PLAN {q}"))
                .unwrap();
            let rows = st.query_map(p, |r| r.get::<_, String>(3)).unwrap();
            rows.map(|r| r.unwrap()).collect::<Vec<_>>().join(" | ")
        };
        // (query, index, whether the index order is the query's order)
        for (q, index, in_order) in [
            (sql::STARTED, "runs_started_stats", true),
            (sql::ENDED, "runs_ended_stats", true),
            (sql::GOALS, "runs_ended_stats", false),
            (sql::DROP_OFFS, "runs_ended_stats", false),
            (sql::NEXT_STEP_GROUP, "steps_stats", true),
            (sql::EXITS, "steps_exits", true),
        ] {
            let p = plan(q, &[&1, &0, &1]);
            assert!(
                p.contains(&format!("USING COVERING INDEX {index}")),
                "{q}\n→ {p}"
            );
            if in_order {
                assert!(!p.contains("TEMP B-TREE"), "{q} sorts: {p}");
            }
        }
        let p = plan(sql::STEPS_IN_GROUP, &[&1, &0, &1, &"w", &"ok"]);
        assert!(
            p.contains("USING COVERING INDEX steps_stats (workflow_id=? AND node_id=? AND status=? AND started_at>? AND started_at<?)"),
            "{p}"
        );
        let p = plan(sql::TEST_RUN_STEPS, &[&1, &0, &1]);
        assert!(
            p.contains("runs_test_stats") && p.contains("steps_run"),
            "{p}"
        );
    }
}
