-- Offline push: vendor certificates, and a record per device considered for a push.

-- AUTOINCREMENT: a deleted certificate's ID is never given to a new one, so a stale
-- binding or job can never point at the wrong credential.
CREATE TABLE certificates (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	sdk_app_id INTEGER NOT NULL,
	vendor     TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	config     TEXT,             -- raw JSON, as given
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE INDEX certificates_app ON certificates (sdk_app_id, id);

-- Binding and unbinding a token look devices up by certificate and token.
CREATE INDEX devices_certificate_push_token ON devices (sdk_app_id, certificate_id, push_token);

-- AUTOINCREMENT: queued push jobs refer to records by ID.
CREATE TABLE push_records (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	sdk_app_id        INTEGER NOT NULL,
	message_id        TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	device_id         TEXT    NOT NULL,
	decision          TEXT    NOT NULL,
	vendor            TEXT    NOT NULL,
	certificate_id    INTEGER NOT NULL,
	outcome           TEXT    NOT NULL,
	reason            TEXT    NOT NULL,
	vendor_message_id TEXT    NOT NULL,
	attempts          INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);

CREATE INDEX push_records_message_id ON push_records (sdk_app_id, message_id);
CREATE INDEX push_records_created_at ON push_records (sdk_app_id, created_at);
