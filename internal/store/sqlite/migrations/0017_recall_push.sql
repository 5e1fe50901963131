-- Recall replacements go through the push pipeline: a push record says what it is the
-- push of ('' the message's own notification, 'recall' the replacement that withdraws
-- it), and a recall waits in the store until its replacements are planned.
ALTER TABLE push_records ADD COLUMN kind TEXT NOT NULL DEFAULT '';

-- New recalls are pending from their commit (the column's default); the recalls made
-- before this migration had their one replacement attempt already.
ALTER TABLE message_recalls ADD COLUMN withdraw_pending INTEGER NOT NULL DEFAULT 1;
UPDATE message_recalls SET withdraw_pending = 0;
CREATE INDEX message_recalls_withdraw_pending ON message_recalls (recalled_at) WHERE withdraw_pending = 1;
