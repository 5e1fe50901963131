package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/store"
)

// The push pipeline's hot writes are set-based: a batch of records or badges is one
// JSON array parameter, expanded by json_each inside one statement, so a batch of 500
// costs one statement step instead of 500 (modernc.org/sqlite pays a Go-to-C round
// trip, a rebind and a step per statement). Each runs in one transaction on the single
// writer, which also makes a read and the write that follows it one step.

// insertPushRecordsQuery inserts the rows of a JSON array of arrays, in array order.
// push_records.id is AUTOINCREMENT, so one statement gives its rows consecutive IDs in
// that order, the last being last_insert_rowid().
const insertPushRecordsQuery = `
	INSERT INTO push_records (sdk_app_id, message_id, user_id, device_id, decision, vendor, certificate_id,
		outcome, reason, vendor_message_id, attempts, created_at, updated_at, kind)
	SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
		value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 11, value ->> 12
	FROM json_each(?) ORDER BY key`

// updatePushRecordsQuery applies a JSON array of [id, outcome, reason,
// vendor_message_id, attempts, if_sending] updates; a null leaves its column alone.
// In this file, "+sdk_app_id" keeps SQLite from the indexes that start with the app
// (a scan of all its records): each record is found by its ID.
const updatePushRecordsQuery = `
	UPDATE push_records AS r SET outcome = coalesce(u.outcome, r.outcome), reason = coalesce(u.reason, r.reason),
		vendor_message_id = coalesce(u.vendor_message_id, r.vendor_message_id),
		attempts = coalesce(u.attempts, r.attempts), updated_at = ?
	FROM (SELECT value ->> 0 AS id, value ->> 1 AS outcome, value ->> 2 AS reason, value ->> 3 AS vendor_message_id,
			value ->> 4 AS attempts, value ->> 5 AS if_sending
		FROM json_each(?)) AS u
	WHERE r.id = u.id AND +r.sdk_app_id = ?
		AND (u.if_sending IS NULL OR (r.outcome = 'sending' AND r.attempts = u.if_sending))`

// incrementBadgesQuery adds n to each [user_id, device_id, n] of a JSON array. The
// LIMIT -1 keeps the list a materialized subquery that drives the join, so each device
// is one primary-key lookup (flattened, SQLite would scan the app's devices).
const incrementBadgesQuery = `
	UPDATE devices AS d SET badge = d.badge + u.n
	FROM (SELECT value ->> 0 AS user_id, value ->> 1 AS device_id, value ->> 2 AS n FROM json_each(?) LIMIT -1) AS u
	WHERE d.sdk_app_id = ? AND d.user_id = u.user_id AND d.device_id = u.device_id
	RETURNING user_id, device_id, badge`

// findClaimQuery and markClaimQuery are ClaimPushRecords' two statements: the records
// of a JSON array of IDs, then the claimed ones (and, of those, the reclaimed) marked.
const (
	findClaimQuery = `
		SELECT id, outcome, attempts, updated_at FROM push_records
		WHERE +sdk_app_id = ? AND id IN (SELECT value FROM json_each(?))`
	markClaimQuery = `
		UPDATE push_records SET outcome = ?, attempts = ?, updated_at = ?,
			duplicate_possible = duplicate_possible OR id IN (SELECT value FROM json_each(?))
		WHERE +sdk_app_id = ? AND id IN (SELECT value FROM json_each(?))`
)

// pushBatchQueries are this file's statements, prepared at Open with txQueries.
var pushBatchQueries = []string{insertPushRecordsQuery, updatePushRecordsQuery, incrementBadgesQuery, findClaimQuery, markClaimQuery}

// IncrementBadges adds one to the badge of each device in devices, in one
// transaction, and returns the new values. A device named n times gains n and maps to
// its value after all of them. Devices the app does not have are left out of the map;
// that is not an error. Each device's increment is atomic: concurrent calls and
// IncrementBadge never see the same value for one device.
func (db *DB) IncrementBadges(ctx context.Context, sdkAppID int64, devices []store.DeviceKey) (map[store.DeviceKey]int, error) {
	if len(devices) == 0 {
		return map[store.DeviceKey]int{}, nil
	}
	keys, counts := countKeys(devices)
	b := make([]byte, 0, 48*len(keys))
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, k.UserID)
		b = append(b, ',')
		b = appendJSONString(b, k.DeviceID)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(counts[k]), 10)
		b = append(b, ']')
	}
	b = append(b, ']')
	var badges map[store.DeviceKey]int
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		badges = make(map[store.DeviceKey]int, len(keys))
		rows, err := db.writes.txQuery(ctx, tx, incrementBadgesQuery, string(b), sdkAppID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k store.DeviceKey
			var badge int
			if err := rows.Scan(&k.UserID, &k.DeviceID, &badge); err != nil {
				return err
			}
			badges[k] = badge
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("increment badges: %w", err)
	}
	return badges, nil
}

