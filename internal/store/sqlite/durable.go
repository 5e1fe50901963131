package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// FindPushPending returns messages committed at or before before whose push is not
// planned yet, oldest first.
func (db *DB) FindPushPending(ctx context.Context, before time.Time, limit int) ([]store.MessageKey, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.reads.query(ctx, `
		SELECT sdk_app_id, id, push_ignore_dnd FROM messages
		WHERE push_pending = 1 AND time <= ?
		ORDER BY time LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("find push pending: %w", err)
	}
	defer rows.Close()
	var out []store.MessageKey
	for rows.Next() {
		var k store.MessageKey
		if err := rows.Scan(&k.SDKAppID, &k.ID, &k.IgnoreDND); err != nil {
			return nil, fmt.Errorf("find push pending: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find push pending: %w", err)
	}
	return out, nil
}

// MarkPushPlanned marks messages as planned, in one transaction.
func (db *DB) MarkPushPlanned(ctx context.Context, keys []store.MessageKey) error {
	if len(keys) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := db.writes.txStmt(ctx, tx, markPushPlannedQuery)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := stmt.ExecContext(ctx, k.SDKAppID, k.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark push planned: %w", err)
	}
	return nil
}

const markPushPlannedQuery = `UPDATE messages SET push_pending = 0 WHERE sdk_app_id = ? AND id = ? AND push_pending = 1`

// DeploymentID returns the deployment's ID, generating it on first use.
func (db *DB) DeploymentID(ctx context.Context) (string, error) {
	id := newDeploymentID()
	if _, err := db.exec(ctx, `INSERT INTO meta (key, value) VALUES ('deployment_id', ?) ON CONFLICT (key) DO NOTHING`, id); err != nil {
		return "", fmt.Errorf("deployment id: %w", err)
	}
	if err := db.reads.queryRow(ctx, `SELECT value FROM meta WHERE key = 'deployment_id'`).Scan(&id); err != nil {
		return "", fmt.Errorf("deployment id: %w", err)
	}
	return id, nil
}

// newDeploymentID returns 12 random hex digits: short enough for a NATS stream name.
func newDeploymentID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
