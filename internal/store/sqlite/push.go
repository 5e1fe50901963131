package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// day is a UTC day in milliseconds: push records are counted per day.
const day = 24 * time.Hour

// BindPushToken binds token of certificate certID to the device and, in the same
// transaction and before binding, unbinds it from every other device of the app bound
// to the same certificate and token. It returns those devices as they are afterwards
// (unbound), ordered by user ID and device ID. An empty token unbinds the device and
// returns none. It returns store.ErrNotFound, changing nothing, if the device does not
// exist or, for a non-empty token, the app has no certificate certID.
func (db *DB) BindPushToken(ctx context.Context, sdkAppID int64, userID, deviceID string, certID int64, token string) ([]*store.Device, error) {
	var unbound []*store.Device
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		unbound = nil
		if token == "" {
			res, err := tx.ExecContext(ctx, `
				UPDATE devices SET certificate_id = 0, push_token = ''
				WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`, sdkAppID, userID, deviceID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return store.ErrNotFound
			}
			return nil
		}

		var n int
		err := tx.QueryRowContext(ctx, `
			SELECT count(*) FROM devices WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`,
			sdkAppID, userID, deviceID).Scan(&n)
		if err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		// A binding to a certificate that does not exist would never be cleared by
		// DeleteCertificate.
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM certificates WHERE sdk_app_id = ? AND id = ?`,
			sdkAppID, certID).Scan(&n)
		if err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("certificate %d: %w", certID, store.ErrNotFound)
		}

		rows, err := tx.QueryContext(ctx, `
			UPDATE devices SET certificate_id = 0, push_token = ''
			WHERE sdk_app_id = ? AND certificate_id = ? AND push_token = ? AND NOT (user_id = ? AND device_id = ?)
			RETURNING `+deviceColumns, sdkAppID, certID, token, userID, deviceID)
		if err != nil {
			return fmt.Errorf("unbind others: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDevice(rows)
			if err != nil {
				return fmt.Errorf("unbind others: %w", err)
			}
			unbound = append(unbound, d)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("unbind others: %w", err)
		}
		rows.Close()

		_, err = tx.ExecContext(ctx, `
			UPDATE devices SET certificate_id = ?, push_token = ?
			WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`, certID, token, sdkAppID, userID, deviceID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bind push token: %w", err)
	}
	sort.Slice(unbound, func(i, j int) bool {
		if unbound[i].UserID != unbound[j].UserID {
			return unbound[i].UserID < unbound[j].UserID
		}
		return unbound[i].DeviceID < unbound[j].DeviceID
	})
	return unbound, nil
}

// UnbindPushToken clears the binding of every device of the app bound to certID and
// token, and returns how many there were. An empty token matches nothing.
func (db *DB) UnbindPushToken(ctx context.Context, sdkAppID, certID int64, token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	res, err := db.exec(ctx, `
		UPDATE devices SET certificate_id = 0, push_token = ''
		WHERE sdk_app_id = ? AND certificate_id = ? AND push_token = ?`, sdkAppID, certID, token)
	if err != nil {
		return 0, fmt.Errorf("unbind push token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("unbind push token: %w", err)
	}
	return int(n), nil
}

// IncrementBadge adds one to the device's badge, atomically, and returns the new
// value; store.ErrNotFound if the device does not exist.
func (db *DB) IncrementBadge(ctx context.Context, sdkAppID int64, userID, deviceID string) (int, error) {
	var badge int
	err := db.execScan(ctx, []any{&badge}, `
		UPDATE devices SET badge = badge + 1
		WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?
		RETURNING badge`, sdkAppID, userID, deviceID)
	if err != nil {
		return 0, fmt.Errorf("increment badge: %w", notFound(err))
	}
	return badge, nil
}

// countKeys returns the distinct keys of ks, in the order they first appear, and how
// often each appears.
func countKeys(ks []store.DeviceKey) ([]store.DeviceKey, map[store.DeviceKey]int) {
	counts := make(map[store.DeviceKey]int, len(ks))
	keys := make([]store.DeviceKey, 0, len(ks))
	for _, k := range ks {
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	return keys, counts
}

// UpdatePushRecord changes the set fields of a record and sets its UpdatedAt;
// store.ErrNotFound if the app has no such record.
func (db *DB) UpdatePushRecord(ctx context.Context, sdkAppID, id int64, upd store.PushRecordUpdate) error {
	var s setter
	if upd.Outcome != nil {
		s.set("outcome = ?", *upd.Outcome)
	}
	if upd.Reason != nil {
		s.set("reason = ?", *upd.Reason)
	}
	if upd.VendorMessageID != nil {
		s.set("vendor_message_id = ?", *upd.VendorMessageID)
	}
	if upd.Attempts != nil {
		s.set("attempts = ?", *upd.Attempts)
	}
	s.set("updated_at = ?", ms(db.Now()))
	if err := db.execUpdate(ctx, "push_records", &s, "sdk_app_id = ? AND id = ?", sdkAppID, id); err != nil {
		return fmt.Errorf("update push record: %w", err)
	}
	return nil
}

// RedecidePushRecord sets the record's decision, vendor, certificate and outcome if its
// decision is still from, and reports whether it did.
func (db *DB) RedecidePushRecord(ctx context.Context, sdkAppID, id int64, from string, to store.PushRedecision) (bool, error) {
	res, err := db.exec(ctx, `
		UPDATE push_records SET decision = ?, vendor = ?, certificate_id = ?, outcome = ?, updated_at = ?
		WHERE sdk_app_id = ? AND id = ? AND decision = ?`,
		to.Decision, to.Vendor, to.CertificateID, to.Outcome, ms(db.Now()), sdkAppID, id, from)
	if err != nil {
		return false, fmt.Errorf("redecide push record: %w", formatError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("redecide push record: %w", err)
	}
	return n == 1, nil
}

// nullable returns *p, or nil (NULL) for a nil p.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// FindDevicePushRecord returns one device's record of a message; store.ErrNotFound if
// there is none (yet).
func (db *DB) FindDevicePushRecord(ctx context.Context, sdkAppID int64, messageID, userID, deviceID string) (*store.PushRecord, error) {
	r, err := scanPushRecord(db.reads.queryRow(ctx, `
		SELECT `+pushRecordColumns+` FROM push_records
		WHERE sdk_app_id = ? AND message_id = ? AND user_id = ? AND device_id = ?
		ORDER BY id LIMIT 1`, sdkAppID, messageID, userID, deviceID))
	if err != nil {
		return nil, fmt.Errorf("find push record: %w", notFound(err))
	}
	return r, nil
}

// FindPushRecords returns the records of one message of the app, ordered by ID.
func (db *DB) FindPushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushRecord, error) {
	rows, err := db.reads.query(ctx, `
		SELECT `+pushRecordColumns+` FROM push_records
		WHERE sdk_app_id = ? AND message_id = ?
		ORDER BY id`, sdkAppID, messageID)
	if err != nil {
		return nil, fmt.Errorf("find push records: %w", err)
	}
	defer rows.Close()
	var rs []*store.PushRecord
	for rows.Next() {
		r, err := scanPushRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("find push records: %w", err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find push records: %w", err)
	}
	return rs, nil
}

// CountPushRecords counts the app's records created in [from, to), grouped by UTC day,
// vendor, decision and outcome, ordered by those four.
func (db *DB) CountPushRecords(ctx context.Context, sdkAppID int64, from, to time.Time) ([]*store.PushCount, error) {
	// Integer division of Unix milliseconds by a day's length gives the UTC day for
	// every time after 1970.
	rows, err := db.reads.query(ctx, `
		SELECT created_at / ? AS day, vendor, decision, outcome, count(*)
		FROM push_records
		WHERE sdk_app_id = ? AND created_at >= ? AND created_at < ?
		GROUP BY day, vendor, decision, outcome
		ORDER BY day, vendor, decision, outcome`, day.Milliseconds(), sdkAppID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("count push records: %w", err)
	}
	defer rows.Close()
	var cs []*store.PushCount
	for rows.Next() {
		var c store.PushCount
		var d int64
		if err := rows.Scan(&d, &c.Vendor, &c.Decision, &c.Outcome, &c.Count); err != nil {
			return nil, fmt.Errorf("count push records: %w", err)
		}
		c.Day = time.UnixMilli(d * day.Milliseconds()).UTC()
		cs = append(cs, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count push records: %w", err)
	}
	return cs, nil
}

const pushRecordColumns = `id, sdk_app_id, message_id, user_id, device_id, kind, decision, vendor, certificate_id,
	outcome, reason, vendor_message_id, attempts, duplicate_possible, created_at, updated_at`

func scanPushRecord(row scanner) (*store.PushRecord, error) {
	var r store.PushRecord
	var createdAt, updatedAt int64
	err := row.Scan(&r.ID, &r.SDKAppID, &r.MessageID, &r.UserID, &r.DeviceID, &r.Kind, &r.Decision, &r.Vendor,
		&r.CertificateID, &r.Outcome, &r.Reason, &r.VendorMessageID, &r.Attempts, &r.DuplicatePossible, &createdAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(createdAt), fromMS(updatedAt)
	return &r, nil
}
