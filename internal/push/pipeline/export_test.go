package pipeline

import (
	"context"
	"time"
)

// Backoff exposes backoff to the tests.
func Backoff(attempt int) time.Duration { return (&Pipeline{}).backoff(attempt) }

// Replan plans message id of app again, as a redelivered plan job does.
func (p *Pipeline) Replan(ctx context.Context, sdkAppID int64, id string) error {
	return p.plan(ctx, planJob{SDKAppID: sdkAppID, MessageID: id})
}

// PublishPlan publishes a plan job for message id with JetStream message ID msgID.
func (p *Pipeline) PublishPlan(ctx context.Context, sdkAppID int64, id, msgID string) error {
	return p.publishPlan(ctx, planJob{SDKAppID: sdkAppID, MessageID: id}, msgID)
}

// MaxPending exposes the bound on targets held in unpublished send jobs.
const MaxPending = maxPending
