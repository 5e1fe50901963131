-- Herald's initial schema. Times are Unix milliseconds, durations milliseconds.
-- Raw JSON is kept as TEXT so that it comes back byte for byte.

CREATE TABLE apps (
	sdk_app_id    BIGINT PRIMARY KEY,
	secret_key    TEXT   NOT NULL,
	admin_user_id TEXT   NOT NULL,
	name          TEXT   NOT NULL,
	device_policy TEXT   NOT NULL,
	retention_ms  BIGINT NOT NULL,
	created_at    BIGINT NOT NULL
);

CREATE TABLE accounts (
	sdk_app_id      BIGINT NOT NULL,
	user_id         TEXT   NOT NULL,
	nickname        TEXT   NOT NULL,
	face_url        TEXT   NOT NULL,
	dnd_start_ms    BIGINT NOT NULL,
	dnd_duration_ms BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id)
);

CREATE TABLE devices (
	sdk_app_id     BIGINT  NOT NULL,
	user_id        TEXT    NOT NULL,
	device_id      TEXT    NOT NULL,
	platform       TEXT    NOT NULL,
	state          TEXT    NOT NULL,
	login_at       BIGINT  NOT NULL,
	last_seen      BIGINT  NOT NULL,
	node_id        TEXT    NOT NULL,
	background     BOOLEAN NOT NULL,
	delivered_seq  BIGINT  NOT NULL,
	acked_seq      BIGINT  NOT NULL,
	certificate_id BIGINT  NOT NULL,
	push_token     TEXT    NOT NULL,
	badge          INTEGER NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, device_id)
);

-- Moving a push token between users looks devices up by token.
CREATE INDEX devices_push_token ON devices (sdk_app_id, push_token);

-- channels holds the last sequence number of each channel. It outlives the channel's
-- messages, so numbering continues after old messages are deleted; its row lock
-- orders concurrent sends to one channel.
CREATE TABLE channels (
	sdk_app_id BIGINT NOT NULL,
	channel    TEXT   NOT NULL,
	last_seq   BIGINT NOT NULL,
	PRIMARY KEY (sdk_app_id, channel)
);

CREATE TABLE messages (
	sdk_app_id        BIGINT  NOT NULL,
	id                TEXT    NOT NULL,
	client_msg_id     TEXT,             -- NULL when the sender gave none
	type              TEXT    NOT NULL,
	from_user_id      TEXT    NOT NULL,
	to_user_id        TEXT    NOT NULL,
	group_id          TEXT    NOT NULL,
	channel           TEXT    NOT NULL,
	seq               BIGINT  NOT NULL,
	time              BIGINT  NOT NULL,
	elements          TEXT,
	at_user_ids       TEXT[],
	at_all            BOOLEAN NOT NULL,
	priority          TEXT    NOT NULL,
	push_info         TEXT,
	cloud_custom_data TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, id)
);

CREATE UNIQUE INDEX messages_channel_seq ON messages (sdk_app_id, channel, seq);
CREATE UNIQUE INDEX messages_client_msg_id ON messages (sdk_app_id, from_user_id, client_msg_id);
CREATE INDEX messages_time ON messages (sdk_app_id, time);

-- inboxes holds the last inbox sequence number of each user.
CREATE TABLE inboxes (
	sdk_app_id BIGINT NOT NULL,
	user_id    TEXT   NOT NULL,
	last_seq   BIGINT NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id)
);

CREATE TABLE inbox_entries (
	sdk_app_id BIGINT NOT NULL,
	user_id    TEXT   NOT NULL,
	inbox_seq  BIGINT NOT NULL,
	msg_id     TEXT   NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, inbox_seq),
	FOREIGN KEY (sdk_app_id, msg_id) REFERENCES messages (sdk_app_id, id)
);

CREATE INDEX inbox_entries_msg_id ON inbox_entries (sdk_app_id, msg_id);

-- conversations refers to its last message without a foreign key: the conversation
-- outlives the message when old messages are deleted.
CREATE TABLE conversations (
	sdk_app_id  BIGINT  NOT NULL,
	user_id     TEXT    NOT NULL,
	conv_id     TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	peer_id     TEXT    NOT NULL,
	group_id    TEXT    NOT NULL,
	channel     TEXT    NOT NULL,
	last_msg_id TEXT    NOT NULL,
	last_seq    BIGINT  NOT NULL,
	read_seq    BIGINT  NOT NULL,
	unread      INTEGER NOT NULL,
	updated_at  BIGINT  NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, conv_id)
);

CREATE INDEX conversations_updated_at ON conversations (sdk_app_id, user_id, updated_at);

CREATE TABLE c2c_recv_opts (
	sdk_app_id BIGINT  NOT NULL,
	user_id    TEXT    NOT NULL,
	peer_id    TEXT    NOT NULL,
	recv_opt   INTEGER NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, peer_id)
);

CREATE INDEX c2c_recv_opts_peer ON c2c_recv_opts (sdk_app_id, peer_id);

CREATE TABLE groups (
	sdk_app_id BIGINT NOT NULL,
	id         TEXT   NOT NULL,
	name       TEXT   NOT NULL,
	face_url   TEXT   NOT NULL,
	owner_id   TEXT   NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (sdk_app_id, id)
);

CREATE TABLE group_members (
	sdk_app_id BIGINT  NOT NULL,
	group_id   TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	recv_opt   INTEGER NOT NULL,
	joined_at  BIGINT  NOT NULL,
	PRIMARY KEY (sdk_app_id, group_id, user_id),
	FOREIGN KEY (sdk_app_id, group_id) REFERENCES groups (sdk_app_id, id) ON DELETE CASCADE
);

CREATE INDEX group_members_user_id ON group_members (sdk_app_id, user_id);
