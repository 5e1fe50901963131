-- A push's earlier tries: one row per try that did not end the push (the vendor asked
-- to retry, or refused for quota or auth, and the pipeline queued it again). The final
-- answer stays on the record itself, so a first-try success writes nothing here. Rows
-- go with their record.
CREATE TABLE push_attempts (
	record_id  BIGINT  NOT NULL REFERENCES push_records (id) ON DELETE CASCADE,
	attempt    INTEGER NOT NULL,
	sdk_app_id BIGINT  NOT NULL,
	message_id TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	device_id  TEXT    NOT NULL,
	time       BIGINT  NOT NULL,
	outcome    TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	PRIMARY KEY (record_id, attempt)
);
CREATE INDEX push_attempts_message ON push_attempts (sdk_app_id, message_id);
