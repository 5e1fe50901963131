package sqlite

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
	rows, err := db.reads.query(ctx, `
		SELECT sdk_app_id, msg_id FROM message_recalls
		WHERE withdraw_pending = 1 AND recalled_at <= ?
		ORDER BY recalled_at LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("find withdraw pending: %w", err)
	}
	defer rows.Close()
	var out []store.MessageKey
	for rows.Next() {
		var k store.MessageKey
		if err := rows.Scan(&k.SDKAppID, &k.ID); err != nil {
			return nil, fmt.Errorf("find withdraw pending: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find withdraw pending: %w", err)
	}
	return out, nil
}

// MarkWithdrawPlanned marks the recall of a message as planned.
func (db *DB) MarkWithdrawPlanned(ctx context.Context, key store.MessageKey) error {
	if _, err := db.exec(ctx, `
		UPDATE message_recalls SET withdraw_pending = 0
		WHERE sdk_app_id = ? AND msg_id = ? AND withdraw_pending = 1`, key.SDKAppID, key.ID); err != nil {
		return fmt.Errorf("mark withdraw planned: %w", err)
	}
	return nil
}
