package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// The push pipeline's hot writes are set-based: a batch of records or badges is a
// few multi-row statements (VALUES lists of bound parameters, in chunks of at most
// maxChunkRows rows) instead of one statement per row, since modernc.org/sqlite pays
// a Go-to-C round trip, a rebind and a step per statement. Bound values, not a JSON
// array expanded by json_each: parsing the JSON back was ~40 % of these writes' CPU.
// Each batch runs in one transaction on the single writer, which also makes a read and
// the write that follows it one step. Lists of IDs stay JSON arrays of numbers
// (json_each of scalars costs next to nothing).

// maxChunkRows is the most rows one statement binds; a batch goes in chunks of
// maxChunkRows, then of the powers of two below it for the rest, so each statement
// has a handful of texts, all prepared at Open.
const maxChunkRows = 64

// chunkSizes are the row counts of the chunks: maxChunkRows and the powers of two below.
var chunkSizes = func() []int {
	var ks []int
	for k := maxChunkRows; k >= 1; k /= 2 {
		ks = append(ks, k)
	}
	return ks
}()

// chunks calls f with successive chunks [i, i+k) of n rows, k from chunkSizes.
func chunks(n int, f func(i, k int) error) error {
	for i := 0; i < n; {
		k := maxChunkRows
		for k > n-i {
			k /= 2
		}
		if err := f(i, k); err != nil {
			return err
		}
		i += k
	}
	return nil
}

// bySize builds a statement's text for each chunk size.
func bySize(query func(rows int) string) map[int]string {
	m := make(map[int]string, len(chunkSizes))
	for _, k := range chunkSizes {
		m[k] = query(k)
	}
	return m
}

// valuesList is "(?,?),(?,?)…": rows rows of cols parameters.
func valuesList(rows, cols int) string {
	row := "(" + strings.Repeat("?,", cols-1) + "?)"
	return strings.Repeat(row+",", rows-1) + row
}

// insertPushRecordsQueries insert rows of 14 values. push_records.id is AUTOINCREMENT,
// so one statement gives its rows consecutive IDs in VALUES order, the last being
// last_insert_rowid().
var insertPushRecordsQueries = bySize(func(rows int) string {
	return `INSERT INTO push_records (sdk_app_id, message_id, user_id, device_id, decision, vendor, certificate_id,
		outcome, reason, vendor_message_id, attempts, created_at, updated_at, kind) VALUES ` + valuesList(rows, 14)
})

// updatePushRecordsQueries apply rows of (id, outcome, reason, vendor_message_id,
// attempts, if_sending); a null leaves its column alone. In this file, "+sdk_app_id"
// keeps SQLite from the indexes that start with the app (a scan of all its records):
// each record is found by its ID.
var updatePushRecordsQueries = bySize(func(rows int) string {
	return `UPDATE push_records AS r SET outcome = coalesce(u.column2, r.outcome), reason = coalesce(u.column3, r.reason),
		vendor_message_id = coalesce(u.column4, r.vendor_message_id),
		attempts = coalesce(u.column5, r.attempts), updated_at = ?
	FROM (VALUES ` + valuesList(rows, 6) + `) AS u
	WHERE r.id = u.column1 AND +r.sdk_app_id = ?
		AND (u.column6 IS NULL OR (r.outcome = 'sending' AND r.attempts = u.column6))`
})

// incrementBadgesQueries add n to each (user_id, device_id, n) row, each device one
// primary-key lookup driven by the VALUES list.
var incrementBadgesQueries = bySize(func(rows int) string {
	return `UPDATE devices AS d SET badge = d.badge + u.column3
	FROM (VALUES ` + valuesList(rows, 3) + `) AS u
	WHERE d.sdk_app_id = ? AND d.user_id = u.column1 AND d.device_id = u.column2
	RETURNING user_id, device_id, badge`
})

// claimQueuedQuery claims in one statement the records of a JSON array of IDs that
// wait for exactly this attempt (queued after attempt-1 tries): a send job's first
// delivery. findClaimQuery and markClaimQuery then do the rest: the records left, and
// the claimed ones of those (and, of those, the reclaimed) marked.
const (
	claimQueuedQuery = `
		UPDATE push_records SET outcome = ?, attempts = ?, updated_at = ?
		WHERE +sdk_app_id = ? AND id IN (SELECT value FROM json_each(?)) AND outcome = 'queued' AND attempts = ?
		RETURNING id`
	findClaimQuery = `
		SELECT id, outcome, attempts, updated_at FROM push_records
		WHERE +sdk_app_id = ? AND id IN (SELECT value FROM json_each(?))`
	markClaimQuery = `
		UPDATE push_records SET outcome = ?, attempts = ?, updated_at = ?,
			duplicate_possible = duplicate_possible OR id IN (SELECT value FROM json_each(?))
		WHERE +sdk_app_id = ? AND id IN (SELECT value FROM json_each(?))`
)

