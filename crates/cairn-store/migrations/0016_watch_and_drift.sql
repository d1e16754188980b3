-- The first 48 hours after a workflow goes live, and drift alerts
-- (crates/cairn-store/src/watch.rs, drift.rs).
--
-- `activated_at`: when this version last went live — the workflow was
-- activated while it was current, or it was saved while the workflow was
-- active. Its watch runs for 48 hours from then. NULL for versions that
-- never went live, and for those that went live before this column
-- existed (they are not watched: their first hours are long gone or
-- unknown).
ALTER TABLE workflow_versions ADD COLUMN activated_at INTEGER;

-- Incidents gain 'watch' (the first failure of a watched workflow) and
-- 'drift' (a workflow's last 7 days differ from the 28 before). SQLite
-- cannot alter a CHECK, so the table is rebuilt with its rows, as in 0007.
CREATE TABLE incidents_new (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('error_rate', 'account', 'executor', 'watch', 'drift')),
  subject     TEXT NOT NULL,               -- workflow id, account name, executor task; watch: id@start; drift: id/metric
  title       TEXT NOT NULL,
  message     TEXT NOT NULL,
  opened_at   INTEGER NOT NULL,
  notified_at INTEGER,
  closed_at   INTEGER
) STRICT;
INSERT INTO incidents_new (id, kind, subject, title, message, opened_at, notified_at, closed_at)
  SELECT id, kind, subject, title, message, opened_at, notified_at, closed_at FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE UNIQUE INDEX incidents_open ON incidents(kind, subject) WHERE closed_at IS NULL;
