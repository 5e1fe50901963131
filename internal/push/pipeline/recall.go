package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// Recall replacements (docs/push.md, "Recall").
//
// A recalled message's notification is withdrawn from the lock screen by a replacement
// with the same replace key (push.ComposeRecall), sent to each device whose push the
// vendor accepted. The replacements are pushes like any other: a recall plan job (a
// plan job with Recall set) creates their push records, of kind store.KindRecall, in
// the message's trace, and queues their send jobs, which the send path handles as it
// does every push: claims, retries with backoff until the TTL, certificate parking,
// rate limits, token unbinding.
//
// Durability: a recall is withdraw-pending in the store from its commit
// (store.FindWithdrawPending). Recalled publishes its plan job; the recall sweep
// publishes it again while it is pending, which covers a publish lost to a crash or a
// NATS outage. A plan is marked done only when every push of the message has settled:
// a push still queued when the recall commits is not sent at all (dropRecalled
// answers it "recalled"), and one being sent at that moment is waited for (the sweep
// plans the recall again) and replaced once the vendor has accepted it. A replayed
// plan creates no second replacement: it queues again only its records never tried.

// recallDecisions are the decisions of a message's records whose notification reached
// a vendor.
var recallDecisions = []string{push.Push.String(), "unacked"}

// recallsQueuedTotal counts the lock-screen replacements queued.
var recallsQueuedTotal = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "herald_push_recall_replacements_total",
	Help: "Lock-screen replacements of recalled messages' notifications queued (one per device).",
})

// OutcomeRecalled is the outcome of a message's push that was still queued when the
// message was recalled: it was not sent.
const OutcomeRecalled = "recalled"

// Recalled is im's RecalledFunc: it queues the planning of the lock-screen
// replacements of m's notifications. The recall is withdraw-pending in the store
// already, so a publish lost to a crash or a NATS outage is made again by the recall
// sweep; Recalled never fails the recall.
func (p *Pipeline) Recalled(ctx context.Context, m *store.Message, _ *store.Recall) {
	if !p.js.Conn().IsConnected() {
		p.Logger.Warn("NATS is down: the sweep will queue the recall's replacements", "app", m.SDKAppID, "message", m.ID)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storedPublishTimeout)
	defer cancel()
	if err := p.publishPlan(ctx, planJob{SDKAppID: m.SDKAppID, MessageID: m.ID, Recall: true}, "recall:"+m.ID); err != nil {
		p.Logger.Warn("queue recall replacements; the sweep will queue them again", "app", m.SDKAppID, "message", m.ID, "err", err)
	}
}

