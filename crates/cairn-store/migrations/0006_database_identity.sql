-- Cairn schema, version 6: every database has an identity of its own.
--
-- Idempotency keys and Message-IDs were `cairn-<run id>-<step id>`, made of
-- row ids alone: a second laptop, a headless box or a fresh start reuse
-- them, and receivers that deduplicate on them drop real messages. They now
-- carry a random 128-bit id created with the database (here, for existing
-- databases and new ones alike: SQLite's randomblob draws from a ChaCha20
-- generator seeded by the operating system's entropy source).
--
-- `id` is kept by a backup and its restore (the same database). `series`
-- counts restores of this database: a restore starts a new series, so the
-- runs created after it cannot reuse keys that the lost timeline after the
-- backup already used (identity.rs).
CREATE TABLE database_identity (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  id        TEXT NOT NULL CHECK (length(id) = 32),
  series    INTEGER NOT NULL DEFAULT 0 CHECK (series >= 0)
) STRICT;

INSERT INTO database_identity (singleton, id, series)
VALUES (1, lower(hex(randomblob(16))), 0);
