-- The dispatcher looks at the queue lane by lane (cairn-engine's take.rs):
-- which lanes have pending rows, then the first due rows of each lane with
-- room, in due order. With this index each look is a few index seeks,
-- however long the queue; without it every look read every pending row
-- (10,000 queued webhooks to one host made each turn scan all of them).
CREATE INDEX outbox_lane_due ON outbox(status, lane, next_attempt_at, id);
