package postgres

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// day is a UTC day: push records are counted per day.
const day = 24 * time.Hour

// BindPushToken binds token of certificate certID to the device and, in the same
// transaction and before binding, unbinds it from every other device of the app bound
// to the same certificate and token. It returns those devices as they are afterwards
// (unbound), ordered by user ID and device ID. An empty token unbinds the device and
// returns none. It returns store.ErrNotFound, changing nothing, if the device does not
// exist or, for a non-empty token, the app has no certificate certID.
//
// Binds of one token take turns on a transaction-scoped advisory lock, so that two
// devices binding the same token at once never both keep it.
func (db *DB) BindPushToken(ctx context.Context, sdkAppID int64, userID, deviceID string, certID int64, token string) ([]*store.Device, error) {
	var unbound []*store.Device
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		unbound = nil
		if token == "" {
			tag, err := tx.Exec(ctx, `
				UPDATE devices SET certificate_id = 0, push_token = ''
				WHERE sdk_app_id = $1 AND user_id = $2 AND device_id = $3`, sdkAppID, userID, deviceID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return store.ErrNotFound
			}
			return nil
		}

		key := "herald bind " + strconv.FormatInt(sdkAppID, 10) + " " + strconv.FormatInt(certID, 10) + " " + token
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
			return fmt.Errorf("lock token: %w", err)
		}
		var n int
		err := tx.QueryRow(ctx, `
			SELECT count(*) FROM devices WHERE sdk_app_id = $1 AND user_id = $2 AND device_id = $3`,
			sdkAppID, userID, deviceID).Scan(&n)
		if err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		// A binding to a certificate that does not exist would never be cleared by
		// DeleteCertificate. The key-share lock makes a concurrent DeleteCertificate
		// wait for this transaction, and then unbind what it bound.
		var one int
		err = tx.QueryRow(ctx, `SELECT 1 FROM certificates WHERE sdk_app_id = $1 AND id = $2 FOR KEY SHARE`,
			sdkAppID, certID).Scan(&one)
		if err != nil {
			return fmt.Errorf("certificate %d: %w", certID, notFound(err))
		}

		rows, err := tx.Query(ctx, `
			UPDATE devices SET certificate_id = 0, push_token = ''
			WHERE sdk_app_id = $1 AND certificate_id = $2 AND push_token = $3 AND NOT (user_id = $4 AND device_id = $5)
			RETURNING `+deviceColumns, sdkAppID, certID, token, userID, deviceID)
		if err != nil {
			return fmt.Errorf("unbind others: %w", err)
		}
		if unbound, err = collect(rows, scanDevice); err != nil {
			return fmt.Errorf("unbind others: %w", err)
		}

		_, err = tx.Exec(ctx, `
			UPDATE devices SET certificate_id = $1, push_token = $2
			WHERE sdk_app_id = $3 AND user_id = $4 AND device_id = $5`, certID, token, sdkAppID, userID, deviceID)
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
	tag, err := db.pool.Exec(ctx, `
		UPDATE devices SET certificate_id = 0, push_token = ''
		WHERE sdk_app_id = $1 AND certificate_id = $2 AND push_token = $3`, sdkAppID, certID, token)
	if err != nil {
		return 0, fmt.Errorf("unbind push token: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// IncrementBadge adds one to the device's badge, atomically, and returns the new
// value; store.ErrNotFound if the device does not exist.
func (db *DB) IncrementBadge(ctx context.Context, sdkAppID int64, userID, deviceID string) (int, error) {
	var badge int
	err := db.pool.QueryRow(ctx, `
		UPDATE devices SET badge = badge + 1
		WHERE sdk_app_id = $1 AND user_id = $2 AND device_id = $3
		RETURNING badge`, sdkAppID, userID, deviceID).Scan(&badge)
	if err != nil {
		return 0, fmt.Errorf("increment badge: %w", notFound(err))
	}
	return badge, nil
}

// IncrementBadges adds one to the badge of each device in devices, in one
// transaction, and returns the new values. A device named n times gains n and maps to
// its value after all of them. Devices the app does not have are left out of the map;
// that is not an error. Each device's increment is atomic: concurrent calls and
// IncrementBadge never see the same value for one device.
func (db *DB) IncrementBadges(ctx context.Context, sdkAppID int64, devices []store.DeviceKey) (map[store.DeviceKey]int, error) {
	badges := map[store.DeviceKey]int{}
	if len(devices) == 0 {
		return badges, nil
	}
	counts := make(map[store.DeviceKey]int32, len(devices))
	for _, k := range devices {
		counts[k]++
	}
	keys := make([]store.DeviceKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].UserID != keys[j].UserID {
			return keys[i].UserID < keys[j].UserID
		}
		return keys[i].DeviceID < keys[j].DeviceID
	})
	users, deviceIDs, ns := make([]string, len(keys)), make([]string, len(keys)), make([]int32, len(keys))
	for i, k := range keys {
		users[i], deviceIDs[i], ns[i] = k.UserID, k.DeviceID, counts[k]
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		clear(badges)
		// The rows are locked in key order before the update, whose join order is the
		// planner's: two batches over the same devices then wait for each other instead
		// of deadlocking.
		_, err := tx.Exec(ctx, `
			SELECT 1 FROM devices
			WHERE sdk_app_id = $1 AND (user_id, device_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))
			ORDER BY user_id, device_id
			FOR NO KEY UPDATE`, sdkAppID, users, deviceIDs)
		if err != nil {
			return fmt.Errorf("lock devices: %w", err)
		}
		rows, err := tx.Query(ctx, `
			UPDATE devices d SET badge = d.badge + k.n
			FROM unnest($2::text[], $3::text[], $4::int[]) AS k (user_id, device_id, n)
			WHERE d.sdk_app_id = $1 AND d.user_id = k.user_id AND d.device_id = k.device_id
			RETURNING d.user_id, d.device_id, d.badge`, sdkAppID, users, deviceIDs, ns)
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

// CreatePushRecords stores rs in one transaction, maybe shared with concurrent writes
// (group commit). Once it has committed, each record
// has its ID, a CreatedAt (now, when it was zero; kept at millisecond precision) and an
// UpdatedAt equal to CreatedAt.
func (db *DB) CreatePushRecords(ctx context.Context, rs []*store.PushRecord) error {
	if len(rs) == 0 {
		return nil
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	n := len(rs)
	times := make([]time.Time, n)
	// One array per column, for unnest.
	apps, certs, created := make([]int64, n), make([]int64, n), make([]int64, n)
	msgIDs, users, devices := make([]string, n), make([]string, n), make([]string, n)
	decisions, vendors, outcomes := make([]string, n), make([]string, n), make([]string, n)
	reasons, vendorMsgIDs, attempts := make([]string, n), make([]string, n), make([]int32, n)
	kinds := make([]string, n)
	var ids []int64
	for i, r := range rs {
		times[i] = now
		if !r.CreatedAt.IsZero() {
			times[i] = r.CreatedAt.UTC().Truncate(time.Millisecond)
		}
		apps[i], msgIDs[i], users[i], devices[i], decisions[i] = r.SDKAppID, r.MessageID, r.UserID, r.DeviceID, r.Decision
		vendors[i], certs[i], outcomes[i], reasons[i] = r.Vendor, r.CertificateID, r.Outcome, r.Reason
		vendorMsgIDs[i], attempts[i], created[i] = r.VendorMessageID, int32(r.Attempts), ms(times[i])
		kinds[i] = r.Kind
	}
	err := db.groupExec(ctx, &groupWrite{
		sql: createPushRecordsQuery,
		args: []any{apps, msgIDs, users, devices, decisions, vendors, certs, outcomes, reasons, vendorMsgIDs,
			attempts, created, kinds},
		read: func(rows pgx.Rows) error {
			ids = make([]int64, 0, n)
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return rows.Err()
		},
	})
	if err != nil {
		return fmt.Errorf("create push records: %w", err)
	}
	for i, r := range rs {
		r.ID, r.CreatedAt, r.UpdatedAt = ids[i], times[i], times[i]
	}
	return nil
}

// createPushRecordsQuery is CreatePushRecords' one statement. It draws the IDs first,
// in input order, and returns them in that order: RETURNING does not promise to follow
// the order of the input. The CTE r, read twice, is evaluated once.
const createPushRecordsQuery = `
	WITH r AS MATERIALIZED (
		SELECT nextval(pg_get_serial_sequence('push_records', 'id')) AS id, r.*
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::bigint[], $8::text[], $9::text[], $10::text[], $11::int[], $12::bigint[], $13::text[])
			WITH ORDINALITY AS r (sdk_app_id, message_id, user_id, device_id, decision, vendor, certificate_id,
				outcome, reason, vendor_message_id, attempts, created_at, kind, ord)
		ORDER BY r.ord
	), ins AS (
		INSERT INTO push_records (id, sdk_app_id, message_id, user_id, device_id, decision, vendor, certificate_id,
			outcome, reason, vendor_message_id, attempts, created_at, updated_at, kind)
		OVERRIDING SYSTEM VALUE
		SELECT id, sdk_app_id, message_id, user_id, device_id, decision, vendor, certificate_id,
			outcome, reason, vendor_message_id, attempts, created_at, created_at, kind
		FROM r
	)
	SELECT id FROM r ORDER BY ord`

// UpdatePushRecord changes the set fields of a record and sets its UpdatedAt;
// store.ErrNotFound if the app has no such record.
func (db *DB) UpdatePushRecord(ctx context.Context, sdkAppID, id int64, upd store.PushRecordUpdate) error {
	var s setter
	if upd.Outcome != nil {
		s.set("outcome", *upd.Outcome)
	}
	if upd.Reason != nil {
		s.set("reason", *upd.Reason)
	}
	if upd.VendorMessageID != nil {
		s.set("vendor_message_id", *upd.VendorMessageID)
	}
	if upd.Attempts != nil {
		s.set("attempts", *upd.Attempts)
	}
	s.set("updated_at", ms(db.Now()))
	if err := execUpdate(ctx, db.pool, "push_records", &s, []string{"sdk_app_id", "id"}, sdkAppID, id); err != nil {
		return fmt.Errorf("update push record: %w", err)
	}
	return nil
}

// RedecidePushRecord sets the record's decision, vendor, certificate and outcome if its
// decision is still from, and reports whether it did.
func (db *DB) RedecidePushRecord(ctx context.Context, sdkAppID, id int64, from string, to store.PushRedecision) (bool, error) {
	tag, err := db.pool.Exec(ctx, `
		UPDATE push_records SET decision = $1, vendor = $2, certificate_id = $3, outcome = $4, updated_at = $5
		WHERE sdk_app_id = $6 AND id = $7 AND decision = $8`,
		to.Decision, to.Vendor, to.CertificateID, to.Outcome, ms(db.Now()), sdkAppID, id, from)
	if err != nil {
		return false, fmt.Errorf("redecide push record: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// UpdatePushRecords applies upds, by record ID, in one statement: each changes the set
// fields of one record and sets its UpdatedAt, as UpdatePushRecord does. IDs the app
// has no record of are skipped; it returns how many records it updated.
func (db *DB) UpdatePushRecords(ctx context.Context, sdkAppID int64, upds map[int64]store.PushRecordUpdate) (int, error) {
	if len(upds) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(upds))
	for id := range upds {
		ids = append(ids, id)
	}
	// In ID order, so that two batches over the same records lock them in one order.
	slices.Sort(ids)
	n := len(ids)
	outcomes, reasons, vendorMsgIDs := make([]*string, n), make([]*string, n), make([]*string, n)
	attempts, ifSending := make([]*int32, n), make([]*int32, n)
	for i, id := range ids {
		upd := upds[id]
		outcomes[i], reasons[i], vendorMsgIDs[i] = upd.Outcome, upd.Reason, upd.VendorMessageID
		if upd.Attempts != nil {
			a := int32(*upd.Attempts)
			attempts[i] = &a
		}
		if upd.IfSending != nil {
			a := int32(*upd.IfSending)
			ifSending[i] = &a
		}
	}
	// A NULL in a column's array leaves that column of its record as it is.
	tag, err := db.pool.Exec(ctx, `
		UPDATE push_records r SET outcome = coalesce(u.outcome, r.outcome), reason = coalesce(u.reason, r.reason),
			vendor_message_id = coalesce(u.vendor_message_id, r.vendor_message_id),
			attempts = coalesce(u.attempts, r.attempts), updated_at = $2
		FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[])
			AS u (id, outcome, reason, vendor_message_id, attempts, if_sending)
		WHERE r.sdk_app_id = $1 AND r.id = u.id
			AND (u.if_sending IS NULL OR (r.outcome = 'sending' AND r.attempts = u.if_sending))`,
		sdkAppID, ms(db.Now()), ids, outcomes, reasons, vendorMsgIDs, attempts, ifSending)
	if err != nil {
		return 0, fmt.Errorf("update push records: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// FindDevicePushRecord returns one device's record of a message; store.ErrNotFound if
// there is none (yet).
func (db *DB) FindDevicePushRecord(ctx context.Context, sdkAppID int64, messageID, userID, deviceID string) (*store.PushRecord, error) {
	r, err := scanPushRecord(db.pool.QueryRow(ctx, `
		SELECT `+pushRecordColumns+` FROM push_records
		WHERE sdk_app_id = $1 AND message_id = $2 AND user_id = $3 AND device_id = $4
		ORDER BY id LIMIT 1`, sdkAppID, messageID, userID, deviceID))
	if err != nil {
		return nil, fmt.Errorf("find push record: %w", notFound(err))
	}
	return r, nil
}

// FindPushRecords returns the records of one message of the app, ordered by ID.
func (db *DB) FindPushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushRecord, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+pushRecordColumns+` FROM push_records
		WHERE sdk_app_id = $1 AND message_id = $2
		ORDER BY id`, sdkAppID, messageID)
	if err != nil {
		return nil, fmt.Errorf("find push records: %w", err)
	}
	rs, err := collect(rows, scanPushRecord)
	if err != nil {
		return nil, fmt.Errorf("find push records: %w", err)
	}
	return rs, nil
}

// CountPushRecords counts the app's records created in [from, to), grouped by UTC day,
// vendor, decision and outcome, ordered by those four.
func (db *DB) CountPushRecords(ctx context.Context, sdkAppID int64, from, to time.Time) ([]*store.PushCount, error) {
	// Integer division of Unix milliseconds by a day's length gives the UTC day for
	// every time after 1970.
	rows, err := db.pool.Query(ctx, `
		SELECT created_at / $1 AS day, vendor, decision, outcome, count(*)
		FROM push_records
		WHERE sdk_app_id = $2 AND created_at >= $3 AND created_at < $4
		GROUP BY day, vendor, decision, outcome
		ORDER BY day, vendor, decision, outcome`, day.Milliseconds(), sdkAppID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("count push records: %w", err)
	}
	cs, err := collect(rows, func(row scanner) (*store.PushCount, error) {
		var c store.PushCount
		var d int64
		if err := row.Scan(&d, &c.Vendor, &c.Decision, &c.Outcome, &c.Count); err != nil {
			return nil, err
		}
		c.Day = time.UnixMilli(d * day.Milliseconds()).UTC()
		return &c, nil
	})
	if err != nil {
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
