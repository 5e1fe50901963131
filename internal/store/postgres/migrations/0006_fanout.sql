-- Group messages whose members' copies (inbox entries, conversation updates) are written
-- after the send call returned. A row goes when its last member is done.
CREATE TABLE fanouts (
	id            BIGSERIAL PRIMARY KEY,
	sdk_app_id    BIGINT  NOT NULL,
	msg_id        TEXT    NOT NULL,
	group_id      TEXT    NOT NULL,
	from_user_id  TEXT    NOT NULL,
	after_user_id TEXT    NOT NULL DEFAULT '',
	created_at    BIGINT  NOT NULL,
	UNIQUE (sdk_app_id, msg_id)
);

CREATE INDEX fanouts_group ON fanouts (sdk_app_id, group_id, id);
