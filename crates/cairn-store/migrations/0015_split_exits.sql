-- Cairn schema: the exit each decision step took (condition, branch and the
-- A/B split), for the per-exit counts on the canvas and a split's results
-- per variant (crates/cairn-store/src/analytics.rs, splits.rs). Partial:
-- only decision steps are in it, so other steps' inserts pay nothing, and
-- a decision step is written once, already final (`ok`). `kind` and
-- `status` end the key only so that the counts read the index alone
-- (SQLite does not infer them from the partial index's WHERE).
CREATE INDEX steps_exits ON steps(workflow_id, node_id, exit, started_at, kind, status)
  WHERE kind IN ('condition', 'branch', 'split') AND status = 'ok';
