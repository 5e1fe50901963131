package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// LoginDevices records logins in one write of the group committer, with four
// statements however many logins there are: the users' devices and inbox sequences
// read, their accounts created if missing, and the devices the plan changed written.
func (db *DB) LoginDevices(ctx context.Context, logins []*store.Login) ([]*store.LoginResult, error) {
	if len(logins) == 0 {
		return nil, nil
	}
	users, err := loginUsersJSON(logins)
	if err != nil {
		return nil, fmt.Errorf("login devices: %w", err)
	}
	var results []*store.LoginResult
	err = db.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		existing, err := db.findUserDevices(ctx, tx, users)
		if err != nil {
			return err
		}
		inboxSeqs, err := db.findInboxSeqs(ctx, tx, users)
		if err != nil {
			return err
		}
		plan := store.PlanLogins(logins, existing, inboxSeqs)
		if err := db.createLoginAccounts(ctx, tx, plan.Accounts); err != nil {
			return err
		}
		if err := db.writeLoginDevices(ctx, tx, plan.Devices); err != nil {
			return err
		}
		results = plan.Results
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("login devices: %w", err)
	}
	return results, nil
}

// loginUsersJSON is the logins' users as a JSON array of [sdk_app_id, user_id].
func loginUsersJSON(logins []*store.Login) (string, error) {
	users := store.LoginUsers(logins)
	rows := make([][2]any, len(users))
	for i, u := range users {
		rows[i] = [2]any{u.SDKAppID, u.UserID}
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

// Statements of LoginDevices and DisconnectDevice, prepared at Open (txQueries). Rows
// come in as JSON arrays, one array per row.
const (
	findUserDevicesQuery = `
		SELECT ` + deviceColumns + ` FROM json_each(?) AS u
		CROSS JOIN devices ON sdk_app_id = u.value->>0 AND user_id = u.value->>1`
	findInboxSeqsQuery = `
		SELECT sdk_app_id, user_id, last_seq FROM json_each(?) AS u
		CROSS JOIN inboxes ON sdk_app_id = u.value->>0 AND user_id = u.value->>1`
	// An existing account is left alone: DO NOTHING writes no page for it.
	createLoginAccountQuery = `
		INSERT INTO accounts (sdk_app_id, user_id, nickname, face_url, dnd_start_ms, dnd_duration_ms, created_at)
		VALUES (?, ?, '', '', 0, 0, ?)
		ON CONFLICT (sdk_app_id, user_id) DO NOTHING`
	writeLoginDeviceQuery = `
		INSERT INTO devices (sdk_app_id, user_id, device_id, platform, state, login_at, last_seen, node_id,
			background, delivered_seq, acked_seq, certificate_id, push_token, badge)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (sdk_app_id, user_id, device_id) DO UPDATE
		SET platform = excluded.platform,
			state = excluded.state,
			login_at = excluded.login_at,
			last_seen = excluded.last_seen,
			node_id = excluded.node_id,
			background = excluded.background,
			delivered_seq = max(delivered_seq, excluded.delivered_seq),
			acked_seq = max(acked_seq, excluded.acked_seq),
			certificate_id = excluded.certificate_id,
			push_token = excluded.push_token`
	findDeviceForUpdateQuery = `
		SELECT ` + deviceColumns + ` FROM devices
		WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`
	disconnectDeviceQuery = `
		UPDATE devices SET last_seen = ?, delivered_seq = max(delivered_seq, ?), state = ?, background = ?
		WHERE sdk_app_id = ? AND user_id = ? AND device_id = ?`
)

var loginQueries = []string{
	findUserDevicesQuery, findInboxSeqsQuery, createLoginAccountQuery, writeLoginDeviceQuery,
	findDeviceForUpdateQuery, disconnectDeviceQuery,
}

func (db *DB) findUserDevices(ctx context.Context, tx *sql.Tx, users string) ([]*store.Device, error) {
	return scanDevices(db.writes.txQuery(ctx, tx, findUserDevicesQuery, users))
}

func (db *DB) findInboxSeqs(ctx context.Context, tx *sql.Tx, users string) (map[store.LoginUser]int64, error) {
	rows, err := db.writes.txQuery(ctx, tx, findInboxSeqsQuery, users)
	if err != nil {
		return nil, fmt.Errorf("find inboxes: %w", err)
	}
	defer rows.Close()
	seqs := map[store.LoginUser]int64{}
	for rows.Next() {
		var u store.LoginUser
		var seq int64
		if err := rows.Scan(&u.SDKAppID, &u.UserID, &seq); err != nil {
			return nil, fmt.Errorf("find inboxes: %w", err)
		}
		seqs[u] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find inboxes: %w", err)
	}
	return seqs, nil
}

func (db *DB) createLoginAccounts(ctx context.Context, tx *sql.Tx, as []*store.Account) error {
	st, err := db.writes.txStmt(ctx, tx, createLoginAccountQuery)
	if err != nil {
		return fmt.Errorf("create accounts: %w", err)
	}
	for _, a := range as {
		if _, err := st.ExecContext(ctx, a.SDKAppID, a.UserID, ms(a.CreatedAt)); err != nil {
			return fmt.Errorf("create accounts: %w", err)
		}
	}
	return nil
}

func (db *DB) writeLoginDevices(ctx context.Context, tx *sql.Tx, ds []*store.Device) error {
	st, err := db.writes.txStmt(ctx, tx, writeLoginDeviceQuery)
	if err != nil {
		return fmt.Errorf("write devices: %w", err)
	}
	for _, d := range ds {
		_, err := st.ExecContext(ctx, d.SDKAppID, d.UserID, d.DeviceID, string(d.Platform), string(d.State), ms(d.LoginAt),
			ms(d.LastSeen), d.NodeID, d.Background, d.DeliveredSeq, d.AckedSeq, d.CertificateID, d.PushToken)
		if err != nil {
			return fmt.Errorf("write devices: %w", err)
		}
	}
	return nil
}

// DisconnectDevices records connections' ends in one write of the group committer:
// each device read, then each one changed written, one prepared statement per row.
func (db *DB) DisconnectDevices(ctx context.Context, ds []*store.Disconnect) ([]*store.Device, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	var before []*store.Device
	err := db.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		find, err := db.writes.txStmt(ctx, tx, findDeviceForUpdateQuery)
		if err != nil {
			return err
		}
		var existing []*store.Device
		for _, x := range ds {
			d, err := scanDevice(find.QueryRowContext(ctx, x.SDKAppID, x.UserID, x.DeviceID))
			switch {
			case err == nil:
				existing = append(existing, d)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		var changed []*store.Device
		before, changed = store.PlanDisconnects(ds, existing)
		update, err := db.writes.txStmt(ctx, tx, disconnectDeviceQuery)
		if err != nil {
			return err
		}
		for _, d := range changed {
			if _, err := update.ExecContext(ctx, ms(d.LastSeen), d.DeliveredSeq, string(d.State), d.Background,
				d.SDKAppID, d.UserID, d.DeviceID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("disconnect devices: %w", err)
	}
	return before, nil
}
