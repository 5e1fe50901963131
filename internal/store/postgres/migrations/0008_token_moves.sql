-- Token moves: every time a vendor token left one device for another (a phone's new
-- user, or a hijack attempt), for the device history; and the app's rule for moves.
CREATE TABLE token_moves (
	id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sdk_app_id     BIGINT  NOT NULL,
	certificate_id BIGINT  NOT NULL,
	token          TEXT    NOT NULL, -- redacted: a prefix only
	from_user      TEXT    NOT NULL,
	from_device    TEXT    NOT NULL,
	to_user        TEXT    NOT NULL,
	to_device      TEXT    NOT NULL,
	created_at     BIGINT  NOT NULL
);
CREATE INDEX token_moves_to ON token_moves (sdk_app_id, to_user, created_at);
CREATE INDEX token_moves_from ON token_moves (sdk_app_id, from_user, created_at);

ALTER TABLE apps ADD COLUMN token_move_policy TEXT NOT NULL DEFAULT '';
