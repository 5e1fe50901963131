package postgres

import (
	"context"
	"fmt"
)

// FindPushTaskIDs returns the IDs of the app's newest push tasks, newest first.
func (db *DB) FindPushTaskIDs(ctx context.Context, sdkAppID int64, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.pool.Query(ctx, `
		SELECT id FROM push_tasks WHERE sdk_app_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, sdkAppID, limit)
	if err != nil {
		return nil, fmt.Errorf("find push tasks: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find push tasks: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find push tasks: %w", err)
	}
	return ids, nil
}
