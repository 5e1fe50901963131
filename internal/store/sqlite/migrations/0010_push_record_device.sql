-- An unacknowledged online delivery looks up one device's record of a message, which in
-- a large group is one of many: index the device too. It serves the message lookups.
CREATE INDEX push_records_message_device ON push_records (sdk_app_id, message_id, user_id, device_id);
DROP INDEX push_records_message_id;
