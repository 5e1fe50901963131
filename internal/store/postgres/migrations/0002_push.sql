-- Offline push: vendor certificates, and a record per device considered for a push.
-- Identity columns never reuse an ID, so a stale binding or queued job can never point
-- at another row.

CREATE TABLE certificates (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sdk_app_id BIGINT NOT NULL,
	vendor     TEXT   NOT NULL,
	name       TEXT   NOT NULL,
	config     TEXT,             -- raw JSON, as given
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE INDEX certificates_app ON certificates (sdk_app_id, id);

-- Binding and unbinding a token look devices up by certificate and token.
CREATE INDEX devices_certificate_push_token ON devices (sdk_app_id, certificate_id, push_token);

CREATE TABLE push_records (
	id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sdk_app_id        BIGINT  NOT NULL,
	message_id        TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	device_id         TEXT    NOT NULL,
	decision          TEXT    NOT NULL,
	vendor            TEXT    NOT NULL,
	certificate_id    BIGINT  NOT NULL,
	outcome           TEXT    NOT NULL,
	reason            TEXT    NOT NULL,
	vendor_message_id TEXT    NOT NULL,
	attempts          INTEGER NOT NULL,
	created_at        BIGINT  NOT NULL,
	updated_at        BIGINT  NOT NULL
);

CREATE INDEX push_records_message_id ON push_records (sdk_app_id, message_id);
CREATE INDEX push_records_created_at ON push_records (sdk_app_id, created_at);
