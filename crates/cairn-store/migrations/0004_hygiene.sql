-- Cairn schema, version 4: database hygiene and background notices
-- (crates/cairn-store/src/hygiene.rs, incidents.rs).

-- Retention blanks the bulky JSON of old finished runs (their steps'
-- details, trigger payload and sent outbox payloads) and of old processed
-- events, and stamps when it did, so the screens can say "details removed
-- after 90 days" instead of showing an empty box. Rows are never deleted:
-- counts and analytics of old periods stay exact.
ALTER TABLE runs ADD COLUMN pruned_at INTEGER;
ALTER TABLE events ADD COLUMN pruned_at INTEGER;

-- What retention still has to look at, oldest first. Partial: a row leaves
-- the index once pruned, so each pass reads only the not-yet-pruned rows.
CREATE INDEX runs_prunable ON runs(ended_at)
  WHERE ended_at IS NOT NULL AND pruned_at IS NULL;
CREATE INDEX events_prunable ON events(recorded_at)
  WHERE processed_at IS NOT NULL AND pruned_at IS NULL;

-- A run's outbox entries: retention blanks them with the run, and deleting
-- a workflow (ON DELETE CASCADE from runs) no longer scans the outbox.
CREATE INDEX outbox_run ON outbox(run_id);

-- Conditions worth a desktop notification ("workflow X is failing",
-- "account Y needs attention"). One row per incident: it opens when the
-- condition starts and closes when it clears, so the user is told once per
-- incident, and a restart (which re-reads the open rows) does not tell
-- them again.
CREATE TABLE incidents (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('error_rate', 'account')),
  subject     TEXT NOT NULL,               -- workflow id or account name
  title       TEXT NOT NULL,
  message     TEXT NOT NULL,
  opened_at   INTEGER NOT NULL,
  notified_at INTEGER,
  closed_at   INTEGER
) STRICT;
CREATE UNIQUE INDEX incidents_open ON incidents(kind, subject) WHERE closed_at IS NULL;
