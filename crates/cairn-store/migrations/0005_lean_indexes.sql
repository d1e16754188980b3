-- Cairn schema, version 5: drop two indexes that later ones made redundant.
-- Every index costs each insert of its table; steps and runs are the
-- hottest tables (one steps row per node a run passes).
--
-- steps_started(workflow_id, started_at): the analytics read steps through
-- steps_stats (0003), which nothing queries by start time alone.
-- runs_workflow(workflow_id, started_at): runs_started_stats (0003) starts
-- with the same columns and serves the same lookups.
DROP INDEX IF EXISTS steps_started;
DROP INDEX IF EXISTS runs_workflow;
