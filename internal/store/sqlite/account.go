package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateAccounts inserts new accounts and updates the nickname and face URL of
// existing ones, in one transaction. Zero CreatedAt fields are set to now.
func (db *DB) CreateAccounts(ctx context.Context, as []*store.Account) error {
	now := db.Now().UTC().Truncate(time.Millisecond)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := db.writes.txStmt(ctx, tx, upsertAccountQuery)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.CreatedAt.IsZero() {
				a.CreatedAt = now
			}
			if _, err := stmt.ExecContext(ctx, a.SDKAppID, a.UserID, a.Nickname, a.FaceURL,
				a.DNDStart.Milliseconds(), a.DNDDuration.Milliseconds(), ms(a.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create accounts: %w", err)
	}
	return nil
}

// upsertAccountQuery is CreateAccounts' statement, prepared at Open.
const upsertAccountQuery = `
	INSERT INTO accounts (sdk_app_id, user_id, nickname, face_url, dnd_start_ms, dnd_duration_ms, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (sdk_app_id, user_id) DO UPDATE
	SET nickname = excluded.nickname, face_url = excluded.face_url`

// FindAccount returns one account, or store.ErrNotFound.
func (db *DB) FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error) {
	a, err := scanAccount(db.reads.queryRow(ctx, `
		SELECT `+accountColumns+` FROM accounts WHERE sdk_app_id = ? AND user_id = ?`, sdkAppID, userID))
	if err != nil {
		return nil, fmt.Errorf("find account: %w", notFound(err))
	}
	return a, nil
}

// FindAccounts returns the accounts that exist among userIDs, ordered by user ID.
func (db *DB) FindAccounts(ctx context.Context, sdkAppID int64, userIDs []string) ([]*store.Account, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	rows, err := db.reads.query(ctx, `
		SELECT `+accountColumns+` FROM accounts
		WHERE sdk_app_id = ? AND user_id IN (SELECT value FROM json_each(?))
		ORDER BY user_id`, sdkAppID, jsonList(userIDs))
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	defer rows.Close()
	var as []*store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("find accounts: %w", err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return as, nil
}

// UpdateAccount changes the set fields of an account; store.ErrNotFound if it does
// not exist.
func (db *DB) UpdateAccount(ctx context.Context, sdkAppID int64, userID string, upd store.AccountUpdate) error {
	var s setter
	if upd.Nickname != nil {
		s.set("nickname = ?", *upd.Nickname)
	}
	if upd.FaceURL != nil {
		s.set("face_url = ?", *upd.FaceURL)
	}
	if upd.DNDStart != nil {
		s.set("dnd_start_ms = ?", upd.DNDStart.Milliseconds())
	}
	if upd.DNDDuration != nil {
		s.set("dnd_duration_ms = ?", upd.DNDDuration.Milliseconds())
	}
	if err := db.execUpdate(ctx, "accounts", &s, "sdk_app_id = ? AND user_id = ?", sdkAppID, userID); err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	return nil
}

const accountColumns = `sdk_app_id, user_id, nickname, face_url, dnd_start_ms, dnd_duration_ms, created_at`

func scanAccount(row scanner) (*store.Account, error) {
	var a store.Account
	var dndStart, dndDuration, createdAt int64
	if err := row.Scan(&a.SDKAppID, &a.UserID, &a.Nickname, &a.FaceURL, &dndStart, &dndDuration, &createdAt); err != nil {
		return nil, err
	}
	a.DNDStart = time.Duration(dndStart) * time.Millisecond
	a.DNDDuration = time.Duration(dndDuration) * time.Millisecond
	a.CreatedAt = fromMS(createdAt)
	return &a, nil
}

// jsonList encodes a list of strings as a JSON array for json_each.
func jsonList(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return string(b)
}
