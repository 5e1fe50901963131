package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateWebhookDelivery records one request to an app's callback URL.
func (db *DB) CreateWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = db.Now()
	}
	err := db.pool.QueryRow(ctx, `
		INSERT INTO webhook_deliveries (sdk_app_id, command, events, result, http_status, error, duration_ms, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		d.SDKAppID, d.Command, d.Events, d.Result, d.HTTPStatus, d.Error, d.Duration.Milliseconds(), d.CreatedAt.UnixMilli()).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("create webhook delivery: %w", formatError(err))
	}
	return nil
}

// FindWebhookDeliveries returns the app's newest deliveries, newest first.
func (db *DB) FindWebhookDeliveries(ctx context.Context, sdkAppID int64, limit int) ([]*store.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.pool.Query(ctx, `
		SELECT id, sdk_app_id, command, events, result, http_status, error, duration_ms, created_at
		FROM webhook_deliveries WHERE sdk_app_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, sdkAppID, limit)
	if err != nil {
		return nil, fmt.Errorf("find webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []*store.WebhookDelivery
	for rows.Next() {
		var d store.WebhookDelivery
		var events, status int32
		var ms, at int64
		if err := rows.Scan(&d.ID, &d.SDKAppID, &d.Command, &events, &d.Result, &status, &d.Error, &ms, &at); err != nil {
			return nil, fmt.Errorf("find webhook deliveries: %w", err)
		}
		d.Events, d.HTTPStatus = int(events), int(status)
		d.Duration, d.CreatedAt = time.Duration(ms)*time.Millisecond, fromMS(at)
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find webhook deliveries: %w", err)
	}
	return out, nil
}

// DeleteWebhookDeliveriesBefore removes deliveries older than t.
func (db *DB) DeleteWebhookDeliveriesBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhook_deliveries WHERE created_at < $1`, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete webhook deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