// CreatePushRecords stores rs in one transaction. Once it has committed, each record
// has its ID, a CreatedAt (now, when it was zero; kept at millisecond precision) and an
// UpdatedAt equal to CreatedAt.
func (db *DB) CreatePushRecords(ctx context.Context, rs []*store.PushRecord) error {
	if len(rs) == 0 {
		return nil
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	times := make([]time.Time, len(rs))
	b := make([]byte, 0, 160*len(rs))
	b = append(b, '[')
	for i, r := range rs {
		times[i] = now
		if !r.CreatedAt.IsZero() {
			times[i] = r.CreatedAt.UTC().Truncate(time.Millisecond)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, r.SDKAppID, 10)
		for _, s := range [...]string{r.MessageID, r.UserID, r.DeviceID, r.Decision, r.Vendor} {
			b = append(b, ',')
			b = appendJSONString(b, s)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, r.CertificateID, 10)
		for _, s := range [...]string{r.Outcome, r.Reason, r.VendorMessageID} {
			b = append(b, ',')
			b = appendJSONString(b, s)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.Attempts), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, ms(times[i]), 10)
		b = append(b, ',')
		b = appendJSONString(b, r.Kind)
		b = append(b, ']')
	}
	b = append(b, ']')
	var last int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := db.writes.txExec(ctx, tx, insertPushRecordsQuery, string(b))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n != int64(len(rs)) {
			return fmt.Errorf("inserted %d of %d records", n, len(rs))
		}
		last, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmt.Errorf("create push records: %w", err)
	}
	first := last - int64(len(rs)) + 1
	for i, r := range rs {
		r.ID, r.CreatedAt, r.UpdatedAt = first+int64(i), times[i], times[i]
	}
	return nil
}

// UpdatePushRecords applies upds, by record ID, in one transaction: each changes the
// set fields of one record and sets its UpdatedAt, as UpdatePushRecord does. IDs the
// app has no record of are skipped; it returns how many records it updated.
func (db *DB) UpdatePushRecords(ctx context.Context, sdkAppID int64, upds map[int64]store.PushRecordUpdate) (int, error) {
	if len(upds) == 0 {
		return 0, nil
	}
	b := make([]byte, 0, 64*len(upds))
	b = append(b, '[')
	first := true
	for id, u := range upds {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '[')
		b = strconv.AppendInt(b, id, 10)
		for _, s := range [...]*string{u.Outcome, u.Reason, u.VendorMessageID} {
			b = append(b, ',')
			if s == nil {
				b = append(b, "null"...)
			} else {
				b = appendJSONString(b, *s)
			}
		}
		for _, n := range [...]*int{u.Attempts, u.IfSending} {
			b = append(b, ',')
			if n == nil {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendInt(b, int64(*n), 10)
			}
		}
		b = append(b, ']')
	}
	b = append(b, ']')
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := db.writes.txExec(ctx, tx, updatePushRecordsQuery, ms(db.Now()), string(b), sdkAppID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("update push records: %w", err)
	}
	return int(n), nil
}

// ClaimPushRecords marks the records that are due for attempt as being sent, in one
// transaction: SQLite's single writer makes the read and the write one step.
func (db *DB) ClaimPushRecords(ctx context.Context, sdkAppID int64, ids []int64, attempt int, reclaimBefore time.Time) (map[int64]store.Claim, error) {
	claims := make(map[int64]store.Claim, len(ids))
	if len(ids) == 0 {
		return claims, nil
	}
	now := ms(db.Now())
	all := jsonInts(ids)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		clear(claims)
		rows, err := db.writes.txQuery(ctx, tx, findClaimQuery, sdkAppID, all)
		if err != nil {
			return err
		}
		var claimed, reclaimed []int64
		for rows.Next() {
			var id, updatedAt int64
			var outcome string
			var attempts int
			if err := rows.Scan(&id, &outcome, &attempts, &updatedAt); err != nil {
				rows.Close()
				return err
			}
			c := store.Claimable(outcome, attempts, fromMS(updatedAt), attempt, reclaimBefore)
			if c.Claimed {
				claimed = append(claimed, id)
				if c.Reclaimed {
					reclaimed = append(reclaimed, id)
				}
			}
			claims[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(claimed) == 0 {
			return nil
		}
		_, err = db.writes.txExec(ctx, tx, markClaimQuery, store.OutcomeSending, attempt, now, jsonInts(reclaimed), sdkAppID, jsonInts(claimed))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim push records: %w", err)
	}
	return claims, nil
}

// jsonInts encodes ids as a JSON array for json_each.
func jsonInts(ids []int64) string {
	b := make([]byte, 0, 12*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// appendJSONString appends s as a JSON string: plain printable ASCII as is, anything
// else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
