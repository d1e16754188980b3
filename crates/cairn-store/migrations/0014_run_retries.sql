-- Re-running failed runs (`cairn runs retry`, the run page's Retry).
-- `retries`: how many times a run was taken up again from its failed step;
-- each failure's notices ("when a run fails") get their own idempotency key
-- from it. `restarted_from`: on a run restarted from the start on the
-- current version, the failed run it replaces (that run stays failed, and is
-- not offered for retry again).
ALTER TABLE runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN restarted_from INTEGER REFERENCES runs(id) ON DELETE SET NULL;
CREATE INDEX runs_restarted_from ON runs(restarted_from) WHERE restarted_from IS NOT NULL;
