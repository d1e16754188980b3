-- The pipeline board (issue 15): when each deal entered its current stage,
-- for "days in stage" (updated_at would also move on other edits), and the
-- index the board's per-pipeline, per-stage query walks.
ALTER TABLE deals ADD COLUMN stage_since INTEGER NOT NULL DEFAULT 0;
UPDATE deals SET stage_since = updated_at;
CREATE INDEX deals_board ON deals(pipeline_id, stage_id);
