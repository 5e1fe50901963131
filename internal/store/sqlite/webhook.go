package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateWebhookDelivery records one request to an app's callback URL.
func (db *DB) CreateWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now()
	}
	res, err := db.exec(ctx, `
		INSERT INTO webhook_deliveries (sdk_app_id, command, events, result, http_status, error, duration_ms, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.SDKAppID, d.Command, d.Events, d.Result, d.HTTPStatus, d.Error, d.Duration.Milliseconds(), d.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create webhook delivery: %w", err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create webhook delivery: %w", err)
	}
	return nil
}

// FindWebhookDeliveries returns the app's newest deliveries, newest first.
func (db *DB) FindWebhookDeliveries(ctx context.Context, sdkAppID int64, limit int) ([]*store.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.reads.query(ctx, `
		SELECT id, sdk_app_id, command, events, result, http_status, error, duration_ms, created_at
		FROM webhook_deliveries WHERE sdk_app_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, sdkAppID, limit)
	if err != nil {
		return nil, fmt.Errorf("find webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []*store.WebhookDelivery
	for rows.Next() {
		var d store.WebhookDelivery
		var ms, at int64
		if err := rows.Scan(&d.ID, &d.SDKAppID, &d.Command, &d.Events, &d.Result, &d.HTTPStatus, &d.Error, &ms, &at); err != nil {
			return nil, fmt.Errorf("find webhook deliveries: %w", err)
		}
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
	res, err := db.exec(ctx, `DELETE FROM webhook_deliveries WHERE created_at < ?`, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete webhook deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete webhook deliveries: %w", err)
	}
	return int(n), nil
}
