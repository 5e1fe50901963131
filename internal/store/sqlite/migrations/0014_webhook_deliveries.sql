-- The webhook delivery log: one row per request to an app's callback URL (the console's
-- Webhooks page). Rows older than the retention sweep's cut are deleted hourly.
CREATE TABLE webhook_deliveries (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	sdk_app_id  INTEGER NOT NULL,
	command     TEXT    NOT NULL,
	events      INTEGER NOT NULL,
	result      TEXT    NOT NULL, -- delivered, retry, given_up, failed
	http_status INTEGER NOT NULL, -- 0: no answer
	error       TEXT    NOT NULL,
	duration_ms INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
);

CREATE INDEX webhook_deliveries_app ON webhook_deliveries (sdk_app_id, created_at);
