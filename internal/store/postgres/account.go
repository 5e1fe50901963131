package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateAccounts inserts new accounts and updates the nickname and face URL of
// existing ones, in one statement. Zero CreatedAt fields are set to now; when a user
// appears twice, the last one wins.
func (db *DB) CreateAccounts(ctx context.Context, as []*store.Account) error {
	if len(as) == 0 {
		return nil
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	// One statement cannot upsert a row twice: keep each (app, user) once.
	type key struct {
		app  int64
		user string
	}
	last := make(map[key]int, len(as))
	for i, a := range as {
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		last[key{a.SDKAppID, a.UserID}] = i
	}
	var apps, dndStarts, dndDurations, createdAts []int64
	var users, nicknames, faceURLs []string
	for i, a := range as {
		if last[key{a.SDKAppID, a.UserID}] != i {
			continue
		}
		apps, users, nicknames, faceURLs = append(apps, a.SDKAppID), append(users, a.UserID),
			append(nicknames, a.Nickname), append(faceURLs, a.FaceURL)
		dndStarts, dndDurations, createdAts = append(dndStarts, a.DNDStart.Milliseconds()),
			append(dndDurations, a.DNDDuration.Milliseconds()), append(createdAts, ms(a.CreatedAt))
	}
	_, err := db.pool.Exec(ctx, `
		INSERT INTO accounts (sdk_app_id, user_id, nickname, face_url, dnd_start_ms, dnd_duration_ms, created_at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (sdk_app_id, user_id) DO UPDATE
		SET nickname = excluded.nickname, face_url = excluded.face_url`,
		apps, users, nicknames, faceURLs, dndStarts, dndDurations, createdAts)
	if err != nil {
		return fmt.Errorf("create accounts: %w", formatError(err))
	}
	return nil
}

// FindAccount returns one account, or store.ErrNotFound.
func (db *DB) FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, `
		SELECT `+accountColumns+` FROM accounts WHERE sdk_app_id = $1 AND user_id = $2`, sdkAppID, userID))
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
	rows, err := db.pool.Query(ctx, `
		SELECT `+accountColumns+` FROM accounts
		WHERE sdk_app_id = $1 AND user_id = ANY($2)
		ORDER BY user_id`, sdkAppID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	as, err := collect(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return as, nil
}

// UpdateAccount changes the set fields of an account; store.ErrNotFound if it does
// not exist.
func (db *DB) UpdateAccount(ctx context.Context, sdkAppID int64, userID string, upd store.AccountUpdate) error {
	var s setter
	if upd.Nickname != nil {
		s.set("nickname", *upd.Nickname)
	}
	if upd.FaceURL != nil {
		s.set("face_url", *upd.FaceURL)
	}
	if upd.DNDStart != nil {
		s.set("dnd_start_ms", upd.DNDStart.Milliseconds())
	}
	if upd.DNDDuration != nil {
		s.set("dnd_duration_ms", upd.DNDDuration.Milliseconds())
	}
	err := execUpdate(ctx, db.pool, "accounts", &s, []string{"sdk_app_id", "user_id"}, sdkAppID, userID)
	if err != nil {
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
