package sqlite

import (
	"context"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// SearchMessages returns the app's messages f selects, newest first.
func (db *DB) SearchMessages(ctx context.Context, f store.MessageSearch) ([]*store.Message, error) {
	since, until := f.TimeRange()
	rows, err := db.reads.query(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE m.sdk_app_id = ? AND m.time >= ? AND m.time < ?
		  AND (? = '' OR m.channel = ?)
		  AND (? = '' OR m.from_user_id = ? OR (m.type = 'c2c' AND m.to_user_id = ?)
		       OR EXISTS (SELECT 1 FROM inbox_entries e WHERE e.sdk_app_id = m.sdk_app_id AND e.user_id = ? AND e.msg_id = m.id))
		ORDER BY m.time DESC, m.id DESC
		LIMIT ?`, f.SDKAppID, since, until, f.Channel, f.Channel, f.UserID, f.UserID, f.UserID, f.UserID, f.SearchLimit())
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	defer rows.Close()
	var msgs []*store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("search messages: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return msgs, nil
}
