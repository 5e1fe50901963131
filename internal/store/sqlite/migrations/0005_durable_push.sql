-- Durable push hand-off.

-- A stored message is push_pending until its push is planned: a sweep re-queues the
-- planning of messages still pending, so that no crash or NATS outage between the
-- message's commit and the queueing of its plan loses the push. Messages stored before
-- this migration were planned already.
ALTER TABLE messages ADD COLUMN push_pending INTEGER NOT NULL DEFAULT 1;
UPDATE messages SET push_pending = 0;
CREATE INDEX messages_push_pending ON messages (time) WHERE push_pending = 1;

-- A push tried again after a crash cut off a try that may have reached the vendor.
ALTER TABLE push_records ADD COLUMN duplicate_possible INTEGER NOT NULL DEFAULT 0;

-- Facts about this deployment (its ID names its queues on a shared NATS).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
