-- Cairn schema: the key of the per-contact unsubscribe tokens.
--
-- A mailto unsubscribe link carries a token, an HMAC-SHA256 of the
-- contact's address under this key (unsubscribe.rs), so that a message
-- read from the sending mailbox unsubscribes the contact it names only if
-- it quotes the token Cairn gave that contact: nobody can unsubscribe
-- someone else by mail. Random per database (SQLite's randomblob draws
-- from a ChaCha20 generator seeded by the operating system's entropy); it
-- is not a credential (it guards unsubscribes only), so it travels with the
-- file and a restored database still honours the links it sent.
CREATE TABLE unsubscribe_key (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  key       BLOB NOT NULL CHECK (length(key) = 32)
) STRICT;

INSERT INTO unsubscribe_key (singleton, key) VALUES (1, randomblob(32));
