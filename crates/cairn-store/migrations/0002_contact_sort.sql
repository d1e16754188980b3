-- Cairn schema, version 2: the indexes the contacts screen sorts by.
-- Email order is served by the unique index on email_key and creation order
-- by contacts_created; sorting 100,000 contacts by name or status without
-- these means a full scan and a temporary B-tree on every page.

CREATE INDEX contacts_name ON contacts(name COLLATE NOCASE);
CREATE INDEX contacts_status ON contacts(status);
