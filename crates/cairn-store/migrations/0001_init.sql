-- Cairn schema, version 1. Times are INTEGER milliseconds since the Unix
-- epoch (UTC), always bound by the caller from its clock, never
-- CURRENT_TIMESTAMP.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE contacts (
  id         INTEGER PRIMARY KEY,
  email      TEXT NOT NULL,
  email_key  TEXT NOT NULL UNIQUE,          -- lower-cased email: uniqueness ignores case
  name       TEXT,
  status     TEXT NOT NULL DEFAULT 'subscribed'
             CHECK (status IN ('subscribed', 'unsubscribed', 'bounced')),
  timezone   TEXT,
  is_test    INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX contacts_created ON contacts(created_at);

CREATE TABLE fields (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  type       TEXT NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean')),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE contact_fields (
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  field_id   INTEGER NOT NULL REFERENCES fields(id) ON DELETE CASCADE,
  value      TEXT NOT NULL,                 -- JSON value checked against the field type
  PRIMARY KEY (contact_id, field_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_fields_field ON contact_fields(field_id, value);

CREATE TABLE tags (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE contact_tags (
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  added_at   INTEGER NOT NULL,
  PRIMARY KEY (contact_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_tags_tag ON contact_tags(tag_id, contact_id);

-- Append-only. (source, external_id) is unique when an external id is given.
CREATE TABLE events (
  id           INTEGER PRIMARY KEY,
  type         TEXT NOT NULL,
  contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
  payload      TEXT NOT NULL DEFAULT '{}',
  occurred_at  INTEGER NOT NULL,
  recorded_at  INTEGER NOT NULL,
  source       TEXT NOT NULL,
  external_id  TEXT,
  processed_at INTEGER                     -- set by the engine in the same transaction as its effects
) STRICT;
CREATE UNIQUE INDEX events_dedupe ON events(source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX events_unprocessed ON events(id) WHERE processed_at IS NULL;
CREATE INDEX events_contact ON events(contact_id, type, occurred_at);

CREATE TABLE workflows (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
  status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused')),
  current_version INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE workflow_versions (
  workflow_id INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  definition  TEXT NOT NULL,               -- canonical workflow file JSON
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, version)
) STRICT;

CREATE TABLE runs (
  id               INTEGER PRIMARY KEY,
  workflow_id      INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  version          INTEGER NOT NULL,
  contact_id       INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  trigger_node     TEXT NOT NULL,
  trigger_event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
  trigger_payload  TEXT NOT NULL DEFAULT '{}',
  status           TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'exited', 'failed')),
  current_node     TEXT,
  exit_reason      TEXT,
  goal             TEXT,                   -- the goal reached, if any
  converted        INTEGER NOT NULL DEFAULT 0,
  mode             TEXT NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'dry_run', 'test')),
  started_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX runs_workflow ON runs(workflow_id, started_at);
CREATE INDEX runs_contact ON runs(contact_id, workflow_id, status);
CREATE INDEX runs_open ON runs(workflow_id, status) WHERE status IN ('running', 'waiting');

CREATE TABLE steps (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  workflow_id INTEGER NOT NULL,
  node_id     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped', 'waiting', 'pending')),
  exit        TEXT,
  detail      TEXT,                        -- JSON: what happened (tag name, rendered email, error)
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX steps_run ON steps(run_id, id);
CREATE INDEX steps_workflow ON steps(workflow_id, node_id, status);
CREATE INDEX steps_started ON steps(workflow_id, started_at);

-- One timer per waiting run at most (a wait, a timeout, a send window).
CREATE TABLE timers (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  node_id    TEXT NOT NULL,
  purpose    TEXT NOT NULL CHECK (purpose IN ('wait', 'timeout', 'window')),
  due_at     INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX timers_due ON timers(due_at, id);
CREATE INDEX timers_run ON timers(run_id);

-- Runs waiting for an event ("wait until order.fulfilled with the same order_id").
CREATE TABLE event_waits (
  run_id      INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  contact_id  INTEGER NOT NULL,
  event_type  TEXT NOT NULL,
  node_id     TEXT NOT NULL,
  correlation TEXT NOT NULL DEFAULT '{}',  -- JSON object: payload key -> value it must have
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX event_waits_lookup ON event_waits(contact_id, event_type);

-- Effects that leave the machine. A row is written in the same transaction
-- as the step that wants it; senders mark it sent or failed.
CREATE TABLE outbox (
  id                  INTEGER PRIMARY KEY,
  run_id              INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  step_id             INTEGER REFERENCES steps(id) ON DELETE CASCADE,
  kind                TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'desktop')),
  account             TEXT,
  idempotency_key     TEXT NOT NULL UNIQUE,
  payload             TEXT NOT NULL,       -- JSON: the fully rendered message or request
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
  sent_at             INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE accounts (
  id                   INTEGER PRIMARY KEY,
  name                 TEXT NOT NULL UNIQUE COLLATE NOCASE,
  kind                 TEXT NOT NULL,
  settings             TEXT NOT NULL DEFAULT '{}', -- never a secret: those live in the OS keyring
  status               TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'needs_attention', 'error')),
  status_message       TEXT,
  poll_interval_secs   INTEGER,
  cursor               TEXT,
  last_poll_at         INTEGER,
  next_poll_at         INTEGER,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE pipelines (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE stages (
  id          INTEGER PRIMARY KEY,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  name        TEXT NOT NULL COLLATE NOCASE,
  position    INTEGER NOT NULL,
  UNIQUE (pipeline_id, name)
) STRICT;

CREATE TABLE deals (
  id          INTEGER PRIMARY KEY,
  contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  stage_id    INTEGER NOT NULL REFERENCES stages(id),
  title       TEXT NOT NULL,
  value       REAL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX deals_contact ON deals(contact_id, pipeline_id);

CREATE TABLE courses (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE enrollments (
  contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  course_id   INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
  enrolled_at INTEGER NOT NULL,
  revoked_at  INTEGER,
  progress    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (contact_id, course_id)
) STRICT;

-- How far the scheduler has looked for date-based and schedule triggers.
CREATE TABLE trigger_schedule (
  workflow_id   INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  node_id       TEXT NOT NULL,
  checked_until INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, node_id)
) STRICT;
