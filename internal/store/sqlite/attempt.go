package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// AddPushAttempts stores the earlier tries as in one statement: the tries travel as one
// JSON array, joined to the app's records so that a try of a record the app does not
// have is skipped, and its message, user and device are the record's. A try already
// stored (same record and attempt) is kept.
func (db *DB) AddPushAttempts(ctx context.Context, sdkAppID int64, as []store.PushAttempt) error {
	if len(as) == 0 {
		return nil
	}
	type row struct {
		R int64  `json:"r"`
		A int    `json:"a"`
		T int64  `json:"t"`
		O string `json:"o"`
		S string `json:"s"`
	}
	rows := make([]row, len(as))
	for i, a := range as {
		rows[i] = row{a.RecordID, a.Attempt, ms(a.Time), a.Outcome, a.Reason}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("add push attempts: %w", err)
	}
	_, err = db.exec(ctx, `
		INSERT OR IGNORE INTO push_attempts
			(record_id, attempt, sdk_app_id, message_id, user_id, device_id, time, outcome, reason)
		SELECT r.id, json_extract(j.value, '$.a'), r.sdk_app_id, r.message_id, r.user_id, r.device_id,
			json_extract(j.value, '$.t'), json_extract(j.value, '$.o'), json_extract(j.value, '$.s')
		FROM json_each(?) j
		JOIN push_records r ON r.sdk_app_id = ? AND r.id = json_extract(j.value, '$.r')`,
		string(b), sdkAppID)
	if err != nil {
		return fmt.Errorf("add push attempts: %w", formatError(err))
	}
	return nil
}

// FindPushAttempts returns the earlier tries of one message's pushes, ordered by user,
// device and attempt.
func (db *DB) FindPushAttempts(ctx context.Context, sdkAppID int64, messageID string) ([]store.PushAttempt, error) {
	rows, err := db.reads.query(ctx, `
		SELECT sdk_app_id, record_id, message_id, user_id, device_id, attempt, time, outcome, reason
		FROM push_attempts
		WHERE sdk_app_id = ? AND message_id = ?
		ORDER BY user_id, device_id, record_id, attempt`, sdkAppID, messageID)
	if err != nil {
		return nil, fmt.Errorf("find push attempts: %w", err)
	}
	defer rows.Close()
	var out []store.PushAttempt
	for rows.Next() {
		var a store.PushAttempt
		var t int64
		if err := rows.Scan(&a.SDKAppID, &a.RecordID, &a.MessageID, &a.UserID, &a.DeviceID, &a.Attempt, &t, &a.Outcome, &a.Reason); err != nil {
			return nil, fmt.Errorf("find push attempts: %w", err)
		}
		a.Time = fromMS(t)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find push attempts: %w", err)
	}
	return out, nil
}
