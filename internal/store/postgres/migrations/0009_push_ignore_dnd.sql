-- An admin send that overrides the recipients' do-not-disturb and mute settings keeps
-- that with the message, so that a push planned later by the sweep (its first plan job
-- lost to a crash or a NATS outage) overrides them too.
ALTER TABLE messages ADD COLUMN push_ignore_dnd BOOLEAN NOT NULL DEFAULT FALSE;
