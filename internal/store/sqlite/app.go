package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// App defaults applied by CreateApp to zero fields, as documented on store.App.
const (
	DefaultRetention   = 7 * 24 * time.Hour
	DefaultAdminUserID = "administrator"
)

// CreateApp stores a new app, filling zero CreatedAt, Retention, AdminUserID and
// DevicePolicy with their defaults. It returns store.ErrConflict if the SDKAppID exists.
func (db *DB) CreateApp(ctx context.Context, a *store.App) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.Now().UTC().Truncate(time.Millisecond)
	}
	if a.Retention == 0 {
		a.Retention = DefaultRetention
	}
	if a.AdminUserID == "" {
		a.AdminUserID = DefaultAdminUserID
	}
	if a.DevicePolicy == "" {
		a.DevicePolicy = store.OnePerPlatform
	}
	_, err := db.exec(ctx, `
		INSERT INTO apps (sdk_app_id, secret_key, admin_user_id, name, device_policy, retention_ms, callback_url, callback_secret, created_at, token_move_policy)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.SDKAppID, a.SecretKey, a.AdminUserID, a.Name, string(a.DevicePolicy), a.Retention.Milliseconds(), a.CallbackURL, a.CallbackSecret, ms(a.CreatedAt), string(a.TokenMoves))
	if err != nil {
		return fmt.Errorf("create app: %w", formatError(err))
	}
	return nil
}

// FindAppByID returns the app with the given SDKAppID, or store.ErrNotFound.
func (db *DB) FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error) {
	a, err := scanApp(db.reads.queryRow(ctx, `SELECT `+appColumns+` FROM apps WHERE sdk_app_id = ?`, sdkAppID))
	if err != nil {
		return nil, fmt.Errorf("find app: %w", notFound(err))
	}
	return a, nil
}

// FindApps returns all apps ordered by SDKAppID.
func (db *DB) FindApps(ctx context.Context) ([]*store.App, error) {
	rows, err := db.reads.query(ctx, `SELECT `+appColumns+` FROM apps ORDER BY sdk_app_id`)
	if err != nil {
		return nil, fmt.Errorf("find apps: %w", err)
	}
	defer rows.Close()
	var apps []*store.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("find apps: %w", err)
		}
		apps = append(apps, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find apps: %w", err)
	}
	return apps, nil
}

// UpdateApp changes the set fields of an app; store.ErrNotFound if it does not exist.
func (db *DB) UpdateApp(ctx context.Context, sdkAppID int64, upd store.AppUpdate) error {
	var s setter
	if upd.Name != nil {
		s.set("name = ?", *upd.Name)
	}
	if upd.SecretKey != nil {
		s.set("secret_key = ?", *upd.SecretKey)
	}
	if upd.AdminUserID != nil {
		s.set("admin_user_id = ?", *upd.AdminUserID)
	}
	if upd.DevicePolicy != nil {
		s.set("device_policy = ?", string(*upd.DevicePolicy))
	}
	if upd.Retention != nil {
		s.set("retention_ms = ?", upd.Retention.Milliseconds())
	}
	if upd.CallbackURL != nil {
		s.set("callback_url = ?", *upd.CallbackURL)
	}
	if upd.CallbackSecret != nil {
		s.set("callback_secret = ?", *upd.CallbackSecret)
	}
	if upd.TokenMoves != nil {
		s.set("token_move_policy = ?", string(*upd.TokenMoves))
	}
	if err := db.execUpdate(ctx, "apps", &s, "sdk_app_id = ?", sdkAppID); err != nil {
		return fmt.Errorf("update app: %w", err)
	}
	return nil
}

const appColumns = `sdk_app_id, secret_key, admin_user_id, name, device_policy, retention_ms, callback_url, callback_secret, created_at, token_move_policy`

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

func scanApp(row scanner) (*store.App, error) {
	var a store.App
	var policy, moves string
	var retention, createdAt int64
	if err := row.Scan(&a.SDKAppID, &a.SecretKey, &a.AdminUserID, &a.Name, &policy, &retention, &a.CallbackURL, &a.CallbackSecret, &createdAt, &moves); err != nil {
		return nil, err
	}
	a.TokenMoves = store.TokenMovePolicy(moves)
	a.DevicePolicy = store.DevicePolicy(policy)
	a.Retention = time.Duration(retention) * time.Millisecond
	a.CreatedAt = fromMS(createdAt)
	return &a, nil
}
