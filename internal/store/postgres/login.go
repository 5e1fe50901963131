package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/herald-im/herald/internal/store"
)

// deadlockDetected is PostgreSQL's SQLSTATE for a transaction chosen as a deadlock
// victim (Appendix A, "PostgreSQL Error Codes").
const deadlockDetected = "40P01"

// loginTries bounds how often LoginDevices runs a transaction that lost a deadlock.
const loginTries = 3

// LoginDevices records logins in one transaction of four statements however many
// logins there are, in two round trips: the accounts created if missing, the users'
// devices read and locked and their inbox sequences read, sent together; then the
// devices the plan changed written. Each set goes through unnest. Rows are
// locked in key order, so two nodes' logins of the same users wait rather than
// deadlock, except when one's new rows meet the other's existing ones: that rare
// deadlock is retried.
func (db *DB) LoginDevices(ctx context.Context, logins []*store.Login) ([]*store.LoginResult, error) {
	if len(logins) == 0 {
		return nil, nil
	}
	var apps []int64
	var users []string
	for _, u := range store.LoginUsers(logins) {
		apps, users = append(apps, u.SDKAppID), append(users, u.UserID)
	}
	accounts := store.LoginAccounts(logins)
	var results []*store.LoginResult
	var err error
	for range loginTries {
		err = db.inTx(ctx, func(tx pgx.Tx) error {
			existing, inboxSeqs, err := readForLogins(ctx, tx, apps, users, accounts)
			if err != nil {
				return err
			}
			plan := store.PlanLogins(logins, existing, inboxSeqs)
			if err := writeLoginDevices(ctx, tx, plan.Devices); err != nil {
				return err
			}
			results = plan.Results
			return nil
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != deadlockDetected {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("login devices: %w", err)
	}
	return results, nil
}

// readForLogins creates the missing accounts and reads (locking) the users' devices
// and their inbox sequences, the three statements sent in one round trip. An existing
// account is not written (DO NOTHING).
func readForLogins(ctx context.Context, tx pgx.Tx, apps []int64, users []string, as []*store.Account) ([]*store.Device, map[store.LoginUser]int64, error) {
	accApps, accUsers, createdAts := make([]int64, len(as)), make([]string, len(as)), make([]int64, len(as))
	for i, a := range as {
		accApps[i], accUsers[i], createdAts[i] = a.SDKAppID, a.UserID, ms(a.CreatedAt)
	}
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO accounts (sdk_app_id, user_id, nickname, face_url, dnd_start_ms, dnd_duration_ms, created_at)
		SELECT a, u, '', '', 0, 0, c FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS t(a, u, c)
		ON CONFLICT (sdk_app_id, user_id) DO NOTHING`, accApps, accUsers, createdAts)
	b.Queue(`
		SELECT `+deviceColumns+` FROM devices
		WHERE (sdk_app_id, user_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))
		ORDER BY sdk_app_id, user_id, device_id
		FOR UPDATE`, apps, users)
	b.Queue(`
		SELECT sdk_app_id, user_id, last_seq FROM inboxes
		WHERE (sdk_app_id, user_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))`, apps, users)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, fmt.Errorf("create accounts: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("find devices: %w", err)
	}
	devices, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Device, error) { return scanDevice(row) })
	if err != nil {
		return nil, nil, fmt.Errorf("find devices: %w", err)
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("find inboxes: %w", err)
	}
	seqs := map[store.LoginUser]int64{}
	var u store.LoginUser
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&u.SDKAppID, &u.UserID, &seq}, func() error {
		seqs[u] = seq
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("find inboxes: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, nil, err
	}
	return devices, seqs, nil
}

func writeLoginDevices(ctx context.Context, tx pgx.Tx, ds []*store.Device) error {
	n := len(ds)
	apps, loginAts, lastSeens := make([]int64, n), make([]int64, n), make([]int64, n)
	delivered, acked, certs := make([]int64, n), make([]int64, n), make([]int64, n)
	users, devices, platforms, states := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	nodes, tokens, backgrounds := make([]string, n), make([]string, n), make([]bool, n)
	for i, d := range ds {
		apps[i], users[i], devices[i], platforms[i], states[i] = d.SDKAppID, d.UserID, d.DeviceID, string(d.Platform), string(d.State)
		loginAts[i], lastSeens[i], nodes[i], backgrounds[i] = ms(d.LoginAt), ms(d.LastSeen), d.NodeID, d.Background
		delivered[i], acked[i], certs[i], tokens[i] = d.DeliveredSeq, d.AckedSeq, d.CertificateID, d.PushToken
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO devices (sdk_app_id, user_id, device_id, platform, state, login_at, last_seen, node_id,
			background, delivered_seq, acked_seq, certificate_id, push_token, badge)
		SELECT *, 0 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
			$7::bigint[], $8::text[], $9::boolean[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[])
		ON CONFLICT (sdk_app_id, user_id, device_id) DO UPDATE
		SET platform = excluded.platform,
			state = excluded.state,
			login_at = excluded.login_at,
			last_seen = excluded.last_seen,
			node_id = excluded.node_id,
			background = excluded.background,
			delivered_seq = GREATEST(devices.delivered_seq, excluded.delivered_seq),
			acked_seq = GREATEST(devices.acked_seq, excluded.acked_seq),
			certificate_id = excluded.certificate_id,
			push_token = excluded.push_token`,
		apps, users, devices, platforms, states, loginAts, lastSeens, nodes, backgrounds, delivered, acked, certs, tokens)
	if err != nil {
		return fmt.Errorf("write devices: %w", err)
	}
	return nil
}

