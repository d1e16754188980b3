-- Cairn schema, version 8: a contact's data belongs to the contact
-- (crates/cairn-store/src/privacy.rs, consent.rs).

-- Erasing a contact keeps its row as a tombstone with nothing personal in
-- it (email, name, time zone cleared; fields, tags, deals and courses
-- deleted), because its runs and steps must stay for analytics and
-- runs.contact_id cannot be NULL. Every read of contacts leaves the
-- tombstones out.
ALTER TABLE contacts ADD COLUMN erased_at INTEGER;

-- How each contact's subscription started and ended: one row per status
-- a contact got (created, changed), never updated. Deleted with the
-- contact's other data when it is erased.
CREATE TABLE consent (
  id         INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  status     TEXT NOT NULL CHECK (status IN ('subscribed', 'unsubscribed', 'bounced')),
  via        TEXT NOT NULL,              -- import, form, purchase, manual, sync, unsubscribe_link, complaint, bounce, workflow, unknown
  detail     TEXT,                       -- file name, account, workflow
  at         INTEGER NOT NULL
) STRICT;
CREATE INDEX consent_contact ON consent(contact_id, id);

-- Contacts that existed before consent was recorded: their current status,
-- from an unknown source, as of their creation.
INSERT INTO consent (contact_id, status, via, detail, at)
  SELECT id, status, 'unknown', 'recorded before Cairn kept consent', created_at FROM contacts;

-- Erased emails, as HMAC-SHA256 of the lower-cased email keyed by this
-- database's erasure key (settings 'erasure_key'), never the email: a later
-- import, sync or form brings such a contact back unsubscribed unless the
-- user re-subscribes them on purpose.
CREATE TABLE erased_emails (
  digest    TEXT PRIMARY KEY,
  erased_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO settings (key, value)
  VALUES ('erasure_key', '"' || lower(hex(randomblob(32))) || '"')
  ON CONFLICT (key) DO NOTHING;
