package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// FindPushPending returns messages committed at or before before whose push is not
// planned yet, oldest first.
func (db *DB) FindPushPending(ctx context.Context, before time.Time, limit int) ([]store.MessageKey, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.pool.Query(ctx, `
		SELECT sdk_app_id, id, push_ignore_dnd FROM messages
		WHERE push_pending AND time <= $1
		ORDER BY time LIMIT $2`, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("find push pending: %w", err)
	}
	keys, err := collect(rows, func(row scanner) (store.MessageKey, error) {
		var k store.MessageKey
		err := row.Scan(&k.SDKAppID, &k.ID, &k.IgnoreDND)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("find push pending: %w", err)
	}
	return keys, nil
}

// MarkPushPlanned marks messages as planned, in one statement.
func (db *DB) MarkPushPlanned(ctx context.Context, keys []store.MessageKey) error {
	if len(keys) == 0 {
		return nil
	}
	apps, ids := make([]int64, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		apps[i], ids[i] = k.SDKAppID, k.ID
	}
	_, err := db.pool.Exec(ctx, `
		UPDATE messages m SET push_pending = FALSE
		FROM unnest($1::bigint[], $2::text[]) AS k (sdk_app_id, id)
		WHERE m.sdk_app_id = k.sdk_app_id AND m.id = k.id AND m.push_pending`, apps, ids)
	if err != nil {
		return fmt.Errorf("mark push planned: %w", err)
	}
	return nil
}

// ClaimPushRecords locks the records, in ID order so that two claims over the same
// records cannot deadlock, and marks those due for attempt as being sent.
func (db *DB) ClaimPushRecords(ctx context.Context, sdkAppID int64, ids []int64, attempt int, reclaimBefore time.Time) (map[int64]store.Claim, error) {
	claims := make(map[int64]store.Claim, len(ids))
	if len(ids) == 0 {
		return claims, nil
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		clear(claims)
		rows, err := tx.Query(ctx, `
			SELECT id, outcome, attempts, updated_at FROM push_records
			WHERE sdk_app_id = $1 AND id = ANY($2)
			ORDER BY id FOR UPDATE`, sdkAppID, sorted)
		if err != nil {
			return err
		}
		var claimed, reclaimed []int64
		for rows.Next() {
			var id, updatedAt int64
			var outcome string
			var attempts int
			if err := rows.Scan(&id, &outcome, &attempts, &updatedAt); err != nil {
				rows.Close()
				return err
			}
			c := store.Claimable(outcome, attempts, fromMS(updatedAt), attempt, reclaimBefore)
			if c.Claimed {
				claimed = append(claimed, id)
				if c.Reclaimed {
					reclaimed = append(reclaimed, id)
				}
			}
			claims[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(claimed) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `
			UPDATE push_records SET outcome = $3, attempts = $4, updated_at = $5,
				duplicate_possible = duplicate_possible OR coalesce(id = ANY($6::bigint[]), FALSE)
			WHERE sdk_app_id = $1 AND id = ANY($2)`,
			sdkAppID, claimed, store.OutcomeSending, attempt, ms(db.Now()), reclaimed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim push records: %w", err)
	}
	return claims, nil
}

// DeploymentID returns the deployment's ID, generating it on first use.
func (db *DB) DeploymentID(ctx context.Context) (string, error) {
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	err := db.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO meta (key, value) VALUES ('deployment_id', $1)
			ON CONFLICT (key) DO NOTHING RETURNING value
		)
		SELECT value FROM ins UNION ALL SELECT value FROM meta WHERE key = 'deployment_id'
		LIMIT 1`, id).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("deployment id: %w", err)
	}
	return id, nil
}
