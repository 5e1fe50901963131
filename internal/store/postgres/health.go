package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// FindCertificateOutcomes returns each certificate's last success and last error in
// the push records created at or after since.
func (db *DB) FindCertificateOutcomes(ctx context.Context, sdkAppID int64, since time.Time) ([]*store.CertificateOutcome, error) {
	by := map[int64]*store.CertificateOutcome{}
	get := func(id int64) *store.CertificateOutcome {
		if by[id] == nil {
			by[id] = &store.CertificateOutcome{CertificateID: id}
		}
		return by[id]
	}
	rows, err := db.pool.Query(ctx, `
		SELECT certificate_id, MAX(updated_at) FROM push_records
		WHERE sdk_app_id = $1 AND created_at >= $2 AND certificate_id <> 0 AND outcome = 'accepted'
		GROUP BY certificate_id`, sdkAppID, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("find certificate outcomes: %w", err)
	}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find certificate outcomes: %w", err)
		}
		get(id).LastSuccess = time.UnixMilli(at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find certificate outcomes: %w", err)
	}
	rows, err = db.pool.Query(ctx, `
		SELECT certificate_id, outcome, reason, updated_at FROM (
			SELECT certificate_id, outcome, reason, updated_at,
				ROW_NUMBER() OVER (PARTITION BY certificate_id ORDER BY updated_at DESC, id DESC) AS n
			FROM push_records
			WHERE sdk_app_id = $1 AND created_at >= $2 AND certificate_id <> 0
			  AND outcome IN ('invalid_token', 'retry_later', 'auth_expired', 'quota_exceeded', 'failed', 'expired')
		) t WHERE n = 1`, sdkAppID, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("find certificate outcomes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var outcome, reason string
		if err := rows.Scan(&id, &outcome, &reason, &at); err != nil {
			return nil, fmt.Errorf("find certificate outcomes: %w", err)
		}
		o := get(id)
		o.LastError, o.LastErrorOutcome, o.LastErrorReason = time.UnixMilli(at), outcome, reason
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find certificate outcomes: %w", err)
	}
	out := make([]*store.CertificateOutcome, 0, len(by))
	for _, o := range by {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CertificateID < out[j].CertificateID })
	return out, nil
}
