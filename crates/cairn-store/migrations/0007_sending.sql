-- Sending that never jams (crates/cairn-engine/src/executor.rs).
--
-- The lease of an outbox row being sent: the dispatcher sets it when it
-- commits `sending`; a row still `sending` after its lease expired, and not
-- in the hands of this process's dispatcher, lost its attempt (its result
-- was never recorded) and is taken back to `pending`, possibly duplicated,
-- without waiting for a restart. NULL for rows not being sent.
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;

-- The lane a row is sent in (`smtp:<account>`, `webhook:<host>`,
-- `slack:<account>`, `desktop`): the dispatcher sends each lane at most so
-- many at a time and looks past lanes that are full, so one busy or hanging
-- account delays no other. Written at enqueue; rows queued before this
-- migration get theirs from the account (webhooks: NULL, never skipped).
ALTER TABLE outbox ADD COLUMN lane TEXT;
UPDATE outbox SET lane = CASE kind
    WHEN 'email' THEN 'smtp:' || lower(trim(account))
    WHEN 'slack' THEN 'slack:' || lower(trim(account))
    WHEN 'desktop' THEN 'desktop'
  END
  WHERE status IN ('pending', 'sending');

-- Executor faults become incidents: a task of the executor that stopped on
-- a panic (and was restarted), or an outbox entry that made the sender
-- crash. `kind` gains 'executor'; SQLite cannot alter a CHECK, so the table
-- is rebuilt with its rows.
CREATE TABLE incidents_new (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('error_rate', 'account', 'executor')),
  subject     TEXT NOT NULL,               -- workflow id, account name or executor task
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