// handleRecall plans the replacements of a recalled message's notifications.
func (p *Pipeline) handleRecall(msg jetstream.Msg, job planJob) {
	ctx, cancel := context.WithTimeout(p.ctx, 2*sendTimeout)
	defer cancel()
	done, err := p.planRecall(ctx, job)
	if err != nil {
		if md, merr := msg.Metadata(); merr == nil && md.NumDelivered >= maxPlanTries {
			p.Logger.Error("give up planning recall replacements", "app", job.SDKAppID, "message", job.MessageID, "tries", md.NumDelivered, "err", err)
			msg.Term()
			return
		}
		p.Logger.Warn("plan recall replacements", "app", job.SDKAppID, "message", job.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	if done {
		if err := p.Store.MarkWithdrawPlanned(ctx, store.MessageKey{SDKAppID: job.SDKAppID, ID: job.MessageID}); err != nil {
			// Still pending: the sweep plans it again, which queues nothing twice.
			p.Logger.Warn("mark recall planned", "app", job.SDKAppID, "message", job.MessageID, "err", err)
		}
	}
	p.ack(msg)
}

// planRecall creates and queues the replacements of the message's accepted pushes that
// have none yet. It reports done when nothing is left to wait for: every push of the
// message has settled, or the recall's TTL has run out.
func (p *Pipeline) planRecall(ctx context.Context, job planJob) (done bool, err error) {
	m, err := p.Store.FindMessageByID(ctx, job.SDKAppID, job.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // deleted by retention: its recall went with it
	}
	if err != nil {
		return false, fmt.Errorf("find message: %w", err)
	}
	recalls, err := p.Store.FindRecalls(ctx, m.SDKAppID, []string{m.ID})
	if err != nil {
		return false, fmt.Errorf("find recall: %w", err)
	}
	r := recalls[m.ID]
	if r == nil {
		return true, nil // not recalled: nothing to withdraw
	}
	pl := &planner{p: p, m: m}
	if err := json.Unmarshal(m.Elements, &pl.elems); err != nil {
		return false, fmt.Errorf("decode elements: %w", err)
	}
	if len(m.PushInfo) > 0 {
		pl.info = new(protocol.OfflinePushInfo)
		if err := json.Unmarshal(m.PushInfo, pl.info); err != nil {
			return false, fmt.Errorf("decode push info: %w", err)
		}
	}
	// The replacement is tried for the message's push TTL from the recall.
	pl.deadline = p.deadline(r.At, pl.info)
	if !p.Now().Before(pl.deadline) {
		return true, nil
	}
	recs, err := p.Store.FindPushRecords(ctx, m.SDKAppID, m.ID)
	if err != nil {
		return false, fmt.Errorf("find records: %w", err)
	}
	replaced := map[string]*store.PushRecord{}
	for _, rec := range recs {
		if rec.Kind == store.KindRecall {
			replaced[rec.UserID+"/"+rec.DeviceID] = rec
		}
	}
	var originals []*store.PushRecord
	done = true
	for _, rec := range recs {
		if rec.Kind != store.KindMessage || !slices.Contains(recallDecisions, rec.Decision) {
			continue
		}
		switch rec.Outcome {
		case "queued", store.OutcomeSending:
			// Not answered yet: a queued push is dropped at its next try; one being
			// sent may be accepted, and is replaced once it is.
			done = false
			continue
		case push.Accepted.String():
		default:
			continue // never reached the phone
		}
		if prev := replaced[rec.UserID+"/"+rec.DeviceID]; prev != nil && !(prev.Outcome == "queued" && prev.Attempts == 0) {
			continue // replaced already, or being replaced
		}
		originals = append(originals, rec)
	}
	if len(originals) == 0 {
		return done, nil
	}
	pl.sender = m.From
	if a, err := p.Store.FindAccount(ctx, m.SDKAppID, m.From); err == nil && a.Nickname != "" {
		pl.sender = a.Nickname
	}
	if m.Type == store.TypeGroup {
		if g, err := p.Store.FindGroup(ctx, m.SDKAppID, m.GroupID); err == nil {
			pl.group = g.Name
		}
	}
	// A large group's replacements are planned a page of devices at a time.
	pl.batches = map[batchKey]*sendJob{}
	for page := range slices.Chunk(originals, memberPage) {
		if err := pl.queueRecalls(ctx, page, replaced); err != nil {
			return false, err
		}
	}
	if err := pl.flush(ctx); err != nil {
		return false, err
	}
	return done, nil
}

// queueRecalls creates the replacement records of originals (accepted pushes of the
// message, whose replacement is not in replaced or was never tried) and adds their
// sends to the planner's jobs, publishing those that are full.
func (pl *planner) queueRecalls(ctx context.Context, originals []*store.PushRecord, replaced map[string]*store.PushRecord) error {
	p, m := pl.p, pl.m
	users := make([]string, 0, len(originals))
	for _, r := range originals {
		users = append(users, r.UserID)
	}
	slices.Sort(users)
	devices, err := p.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: m.SDKAppID, UserIDs: slices.Compact(users)})
	if err != nil {
		return fmt.Errorf("find devices: %w", err)
	}
	byKey := make(map[string]*store.Device, len(devices))
	for _, d := range devices {
		byKey[d.UserID+"/"+d.DeviceID] = d
	}
	type replacement struct {
		rec    *store.PushRecord // the replacement's record
		device *store.Device
		cert   *push.Certificate
		n      *push.Notification
	}
	var fresh []*store.PushRecord
	var out []replacement
	for _, orig := range originals {
		d := byKey[orig.UserID+"/"+orig.DeviceID]
		if d == nil || d.PushToken == "" || d.CertificateID != orig.CertificateID {
			continue // unbound or moved since: the phone is no longer this user's
		}
		cert, err := p.certs.get(ctx, m.SDKAppID, orig.CertificateID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("certificate %d: %w", orig.CertificateID, err)
		}
		n := push.ComposeRecall(push.ComposeInput{Message: m, Elements: pl.elems, PushInfo: pl.info,
			SenderName: pl.sender, GroupName: pl.group, Recipient: d.UserID, Certificate: cert})
		if n == nil {
			continue // VoIP: nothing on the lock screen to replace
		}
		rec := replaced[orig.UserID+"/"+orig.DeviceID] // a replayed plan's record, never tried
		if rec == nil {
			rec = &store.PushRecord{SDKAppID: m.SDKAppID, MessageID: m.ID, UserID: d.UserID, DeviceID: d.DeviceID,
				Kind: store.KindRecall, Decision: push.Push.String(), Vendor: string(cert.Vendor), CertificateID: cert.ID, Outcome: "queued"}
			fresh = append(fresh, rec)
		}
		out = append(out, replacement{rec: rec, device: d, cert: cert, n: n})
	}
	// The records go in before their jobs: a plan cut off between the two finds them
	// queued and never tried, and queues them again.
	if len(fresh) > 0 {
		if err := p.Store.CreatePushRecords(ctx, fresh); err != nil {
			return fmt.Errorf("create records: %w", err)
		}
	}
	for _, t := range out {
		nb, _ := json.Marshal(t.n)
		k := batchKey{t.cert.ID, string(nb)}
		j := pl.batches[k]
		if j == nil {
			j = &sendJob{SDKAppID: m.SDKAppID, MessageID: m.ID, Kind: store.KindRecall, From: m.From, GroupID: m.GroupID,
				CertificateID: t.cert.ID, Notification: t.n, Attempt: 1, Deadline: pl.deadline}
			pl.batches[k] = j
			pl.order = append(pl.order, k)
		}
		j.Targets = append(j.Targets, sendTarget{RecordID: t.rec.ID, Token: t.device.PushToken, UserID: t.device.UserID, DeviceID: t.device.DeviceID})
		if s := p.Senders[t.cert.Vendor]; s != nil && len(j.Targets) >= s.MaxBatch() {
			if err := pl.publish(ctx, k); err != nil {
				return err
			}
		}
	}
	recallsQueuedTotal.Add(float64(len(fresh))) // a replay's queueing again is not counted
	return nil
}

