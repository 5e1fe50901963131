-- Token moves: every time a vendor token left one device for another (a phone's new
-- user, or a hijack attempt), for the device history; and the app's rule for moves.
CREATE TABLE token_moves (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	sdk_app_id     INTEGER NOT NULL,
	certificate_id INTEGER NOT NULL,
	token          TEXT    NOT NULL, -- redacted: a prefix only
	from_user      TEXT    NOT NULL,
	from_device    TEXT    NOT NULL,
	to_user        TEXT    NOT NULL,
	to_device      TEXT    NOT NULL,
	created_at     INTEGER NOT NULL
);
CREATE INDEX token_moves_to ON token_moves (sdk_app_id, to_user, created_at);
CREATE INDEX token_moves_from ON token_moves (sdk_app_id, from_user, created_at);

ALTER TABLE apps ADD COLUMN token_move_policy TEXT NOT NULL DEFAULT '';
