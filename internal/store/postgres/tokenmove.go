package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// CreateTokenMoves records token moves, assigning each its ID (and CreatedAt when zero).
func (db *DB) CreateTokenMoves(ctx context.Context, moves []*store.TokenMove) error {
	if len(moves) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, m := range moves {
			if m.CreatedAt.IsZero() {
				m.CreatedAt = db.Now()
			}
			err := tx.QueryRow(ctx, `
				INSERT INTO token_moves (sdk_app_id, certificate_id, token, from_user, from_device, to_user, to_device, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				m.SDKAppID, m.CertificateID, m.Token, m.FromUser, m.FromDevice, m.ToUser, m.ToDevice, ms(m.CreatedAt)).Scan(&m.ID)
			if err != nil {
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
	where, args := "sdk_app_id = $1 AND (to_user = $2 OR from_user = $2)", []any{f.SDKAppID, f.UserID}
	if f.ToUser {
		where = "sdk_app_id = $1 AND to_user = $2"
	}
	if f.Since != nil {
		args = append(args, ms(*f.Since))
		where += fmt.Sprintf(" AND created_at >= $%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := db.pool.Query(ctx, `
		SELECT id, sdk_app_id, certificate_id, token, from_user, from_device, to_user, to_device, created_at
		FROM token_moves WHERE `+where+fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("find token moves: %w", err)
	}
	out, err := collect(rows, func(r scanner) (*store.TokenMove, error) {
		var m store.TokenMove
		var at int64
		if err := r.Scan(&m.ID, &m.SDKAppID, &m.CertificateID, &m.Token, &m.FromUser, &m.FromDevice, &m.ToUser, &m.ToDevice, &at); err != nil {
			return nil, err
		}
		m.CreatedAt = fromMS(at)
		return &m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("find token moves: %w", err)
	}
	return out, nil
}
