-- Broadcasts: user tags, app-defined user attributes, and push tasks.

CREATE TABLE user_tags (
	sdk_app_id BIGINT  NOT NULL,
	user_id    TEXT    NOT NULL,
	tag        TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, tag)
);

CREATE INDEX user_tags_tag ON user_tags (sdk_app_id, tag, user_id);

CREATE TABLE attr_names (
	sdk_app_id BIGINT  NOT NULL,
	name       TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, name)
);

CREATE TABLE user_attrs (
	sdk_app_id BIGINT  NOT NULL,
	user_id    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	PRIMARY KEY (sdk_app_id, user_id, name)
);

CREATE INDEX user_attrs_value ON user_attrs (sdk_app_id, name, value, user_id);

CREATE TABLE push_tasks (
	sdk_app_id  BIGINT  NOT NULL,
	id          TEXT    NOT NULL,
	audience    TEXT    NOT NULL, -- JSON of store.Audience
	content     TEXT    NOT NULL, -- raw JSON, as given
	online_only BOOLEAN NOT NULL,
	status      TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	cursor      TEXT    NOT NULL,
	targets     BIGINT  NOT NULL,
	pushed      BIGINT  NOT NULL,
	accepted    BIGINT  NOT NULL,
	failed      BIGINT  NOT NULL,
	created_at  BIGINT  NOT NULL,
	finished_at BIGINT  NOT NULL,
	PRIMARY KEY (sdk_app_id, id)
);

CREATE INDEX push_tasks_created_at ON push_tasks (sdk_app_id, created_at);
