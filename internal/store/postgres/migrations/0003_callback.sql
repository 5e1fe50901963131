-- Webhooks: each app's callback URL and the secret that signs its requests.
ALTER TABLE apps ADD COLUMN callback_url    TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN callback_secret TEXT NOT NULL DEFAULT '';
