package postgres

import (
	"context"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// AddPushAttempts stores the earlier tries as in one statement: the tries travel as
// arrays, joined to the app's records so that a try of a record the app does not have
// is skipped, and its message, user and device are the record's. A try already stored
// (same record and attempt) is kept.
func (db *DB) AddPushAttempts(ctx context.Context, sdkAppID int64, as []store.PushAttempt) error {
	if len(as) == 0 {
		return nil
	}
	n := len(as)
	ids, attempts, times := make([]int64, n), make([]int32, n), make([]int64, n)
	outcomes, reasons := make([]string, n), make([]string, n)
	for i, a := range as {
		ids[i], attempts[i], times[i] = a.RecordID, int32(a.Attempt), ms(a.Time)
		outcomes[i], reasons[i] = a.Outcome, a.Reason
	}
	_, err := db.pool.Exec(ctx, `
		INSERT INTO push_attempts
			(record_id, attempt, sdk_app_id, message_id, user_id, device_id, time, outcome, reason)
		SELECT r.id, u.attempt, r.sdk_app_id, r.message_id, r.user_id, r.device_id, u.time, u.outcome, u.reason
		FROM unnest($2::bigint[], $3::int[], $4::bigint[], $5::text[], $6::text[])
			AS u (record_id, attempt, time, outcome, reason)
		JOIN push_records r ON r.sdk_app_id = $1 AND r.id = u.record_id
		ON CONFLICT (record_id, attempt) DO NOTHING`,
		sdkAppID, ids, attempts, times, outcomes, reasons)
	if err != nil {
		return fmt.Errorf("add push attempts: %w", err)
	}
	return nil
}

// FindPushAttempts returns the earlier tries of one message's pushes, ordered by user,
// device and attempt.
func (db *DB) FindPushAttempts(ctx context.Context, sdkAppID int64, messageID string) ([]store.PushAttempt, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT sdk_app_id, record_id, message_id, user_id, device_id, attempt, time, outcome, reason
		FROM push_attempts
		WHERE sdk_app_id = $1 AND message_id = $2
		ORDER BY user_id, device_id, record_id, attempt`, sdkAppID, messageID)
	if err != nil {
		return nil, fmt.Errorf("find push attempts: %w", err)
	}
	as, err := collect(rows, func(row scanner) (store.PushAttempt, error) {
		var a store.PushAttempt
		var t int64
		err := row.Scan(&a.SDKAppID, &a.RecordID, &a.MessageID, &a.UserID, &a.DeviceID, &a.Attempt, &t, &a.Outcome, &a.Reason)
		a.Time = fromMS(t)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("find push attempts: %w", err)
	}
	return as, nil
}
