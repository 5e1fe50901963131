package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// FindWithdrawPending returns the recalls made at or before before whose lock-screen
// replacements are not planned yet, oldest first.
func (db *DB) FindWithdrawPending(ctx context.Context, before time.Time, limit int) ([]store.MessageKey, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.pool.Query(ctx, `
		SELECT sdk_app_id, msg_id FROM message_recalls
		WHERE withdraw_pending AND recalled_at <= $1
		ORDER BY recalled_at LIMIT $2`, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("find withdraw pending: %w", err)
	}
	keys, err := collect(rows, func(row scanner) (store.MessageKey, error) {
		var k store.MessageKey
		err := row.Scan(&k.SDKAppID, &k.ID)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("find withdraw pending: %w", err)
	}
	return keys, nil
}

// MarkWithdrawPlanned marks the recall of a message as planned.
func (db *DB) MarkWithdrawPlanned(ctx context.Context, key store.MessageKey) error {
	if _, err := db.pool.Exec(ctx, `
		UPDATE message_recalls SET withdraw_pending = FALSE
		WHERE sdk_app_id = $1 AND msg_id = $2 AND withdraw_pending`, key.SDKAppID, key.ID); err != nil {
		return fmt.Errorf("mark withdraw planned: %w", err)
	}
	return nil
}
