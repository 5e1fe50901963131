package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
)

// webhookLog reads the webhook delivery log.
type webhookLog interface {
	FindWebhookDeliveries(ctx context.Context, sdkAppID int64, limit int) ([]*store.WebhookDelivery, error)
}

// WebhookDelivery is one request in GET /v1/admin/app/webhook-deliveries.
type WebhookDelivery struct {
	Time       time.Time `json:"time"`
	Command    string    `json:"command"`
	Events     int       `json:"events"`
	Result     string    `json:"result"`
	HTTPStatus int       `json:"http_status"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

func (s *Server) webhookDeliveries(r *http.Request, app *store.App) (any, error) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return nil, errcode.Errorf(errcode.InvalidRequest, "limit %q: use 1 to 500", v)
		}
		limit = n
	}
	ds, err := s.WebhookLog.FindWebhookDeliveries(r.Context(), app.SDKAppID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookDelivery, len(ds))
	for i, d := range ds {
		out[i] = WebhookDelivery{Time: d.CreatedAt.UTC(), Command: d.Command, Events: d.Events, Result: d.Result,
			HTTPStatus: d.HTTPStatus, Error: d.Error, DurationMS: d.Duration.Milliseconds()}
	}
	return map[string]any{"deliveries": out}, nil
}
