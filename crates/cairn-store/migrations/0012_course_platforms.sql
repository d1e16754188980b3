-- Courses that live on a course platform (Thinkific, Teachable): the
-- account that holds the course and the course's id there. A course with no
-- account stays local ("recorded in Cairn only").
ALTER TABLE courses ADD COLUMN account TEXT COLLATE NOCASE;
ALTER TABLE courses ADD COLUMN platform_course_id TEXT;

-- What the platform answered when it enrolled the contact: its user and
-- enrollment ids, so progress polled later finds the contact again.
ALTER TABLE enrollments ADD COLUMN platform_user_id TEXT;
ALTER TABLE enrollments ADD COLUMN platform_enrollment_id TEXT;
CREATE INDEX enrollments_platform_user ON enrollments(course_id, platform_user_id)
  WHERE platform_user_id IS NOT NULL;

-- The outbox gains course access (`kind` 'course': an enrollment or
-- unenrollment on the platform). SQLite cannot alter a CHECK, so the table
-- is rebuilt with its rows, its columns in the same order, and its indexes.
-- Nothing references outbox rows, so dropping the old table cascades
-- nowhere.
CREATE TABLE outbox_new (
  id                  INTEGER PRIMARY KEY,
  run_id              INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  step_id             INTEGER REFERENCES steps(id) ON DELETE CASCADE,
  kind                TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'desktop', 'course')),
  account             TEXT,
  idempotency_key     TEXT NOT NULL UNIQUE,
  payload             TEXT NOT NULL,
  mode                TEXT NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'dry_run', 'test')),
  status              TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
  attempts            INTEGER NOT NULL DEFAULT 0,
  max_attempts        INTEGER NOT NULL,
  backoff_secs        INTEGER NOT NULL,
  next_attempt_at     INTEGER NOT NULL,
  last_error          TEXT,
  possibly_duplicated INTEGER NOT NULL DEFAULT 0,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  sent_at             INTEGER,
  lease_until         INTEGER,
  lane                TEXT
) STRICT;
INSERT INTO outbox_new SELECT id, run_id, step_id, kind, account, idempotency_key, payload, mode,
  status, attempts, max_attempts, backoff_secs, next_attempt_at, last_error, possibly_duplicated,
  created_at, updated_at, sent_at, lease_until, lane FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_run ON outbox(run_id);
CREATE INDEX outbox_lane_due ON outbox(status, lane, next_attempt_at, id);
