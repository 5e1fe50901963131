package pipeline

import (
	"context"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/herald-im/herald/internal/push"
)

// Backoff exposes backoff to the tests.
func Backoff(attempt int) time.Duration { return (&Pipeline{}).backoff(attempt) }

// Replan plans message id of app again, as a redelivered plan job does.
func (p *Pipeline) Replan(ctx context.Context, sdkAppID int64, id string) error {
	_, err := p.plan(ctx, planJob{SDKAppID: sdkAppID, MessageID: id}, false, nil)
	return err
}

// PublishPlan publishes a plan job for message id with JetStream message ID msgID.
func (p *Pipeline) PublishPlan(ctx context.Context, sdkAppID int64, id, msgID string) error {
	return p.publishPlan(ctx, planJob{SDKAppID: sdkAppID, MessageID: id}, msgID)
}

// MaxPending exposes the bound on targets held in unpublished send jobs.
const MaxPending = maxPending

// RepublishSends publishes again, under fresh publish IDs, a send job for every push
// record of message id that is queued or being sent, as a replayed plan past
// JetStream's duplicate window would.
func (p *Pipeline) RepublishSends(ctx context.Context, sdkAppID int64, id string) error {
	rs, err := p.Store.FindPushRecords(ctx, sdkAppID, id)
	if err != nil {
		return err
	}
	m, err := p.Store.FindMessageByID(ctx, sdkAppID, id)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Outcome != "queued" && r.Outcome != "sending" {
			continue
		}
		d, err := p.Store.FindDevice(ctx, sdkAppID, r.UserID, r.DeviceID)
		if err != nil {
			return err
		}
		j := &sendJob{SDKAppID: sdkAppID, MessageID: id, From: m.From, CertificateID: r.CertificateID,
			Notification: &push.Notification{Title: "again", Body: "again"}, Attempt: 1,
			Deadline: p.Now().Add(time.Hour), NotBefore: time.Unix(0, 1), // a NotBefore in the past: a fresh ID
			Targets: []sendTarget{{RecordID: r.ID, Token: d.PushToken, UserID: r.UserID, DeviceID: r.DeviceID}}}
		if err := p.publishSend(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// Crash makes p act as a node that died: it takes no more jobs, stops reporting the
// jobs in hand in progress, and neither records nor acknowledges what its sends answer.
func (p *Pipeline) Crash() {
	p.crashed.Store(true)
	p.stop()
	p.cancel()
}

// ReplanRecall plans the replacements of recalled message id, as a recall plan job
// does, and reports whether the recall is done.
func (p *Pipeline) ReplanRecall(ctx context.Context, sdkAppID int64, id string) (bool, error) {
	return p.planRecall(ctx, planJob{SDKAppID: sdkAppID, MessageID: id, Recall: true})
}

// RecallsQueuedTotal exposes the count of lock-screen replacements queued.
var RecallsQueuedTotal = recallsQueuedTotal

// DirectSent returns the count of pushes sent by their planner.
func DirectSent() float64 {
	var m dto.Metric
	directTotal.Write(&m)
	return m.GetCounter().GetValue()
}
