package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/redact"
	"github.com/herald-im/herald/internal/store"
)

// sendJob is one vendor request's worth of work: one notification to tokens of one
// certificate.
type sendJob struct {
	SDKAppID  int64  `json:"app"`
	MessageID string `json:"message_id"`
	// From and GroupID describe the message for Answered; jobs queued before they
	// existed lack them.
	From    string `json:"from,omitempty"`
	GroupID string `json:"group_id,omitempty"`
	// TaskID is set for a broadcast's pushes (MessageID is then the task ID).
	TaskID        string             `json:"task_id,omitempty"`
	CertificateID int64              `json:"certificate_id"`
	Notification  *push.Notification `json:"notification"`
	Targets       []sendTarget       `json:"targets"`
	Attempt       int                `json:"attempt"`
	NotBefore     time.Time          `json:"not_before,omitzero"` // a retry waits until then
	Deadline      time.Time          `json:"deadline"`            // no try after this
}

type sendTarget struct {
	RecordID int64  `json:"record_id"`
	Token    string `json:"token"`
	UserID   string `json:"user_id,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
}

func (p *Pipeline) publishSend(ctx context.Context, j *sendJob) error {
	data, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode send job: %w", err)
	}
	// The ID makes a republished job (after a crash between records and acknowledgement)
	// a duplicate JetStream drops.
	id := fmt.Sprintf("send:%d:%d:%d:%d", j.SDKAppID, j.Targets[0].RecordID, len(j.Targets), j.Attempt)
	if _, err := p.js.Publish(ctx, sendSubject, data, jetstream.WithMsgID(id)); err != nil {
		return fmt.Errorf("queue send: %w", err)
	}
	return nil
}

// handleSend makes one vendor request for a send job and records the answers.
func (p *Pipeline) handleSend(msg jetstream.Msg) {
	var j sendJob
	if err := json.Unmarshal(msg.Data(), &j); err != nil || len(j.Targets) == 0 || j.Notification == nil {
		p.Logger.Error("drop malformed send job", "err", err)
		msg.Term()
		return
	}
	now := p.Now()
	if wait := j.NotBefore.Sub(now); wait > 0 {
		p.Logger.Debug("push retry waits", "message", j.MessageID, "attempt", j.Attempt, "wait", wait)
		msg.NakWithDelay(wait)
		return
	}
	ctx := p.ctx
	cert, err := p.certs.get(ctx, j.SDKAppID, j.CertificateID)
	if errors.Is(err, store.ErrNotFound) {
		p.finish(ctx, &j, push.Results(tokens(j.Targets), push.Failed, 0, "the certificate was deleted"))
		p.ack(msg)
		return
	}
	if err != nil {
		p.Logger.Warn("load certificate", "certificate", j.CertificateID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	if until := p.certs.pausedUntil(cert.ID); until.After(now) {
		msg.NakWithDelay(until.Sub(now))
		return
	}
	sender := p.Senders[cert.Vendor]
	if sender == nil {
		p.finish(ctx, &j, push.Results(tokens(j.Targets), push.Failed, 0, "no sender for "+string(cert.Vendor)))
		p.ack(msg)
		return
	}
	if err := p.certs.limiter(cert.ID).Wait(ctx); err != nil {
		msg.Nak() // shutting down
		return
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	start := time.Now()
	results := sender.Send(sctx, cert, j.Notification, tokens(j.Targets))
	cancel()
	sendSeconds.WithLabelValues(string(cert.Vendor)).Observe(time.Since(start).Seconds())
	if len(results) != len(j.Targets) {
		p.Logger.Error("sender answered for the wrong number of tokens", "vendor", cert.Vendor, "tokens", len(j.Targets), "results", len(results))
		results = push.Results(tokens(j.Targets), push.RetryLater, 0, "sender answered for the wrong number of tokens")
	}
	if err := p.finish(ctx, &j, results); err != nil {
		p.Logger.Warn("record push results", "message", j.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	p.ack(msg)
}

// finish records each token's answer, unbinds invalid tokens, pauses a certificate
// whose quota is used up, and queues the retries.
func (p *Pipeline) finish(ctx context.Context, j *sendJob, results []push.Result) error {
	var retry []sendTarget
	var retryAfter time.Duration
	var answers []Answer
	now := p.Now()
	upds := make(map[int64]store.PushRecordUpdate, len(results))
	for i, r := range results {
		t := j.Targets[i]
		outcome := r.Outcome.String()
		resultsTotal.WithLabelValues(vendorOf(j, p), outcome).Inc()
		switch r.Outcome {
		case push.InvalidToken:
			if _, err := p.Store.UnbindPushToken(ctx, j.SDKAppID, j.CertificateID, t.Token); err != nil {
				return fmt.Errorf("unbind token: %w", err)
			}
			p.Logger.Info("push token unbound", "vendor", vendorOf(j, p), "certificate", j.CertificateID, "token", redact.Token(t.Token), "reason", r.Reason)
		case push.QuotaExceeded:
			wait := r.RetryAfter
			if wait <= 0 {
				wait = time.Hour
			}
			p.certs.pause(j.CertificateID, now.Add(wait))
			p.Logger.Warn("certificate quota exceeded", "vendor", vendorOf(j, p), "certificate", j.CertificateID, "until", now.Add(wait), "reason", r.Reason)
		case push.AuthExpired:
			p.Logger.Error("certificate refused by the vendor", "vendor", vendorOf(j, p), "certificate", j.CertificateID, "reason", r.Reason)
		}
		if (r.Outcome == push.RetryLater || r.Outcome == push.QuotaExceeded) && j.Attempt < p.MaxAttempts {
			wait := max(r.RetryAfter, backoff(j.Attempt))
			if now.Add(wait).Before(j.Deadline) {
				retry = append(retry, t)
				retryAfter = max(retryAfter, wait)
				outcome = "queued"
			}
		}
		if outcome != "queued" && p.Answered != nil {
			answers = append(answers, Answer{
				SDKAppID: j.SDKAppID, MessageID: j.MessageID, From: j.From, GroupID: j.GroupID,
				UserID: t.UserID, DeviceID: t.DeviceID, Vendor: push.Vendor(vendorOf(j, p)), CertificateID: j.CertificateID,
				Outcome: r.Outcome, Reason: r.Reason, Attempts: j.Attempt, Time: now, TaskID: j.TaskID,
			})
		}
		attempts := j.Attempt
		upd := store.PushRecordUpdate{Outcome: &outcome, Reason: &r.Reason, Attempts: &attempts}
		if r.MessageID != "" {
			upd.VendorMessageID = &r.MessageID
		}
		upds[t.RecordID] = upd
	}
	// One transaction for the job's answers; records deleted by retention meanwhile
	// are skipped.
	if _, err := p.Store.UpdatePushRecords(ctx, j.SDKAppID, upds); err != nil {
		return fmt.Errorf("update records: %w", err)
	}
	p.Logger.Debug("push sent", "message", j.MessageID, "certificate", j.CertificateID, "attempt", j.Attempt, "tokens", len(results), "retries", len(retry))
	if len(retry) > 0 {
		next := *j
		next.Targets, next.Attempt, next.NotBefore = retry, j.Attempt+1, now.Add(retryAfter)
		if err := p.publishSend(ctx, &next); err != nil {
			return err
		}
	}
	if len(answers) > 0 {
		p.Answered(ctx, answers)
	}
	if j.TaskID != "" && len(retry) == 0 {
		// The task's last answers mark it done; a lost update is redone by the next
		// job, or shows as "sending" with no push queued.
		if err := p.finishTask(ctx, j.SDKAppID, j.TaskID); err != nil {
			p.Logger.Warn("finish broadcast", "task", j.TaskID, "err", err)
		}
	}
	return nil
}

// backoff is the wait before try attempt+1: exponential from 1s, capped at 10 min, with
// jitter so that a vendor outage does not end in a thundering herd.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 10)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func tokens(ts []sendTarget) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Token
	}
	return out
}

func vendorOf(j *sendJob, p *Pipeline) string {
	if c := p.certs.cached(j.CertificateID); c != nil {
		return string(c.Vendor)
	}
	return "unknown"
}