// dropRecalled answers the claimed targets of a message's send job "recalled" when the
// message was recalled before the try: a recalled message's notification is not shown
// at all. It reports whether it did; ok false means msg was handed back to JetStream
// (the answers could not be written). The check follows the claim, so a recall that
// commits after it finds the record being sent, waits for its answer, and replaces it.
func (p *Pipeline) dropRecalled(ctx context.Context, j *sendJob, msg jetstream.Msg) (dropped, ok bool) {
	if j.Kind != store.KindMessage || j.TaskID != "" {
		return false, true
	}
	recalls, err := p.Store.FindRecalls(ctx, j.SDKAppID, []string{j.MessageID})
	if err != nil || recalls[j.MessageID] == nil {
		return false, true // on a store error, send: a recall's replacement covers it
	}
	outcome, reason, attempts := OutcomeRecalled, "the message was recalled before its push was sent", j.Attempt
	upds := make(map[int64]store.PushRecordUpdate, len(j.Targets))
	for _, t := range j.Targets {
		upds[t.RecordID] = store.PushRecordUpdate{Outcome: &outcome, Reason: &reason, Attempts: &attempts, IfSending: &attempts}
	}
	if _, err := p.Store.UpdatePushRecords(ctx, j.SDKAppID, upds); err != nil {
		p.Logger.Warn("record pushes dropped by a recall", "message", j.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return true, false
	}
	return true, true
}

// recallSweepLoop queues again the replacement planning of recalls still pending after
// SweepAfter: their plan job was lost, or a push of theirs was still being sent.
func (p *Pipeline) recallSweepLoop(ctx context.Context) {
	t := time.NewTicker(max(p.SweepEvery, 10*time.Millisecond))
	defer t.Stop()
	for {
		if n, err := p.SweepRecalls(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Warn("sweep pending recalls", "err", err)
		} else if n > 0 {
			p.Logger.Debug("queued the replacement planning of pending recalls", "recalls", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepRecalls queues the replacement planning of every recall made before SweepAfter
// ago that is still pending, and returns how many it queued (at most a page).
func (p *Pipeline) SweepRecalls(ctx context.Context) (int, error) {
	keys, err := p.Store.FindWithdrawPending(ctx, p.Now().Add(-p.SweepAfter), sweepPage)
	if err != nil {
		return 0, err
	}
	for i, k := range keys {
		if err := p.publishPlan(ctx, planJob{SDKAppID: k.SDKAppID, MessageID: k.ID, Recall: true}, "recall:"+k.ID); err != nil {
			return i, err
		}
	}
	return len(keys), nil
}
