package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// CreateTokenMoves records token moves, assigning each its ID (and CreatedAt when zero).
func (db *DB) CreateTokenMoves(ctx context.Context, moves []*store.TokenMove) error {
	if len(moves) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, m := range moves {
			if m.CreatedAt.IsZero() {
				m.CreatedAt = db.Now()
			}
			res, err := tx.ExecContext(ctx, `
				INSERT INTO token_moves (sdk_app_id, certificate_id, token, from_user, from_device, to_user, to_device, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				m.SDKAppID, m.CertificateID, m.Token, m.FromUser, m.FromDevice, m.ToUser, m.ToDevice, ms(m.CreatedAt))
			if err != nil {
				return err
			}
			if m.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create token moves: %w", err)
	}
	return nil
}

// FindTokenMoves returns the app's moves to (or from) f.UserID, newest first.
func (db *DB) FindTokenMoves(ctx context.Context, f store.TokenMoveFilter) ([]*store.TokenMove, error) {
	where, args := "sdk_app_id = ? AND (to_user = ? OR from_user = ?)", []any{f.SDKAppID, f.UserID, f.UserID}
	if f.ToUser {
		where, args = "sdk_app_id = ? AND to_user = ?", []any{f.SDKAppID, f.UserID}
	}
	if f.Since != nil {
		where += " AND created_at >= ?"
		args = append(args, ms(*f.Since))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `
		SELECT id, sdk_app_id, certificate_id, token, from_user, from_device, to_user, to_device, created_at
		FROM token_moves WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("find token moves: %w", err)
	}
	defer rows.Close()
	var out []*store.TokenMove
	for rows.Next() {
		var m store.TokenMove
		var at int64
		if err := rows.Scan(&m.ID, &m.SDKAppID, &m.CertificateID, &m.Token, &m.FromUser, &m.FromDevice, &m.ToUser, &m.ToDevice, &at); err != nil {
			return nil, fmt.Errorf("find token moves: %w", err)
		}
		m.CreatedAt = fromMS(at)
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find token moves: %w", err)
	}
	return out, nil
}
