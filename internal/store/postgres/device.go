package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// UpsertDevice creates the device or, if it exists, replaces its platform, state,
// login time and connection fields (LastSeen, NodeID, Background), keeping its
// sequence marks and push binding.
func (db *DB) UpsertDevice(ctx context.Context, d *store.Device) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO devices (sdk_app_id, user_id, device_id, platform, state, login_at, last_seen, node_id,
			background, delivered_seq, acked_seq, certificate_id, push_token, badge)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
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
	d, err := scanDevice(db.pool.QueryRow(ctx, `
		SELECT `+deviceColumns+` FROM devices
		WHERE sdk_app_id = $1 AND user_id = $2 AND device_id = $3`, sdkAppID, userID, deviceID))
	if err != nil {
		return nil, fmt.Errorf("find device: %w", notFound(err))
	}
	return d, nil
}

// FindDevices returns the devices that match f, ordered by user ID and device ID.
func (db *DB) FindDevices(ctx context.Context, f store.DeviceFilter) ([]*store.Device, error) {
	var a args
	where := []string{"sdk_app_id = " + a.add(f.SDKAppID)}
	if f.UserID != nil {
		where = append(where, "user_id = "+a.add(*f.UserID))
	}
	if len(f.UserIDs) > 0 {
		where = append(where, "user_id = ANY("+a.add(f.UserIDs)+")")
	}
	if f.Platform != nil {
		where = append(where, "platform = "+a.add(string(*f.Platform)))
	}
	if f.State != nil {
		where = append(where, "state = "+a.add(string(*f.State)))
	}
	if f.PushToken != nil {
		where = append(where, "push_token = "+a.add(*f.PushToken))
	}
	rows, err := db.pool.Query(ctx, `
		SELECT `+deviceColumns+` FROM devices
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY user_id, device_id`, a...)
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	ds, err := collect(rows, scanDevice)
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	return ds, nil
}

// UpdateDevice changes the set fields of a device; DeliveredSeq and AckedSeq never
// move back. It returns store.ErrNotFound if the device does not exist.
func (db *DB) UpdateDevice(ctx context.Context, sdkAppID int64, userID, deviceID string, upd store.DeviceUpdate) error {
	var s setter
	if upd.State != nil {
		s.set("state", string(*upd.State))
	}
	if upd.LastSeen != nil {
		s.set("last_seen", ms(*upd.LastSeen))
	}
	if upd.NodeID != nil {
		s.set("node_id", *upd.NodeID)
	}
	if upd.Background != nil {
		s.set("background", *upd.Background)
	}
	if upd.DeliveredSeq != nil {
		s.cols = append(s.cols, "delivered_seq = GREATEST(delivered_seq, "+s.add(*upd.DeliveredSeq)+")")
	}
	if upd.AckedSeq != nil {
		s.cols = append(s.cols, "acked_seq = GREATEST(acked_seq, "+s.add(*upd.AckedSeq)+")")
	}
	if upd.CertificateID != nil {
		s.set("certificate_id", *upd.CertificateID)
	}
	if upd.PushToken != nil {
		s.set("push_token", *upd.PushToken)
	}
	if upd.Badge != nil {
		s.set("badge", *upd.Badge)
	}
	if len(s.cols) == 0 {
		err := execUpdate(ctx, db.pool, "devices", &s, []string{"sdk_app_id", "user_id", "device_id"},
			sdkAppID, userID, deviceID)
		if err != nil {
			return fmt.Errorf("update device: %w", err)
		}
		return nil
	}
	// Acknowledgements make this the most frequent write after sends: it goes through
	// group commit, which locks device rows last and in key order.
	where := " WHERE sdk_app_id = " + s.add(sdkAppID) + " AND user_id = " + s.add(userID) + " AND device_id = " + s.add(deviceID)
	var found bool
	err := db.groupExec(ctx, &groupWrite{
		app:     sdkAppID,
		devices: []store.DeviceKey{{UserID: userID, DeviceID: deviceID}},
		sql:     `UPDATE devices SET ` + strings.Join(s.cols, ", ") + where,
		args:    s.args,
		read: func(rows pgx.Rows) error {
			rows.Close()
			found = rows.CommandTag().RowsAffected() > 0
			return rows.Err()
		},
	})
	if err == nil && !found {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update device: %w", err)
	}
	return nil
}

// DeleteDevice removes a device; store.ErrNotFound if it does not exist.
func (db *DB) DeleteDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) error {
	tag, err := db.pool.Exec(ctx, `
		DELETE FROM devices WHERE sdk_app_id = $1 AND user_id = $2 AND device_id = $3`, sdkAppID, userID, deviceID)
	if err != nil {
		return fmt.Errorf("delete device: %w", err)
	}
	if tag.RowsAffected() == 0 {
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
