package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herald-im/herald/internal/store"
)

// UpsertDevice creates the device or, if it exists, replaces its platform, state,
// login time and connection fields (LastSeen, NodeID, Background), keeping its
// sequence marks and push binding.
func (db *DB) UpsertDevice(ctx context.Context, d *store.Device) error {
	_, err := db.exec(ctx, `
		INSERT INTO devices (sdk_app_id, user_id, device_id, platform, state, login_at, last_seen, node_id,
			background, delivered_seq, acked_seq, certificate_id, push_token, badge)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sdk_app_id, user_id, device_id) DO UPDATE
		SET platform = excluded.platform,
			state = excluded.state,
			login_at = excluded.login_at,
			last_seen = excluded.last_seen,
			node_id = excluded.node_id,
			background = excluded.background`,
		d.SDKAppID, d.UserID, d.DeviceID, string(d.Platform), string(d.State), ms(d.LoginAt), ms(d.LastSeen), d.NodeID,
		d.Background, d.DeliveredSeq, d.AckedSeq, d.CertificateID, d.PushToken, d.Badge)
	if err != nil {
		return fmt.Errorf("upsert device: %w", formatError(err))
	}
	return nil
}

// FindDevice returns one device, or store.ErrNotFound.
func (db *DB) FindDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) (*store.Device, error) {
	d, err := scanDevice(db.reads.queryRow(ctx, `
		SELECT `+deviceColumns+` FROM devices
		WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`, sdkAppID, userID, deviceID))
	if err != nil {
		return nil, fmt.Errorf("find device: %w", notFound(err))
	}
	return d, nil
}

// FindDevices returns the devices that match f, ordered by user ID and device ID.
func (db *DB) FindDevices(ctx context.Context, f store.DeviceFilter) ([]*store.Device, error) {
	query, args := findDevicesQuery(f)
	return scanDevices(db.reads.query(ctx, query, args...))
}

// scanDevices reads every row of a devices query.
func scanDevices(rows *sql.Rows, err error) ([]*store.Device, error) {
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	defer rows.Close()
	var ds []*store.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("find devices: %w", err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	return ds, nil
}

// findDevicesQuery returns FindDevices' statement for f and its arguments.
func findDevicesQuery(f store.DeviceFilter) (string, []any) {
	where, args := []string{"sdk_app_id = ?"}, []any{f.SDKAppID}
	if f.UserID != nil {
		where, args = append(where, "user_id = ?"), append(args, *f.UserID)
	}
	if len(f.UserIDs) > 0 {
		where, args = append(where, "user_id IN (SELECT value FROM json_each(?))"), append(args, jsonList(f.UserIDs))
	}
	if f.Platform != nil {
		where, args = append(where, "platform = ?"), append(args, string(*f.Platform))
	}
	if f.State != nil {
		where, args = append(where, "state = ?"), append(args, string(*f.State))
	}
	order := "user_id, device_id"
	if f.PushToken != nil {
		where, args = append(where, "push_token = ?"), append(args, *f.PushToken)
		// Left to itself SQLite walks the app's devices in key order to skip the
		// sort, reading every device of the app for one token (each push-token bind
		// checks who else holds it): "+" keeps the key out of the ordering, so the
		// token's index finds the few holders and they are sorted.
		order = "+user_id, +device_id"
	}
	return `SELECT ` + deviceColumns + ` FROM devices
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY ` + order, args
}

// UpdateDevice changes the set fields of a device; DeliveredSeq and AckedSeq never
// move back. It returns store.ErrNotFound if the device does not exist.
func (db *DB) UpdateDevice(ctx context.Context, sdkAppID int64, userID, deviceID string, upd store.DeviceUpdate) error {
	var s setter
	if upd.State != nil {
		s.set("state = ?", string(*upd.State))
	}
	if upd.LastSeen != nil {
		s.set("last_seen = ?", ms(*upd.LastSeen))
	}
	if upd.NodeID != nil {
		s.set("node_id = ?", *upd.NodeID)
	}
	if upd.Background != nil {
		s.set("background = ?", *upd.Background)
	}
	if upd.DeliveredSeq != nil {
		s.set("delivered_seq = max(delivered_seq, ?)", *upd.DeliveredSeq)
	}
	if upd.AckedSeq != nil {
		s.set("acked_seq = max(acked_seq, ?)", *upd.AckedSeq)
	}
	if upd.CertificateID != nil {
		s.set("certificate_id = ?", *upd.CertificateID)
	}
	if upd.PushToken != nil {
		s.set("push_token = ?", *upd.PushToken)
	}
	if upd.Badge != nil {
		s.set("badge = ?", *upd.Badge)
	}
	err := db.execUpdate(ctx, "devices", &s, "sdk_app_id = ? AND user_id = ? AND device_id = ?",
		sdkAppID, userID, deviceID)
	if err != nil {
		return fmt.Errorf("update device: %w", err)
	}
	return nil
}

// DeleteDevice removes a device; store.ErrNotFound if it does not exist.
func (db *DB) DeleteDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) error {
	res, err := db.exec(ctx, `
		DELETE FROM devices WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`, sdkAppID, userID, deviceID)
	if err != nil {
		return fmt.Errorf("delete device: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete device: %w", err)
	} else if n == 0 {
		return fmt.Errorf("delete device: %w", store.ErrNotFound)
	}
	return nil
}

const deviceColumns = `sdk_app_id, user_id, device_id, platform, state, login_at, last_seen, node_id,
	background, delivered_seq, acked_seq, certificate_id, push_token, badge`

func scanDevice(row scanner) (*store.Device, error) {
	var d store.Device
	var platform, state string
	var loginAt, lastSeen int64
	err := row.Scan(&d.SDKAppID, &d.UserID, &d.DeviceID, &platform, &state, &loginAt, &lastSeen, &d.NodeID,
		&d.Background, &d.DeliveredSeq, &d.AckedSeq, &d.CertificateID, &d.PushToken, &d.Badge)
	if err != nil {
		return nil, err
	}
	d.Platform, d.State = store.Platform(platform), store.DeviceState(state)
	d.LoginAt, d.LastSeen = fromMS(loginAt), fromMS(lastSeen)
	return &d, nil
}
