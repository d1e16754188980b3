-- Cairn schema, version 3: indexes for per-workflow analytics
-- (crates/cairn-store/src/analytics.rs). Each analytics query reads one
-- workflow's rows in a time range; with these it reads only index entries
-- in that range, never the table. Measured in docs/BENCHMARKS.md
-- ("Analytics").

-- Runs started in a range: throughput, open runs, the daily series.
CREATE INDEX runs_started_stats ON runs(workflow_id, started_at, mode, status);

-- Runs ended in a range: completion, drop-off (where they were), times,
-- conversions per goal. Only ended runs are in it.
CREATE INDEX runs_ended_stats
  ON runs(workflow_id, ended_at, mode, status, converted, started_at, goal, current_node)
  WHERE ended_at IS NOT NULL;

-- Dry and test runs, whose steps the canvas counts leave out. Few.
CREATE INDEX runs_test_stats ON runs(workflow_id) WHERE mode <> 'live';

-- Steps per node and status in a range: the canvas counts and the error
-- rate. It starts with the columns of steps_workflow, which it replaces
-- (keeping both would cost every step insert a second, redundant index).
CREATE INDEX steps_stats ON steps(workflow_id, node_id, status, started_at);
DROP INDEX steps_workflow;
