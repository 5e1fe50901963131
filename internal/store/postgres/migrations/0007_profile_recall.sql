-- Profiles (the commercial portrait and group/member fields beyond name and face) and
-- message recalls. Each table hangs off its owner row and goes with it.

CREATE TABLE account_profiles (
	sdk_app_id BIGINT NOT NULL,
	user_id    TEXT    NOT NULL,
	tag        TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, tag),
	FOREIGN KEY (sdk_app_id, user_id) REFERENCES accounts (sdk_app_id, user_id) ON DELETE CASCADE
);

CREATE TABLE group_profiles (
	sdk_app_id BIGINT NOT NULL,
	group_id   TEXT    NOT NULL,
	tag        TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, group_id, tag),
	FOREIGN KEY (sdk_app_id, group_id) REFERENCES groups (sdk_app_id, id) ON DELETE CASCADE
);

CREATE TABLE member_profiles (
	sdk_app_id BIGINT NOT NULL,
	group_id   TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	tag        TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, group_id, user_id, tag),
	FOREIGN KEY (sdk_app_id, group_id, user_id) REFERENCES group_members (sdk_app_id, group_id, user_id) ON DELETE CASCADE
);

CREATE TABLE message_recalls (
	sdk_app_id  BIGINT NOT NULL,
	msg_id      TEXT    NOT NULL,
	recalled_by TEXT    NOT NULL,
	recalled_at BIGINT NOT NULL,
	PRIMARY KEY (sdk_app_id, msg_id),
	FOREIGN KEY (sdk_app_id, msg_id) REFERENCES messages (sdk_app_id, id) ON DELETE CASCADE
);