// DisconnectDevices records connections' ends in one transaction of two statements
// however many there are: the devices read and locked (in key order), then the ones
// changed written through unnest.
func (db *DB) DisconnectDevices(ctx context.Context, ds []*store.Disconnect) ([]*store.Device, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	apps, users, devices := make([]int64, len(ds)), make([]string, len(ds)), make([]string, len(ds))
	for i, x := range ds {
		apps[i], users[i], devices[i] = x.SDKAppID, x.UserID, x.DeviceID
	}
	var before []*store.Device
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT `+deviceColumns+` FROM devices
			WHERE (sdk_app_id, user_id, device_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]))
			ORDER BY sdk_app_id, user_id, device_id
			FOR UPDATE`, apps, users, devices)
		if err != nil {
			return fmt.Errorf("find devices: %w", err)
		}
		existing, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Device, error) { return scanDevice(row) })
		if err != nil {
			return fmt.Errorf("find devices: %w", err)
		}
		var changed []*store.Device
		before, changed = store.PlanDisconnects(ds, existing)
		n := len(changed)
		apps, users, devices := make([]int64, n), make([]string, n), make([]string, n)
		lastSeens, delivered, states, backgrounds := make([]int64, n), make([]int64, n), make([]string, n), make([]bool, n)
		for i, d := range changed {
			apps[i], users[i], devices[i] = d.SDKAppID, d.UserID, d.DeviceID
			lastSeens[i], delivered[i], states[i], backgrounds[i] = ms(d.LastSeen), d.DeliveredSeq, string(d.State), d.Background
		}
		_, err = tx.Exec(ctx, `
			UPDATE devices AS d SET last_seen = v.last_seen, delivered_seq = GREATEST(d.delivered_seq, v.delivered_seq),
				state = v.state, background = v.background
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::boolean[])
				AS v(sdk_app_id, user_id, device_id, last_seen, delivered_seq, state, background)
			WHERE d.sdk_app_id = v.sdk_app_id AND d.user_id = v.user_id AND d.device_id = v.device_id`,
			apps, users, devices, lastSeens, delivered, states, backgrounds)
		if err != nil {
			return fmt.Errorf("write devices: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("disconnect devices: %w", err)
	}
	return before, nil
}