// pushBatchQueries are this file's statements, prepared at Open with txQueries.
var pushBatchQueries = slices.Concat([]string{claimQueuedQuery, findClaimQuery, markClaimQuery},
	slices.Collect(maps.Values(insertPushRecordsQueries)),
	slices.Collect(maps.Values(updatePushRecordsQueries)),
	slices.Collect(maps.Values(incrementBadgesQueries)))

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
	var badges map[store.DeviceKey]int
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		badges = make(map[store.DeviceKey]int, len(keys))
		args := make([]any, 0, 3*maxChunkRows+1)
		return chunks(len(keys), func(i, k int) error {
			args = args[:0]
			for _, key := range keys[i : i+k] {
				args = append(args, key.UserID, key.DeviceID, counts[key])
			}
			rows, err := db.writes.txQuery(ctx, tx, incrementBadgesQueries[k], append(args, sdkAppID)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var key store.DeviceKey
				var badge int
				if err := rows.Scan(&key.UserID, &key.DeviceID, &badge); err != nil {
					return err
				}
				badges[key] = badge
			}
			return rows.Err()
		})
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
	for i, r := range rs {
		times[i] = now
		if !r.CreatedAt.IsZero() {
			times[i] = r.CreatedAt.UTC().Truncate(time.Millisecond)
		}
	}
	ids := make([]int64, len(rs))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		args := make([]any, 0, 14*maxChunkRows)
		return chunks(len(rs), func(i, k int) error {
			args = args[:0]
			for j, r := range rs[i : i+k] {
				t := ms(times[i+j])
				args = append(args, r.SDKAppID, r.MessageID, r.UserID, r.DeviceID, r.Decision, r.Vendor, r.CertificateID,
					r.Outcome, r.Reason, r.VendorMessageID, r.Attempts, t, t, r.Kind)
			}
			res, err := db.writes.txExec(ctx, tx, insertPushRecordsQueries[k], args...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != int64(k) {
				return fmt.Errorf("inserted %d of %d records", n, k)
			}
			last, err := res.LastInsertId()
			if err != nil {
				return err
			}
			for j := range k {
				ids[i+j] = last - int64(k-1-j)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("create push records: %w", err)
	}
	for i, r := range rs {
		r.ID, r.CreatedAt, r.UpdatedAt = ids[i], times[i], times[i]
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
	ids := make([]int64, 0, len(upds))
	for id := range upds {
		ids = append(ids, id)
	}
	slices.Sort(ids) // in key order: the pages of the records in one pass
	now := ms(db.Now())
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		args := make([]any, 0, 6*maxChunkRows+2)
		return chunks(len(ids), func(i, k int) error {
			args = append(args[:0], now)
			for _, id := range ids[i : i+k] {
				u := upds[id]
				args = append(args, id, nullable(u.Outcome), nullable(u.Reason), nullable(u.VendorMessageID),
					nullable(u.Attempts), nullable(u.IfSending))
			}
			res, err := db.writes.txExec(ctx, tx, updatePushRecordsQueries[k], append(args, sdkAppID)...)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			n += m
			return err
		})
	})
	if err != nil {
		return 0, fmt.Errorf("update push records: %w", err)
	}
	return int(n), nil
}

// ClaimPushRecords marks the records that are due for attempt as being sent, in one
// transaction: SQLite's single writer makes the read and the write one step. The
// records queued for this attempt are claimed by one statement; only the others are
// read first.
func (db *DB) ClaimPushRecords(ctx context.Context, sdkAppID int64, ids []int64, attempt int, reclaimBefore time.Time) (map[int64]store.Claim, error) {
	claims := make(map[int64]store.Claim, len(ids))
	if len(ids) == 0 {
		return claims, nil
	}
	now := ms(db.Now())
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		clear(claims)
		rows, err := db.writes.txQuery(ctx, tx, claimQueuedQuery, store.OutcomeSending, attempt, now, sdkAppID, jsonInts(ids), attempt-1)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			claims[id] = store.Claim{Claimed: true, Outcome: "queued", Attempts: attempt - 1}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(claims) == len(ids) {
			return nil
		}
		var rest []int64
		for _, id := range ids {
			if _, ok := claims[id]; !ok {
				rest = append(rest, id)
			}
		}
		rows, err = db.writes.txQuery(ctx, tx, findClaimQuery, sdkAppID, jsonInts(rest))
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
