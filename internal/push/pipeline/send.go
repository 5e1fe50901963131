package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

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
	TaskID string `json:"task_id,omitempty"`
	// Kind is the kind of its push records: store.KindRecall for a recall's
	// replacements (recall.go).
	Kind          string             `json:"kind,omitempty"`
	CertificateID int64              `json:"certificate_id"`
	Notification  *push.Notification `json:"notification"`
	Targets       []sendTarget       `json:"targets"`
	Attempt       int                `json:"attempt"`
	NotBefore     time.Time          `json:"not_before,omitzero"` // a retry waits until then
	Deadline      time.Time          `json:"deadline"`            // no try after this

	// claimed: its records were created claimed by its planner, which sends it
	// directly (plan.go); never queued so.
	claimed bool
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
	// The ID makes a job published again with the same records and attempt (a replayed
	// plan, a redelivered send) a duplicate JetStream drops within its window; past
	// it, the records' claims keep the second copy from sending.
	if _, err := p.js.Publish(ctx, p.Bus.Subject(sendSubject), data, jetstream.WithMsgID(sendJobID(j))); err != nil {
		return fmt.Errorf("queue send: %w", err)
	}
	return nil
}

// sendJobID names a send job by its app, attempt, records and, for a retry, its time.
func sendJobID(j *sendJob) string {
	h := sha256.New()
	for _, t := range j.Targets {
		binary.Write(h, binary.BigEndian, t.RecordID)
	}
	// A retry's NotBefore is its own: a retry queued again after a failed write is a
	// new job, not a duplicate to drop.
	binary.Write(h, binary.BigEndian, j.NotBefore.UnixNano())
	return fmt.Sprintf("send:%d:%d:%x", j.SDKAppID, j.Attempt, h.Sum(nil)[:12])
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
		msg.NakWithDelay(p.real(wait))
		return
	}
	ctx := p.ctx
	cert, err := p.certs.get(ctx, j.SDKAppID, j.CertificateID)
	if errors.Is(err, store.ErrNotFound) {
		p.giveUp(msg, &j, "the certificate was deleted")
		return
	}
	if err != nil {
		p.Logger.Warn("load certificate", "certificate", j.CertificateID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	sender := p.Senders[cert.Vendor]
	if sender == nil {
		p.giveUp(msg, &j, "no sender for "+string(cert.Vendor))
		return
	}
	if until := p.certs.pausedUntil(cert.ID); until.After(now) {
		msg.NakWithDelay(p.real(until.Sub(now)))
		return
	}
	ok, probe, wait := p.certs.admit(cert.ID, now)
	if !ok {
		// Parked: the job waits in JetStream, backing off on its own deliveries, while
		// one probe at a time finds out whether the vendor is back.
		n := uint64(1)
		if md, err := msg.Metadata(); err == nil {
			n = md.NumDelivered
		}
		msg.NakWithDelay(p.real(max(wait, p.backoff(int(min(n, 64))))))
		return
	}
	released := false
	release := func() {
		if probe && !released {
			p.certs.release(cert.ID)
			released = true
		}
	}
	defer release()
	if err := p.certs.limiter(cert).Wait(ctx); err != nil {
		msg.Nak() // shutting down
		return
	}
	// A sender that makes a request per token (FCM, APNs) has only InFlight of them at
	// the vendor at once: the job is claimed, sent and recorded that many at a time, so
	// that a crash repeats only the requests that were in flight, not the whole job.
	all, step := j.Targets, len(j.Targets)
	if s, ok := sender.(push.PerTokenSender); ok && s.InFlight() > 0 {
		step = s.InFlight()
	}
	for start := 0; start < len(all); start += step {
		if start > 0 && (p.certs.parkedFor(cert.ID) != "" || p.certs.pausedUntil(cert.ID).After(p.Now())) {
			// The vendor stopped taking pushes mid-job: the rest waits in JetStream (its
			// records unclaimed) like any job of a parked or paused certificate.
			msg.NakWithDelay(p.real(max(p.certs.pausedUntil(cert.ID).Sub(p.Now()), firstProbe)))
			return
		}
		part := j
		part.Targets = all[start:min(start+step, len(all))]
		sent, ok := p.sendPart(ctx, msg, &part, cert, sender)
		if sent {
			released = true // answered settles the probe
		}
		if !ok {
			return
		}
	}
	p.ack(msg)
}

// sendPart claims targets of j (one request's worth, or the in-flight share of a
// per-token sender), sends them and records the answers. sent says whether the vendor
// was asked; ok false means msg has been handed back to JetStream or the node died.
func (p *Pipeline) sendPart(ctx context.Context, msg jetstream.Msg, j *sendJob, cert *push.Certificate, sender push.Sender) (sent, ok bool) {
	targets, busy, err := j.Targets, []sendTarget(nil), error(nil)
	if !j.claimed {
		targets, busy, err = p.claim(ctx, msg, j, cert.Vendor)
	}
	if err != nil {
		p.Logger.Warn("claim push records", "message", j.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return false, false
	}
	if len(busy) > 0 {
		// Being sent by another holder, alive or dead: look again later, until it has
		// answered or its claim is old enough to be a dead node's.
		later := *j
		later.Targets, later.NotBefore = busy, p.Now().Add(time.Duration(float64(busyWait)*p.Speed))
		if err := p.publishSend(ctx, &later); err != nil {
			p.Logger.Warn("queue pushes being sent elsewhere", "message", j.MessageID, "err", err)
			msg.NakWithDelay(time.Second)
			return false, false
		}
	}
	if len(targets) == 0 {
		return false, true // sent by another copy of this job, or by another holder
	}
	j.Targets = targets
	if dropped, ok := p.dropRecalled(ctx, j, msg); dropped {
		return false, ok // recalled before this try (recall.go)
	}

	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	start := time.Now()
	results := sender.Send(sctx, cert, j.Notification, tokens(j.Targets))
	cancel()
	if p.crashed.Load() {
		return true, false // a dead node records nothing
	}
	sendSeconds.WithLabelValues(string(cert.Vendor)).Observe(time.Since(start).Seconds())
	if len(results) != len(j.Targets) {
		p.Logger.Error("sender answered for the wrong number of tokens", "vendor", cert.Vendor, "tokens", len(j.Targets), "results", len(results))
		results = push.Results(tokens(j.Targets), push.RetryLater, 0, "sender answered for the wrong number of tokens")
	}
	p.observe(cert, results)
	if err := p.finish(ctx, j, results); err != nil {
		p.Logger.Warn("record push results", "message", j.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return true, false
	}
	return true, true
}

// unclaim puts the records of a job its planner created claimed (plan.go) back to
// "queued", for a send job to claim them.
func (p *Pipeline) unclaim(ctx context.Context, j *sendJob) error {
	if !j.claimed {
		return nil
	}
	queued, never, first := "queued", 0, 1
	upds := make(map[int64]store.PushRecordUpdate, len(j.Targets))
	for _, t := range j.Targets {
		upds[t.RecordID] = store.PushRecordUpdate{Outcome: &queued, Attempts: &never, IfSending: &first}
	}
	if _, err := p.Store.UpdatePushRecords(ctx, j.SDKAppID, upds); err != nil {
		return fmt.Errorf("unclaim records: %w", err)
	}
	j.claimed = false
	return nil
}

// claim claims the job's records for its attempt and returns the targets to send, and
// those being sent by another holder (busy): a record answered or claimed by another
// copy of the job is left out. A job delivered again takes over the records it was
// sending when its node died, and a first delivery those whose claim is older than a
// live try can be (a single node on its embedded NATS may get a dead node's job back
// as a first delivery); those may have reached the vendor, and are counted as possible
// duplicates.
func (p *Pipeline) claim(ctx context.Context, msg jetstream.Msg, j *sendJob, vendor push.Vendor) (targets, busy []sendTarget, err error) {
	// The store stamps claims with the real time, whatever the pipeline's clock.
	reclaimBefore := time.Now().Add(-staleClaim)
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		reclaimBefore = time.Now().Add(time.Hour)
	}
	ids := make([]int64, len(j.Targets))
	for i, t := range j.Targets {
		ids[i] = t.RecordID
	}
	claims, err := p.Store.ClaimPushRecords(ctx, j.SDKAppID, ids, j.Attempt, reclaimBefore)
	if err != nil {
		return nil, nil, err
	}
	var out []sendTarget
	dups := 0
	for _, t := range j.Targets {
		c := claims[t.RecordID]
		if c.Busy {
			busy = append(busy, t)
		}
		if !c.Claimed {
			continue
		}
		out = append(out, t)
		if c.Reclaimed {
			dups++
		}
	}
	if dups > 0 {
		duplicatesTotal.WithLabelValues(string(vendor)).Add(float64(dups))
		p.Logger.Warn("push sent again after a try was cut off: the vendor may have had it", "message", j.MessageID, "attempt", j.Attempt, "pushes", dups)
	}
	return out, busy, nil
}

const (
	// staleClaim is longer than a live try can hold its claim: a vendor call
	// (sendTimeout) and the writing of its answers. An older claim is a dead node's.
	staleClaim = sendTimeout + ackWait
	// busyWait is how long a job whose records another holder is sending waits.
	busyWait = 5 * time.Second
)

// giveUp answers every target of a job that cannot be sent as failed for good.
func (p *Pipeline) giveUp(msg jetstream.Msg, j *sendJob, reason string) {
	targets, _, err := p.claim(p.ctx, msg, j, "unknown")
	if err == nil && len(targets) > 0 {
		j.Targets = targets
		err = p.finish(p.ctx, j, push.Results(tokens(targets), push.Failed, 0, reason))
	}
	if err != nil {
		p.Logger.Warn("record failed pushes", "message", j.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	p.ack(msg)
}

// observe tells the certificate's health what the request found, parking a
// certificate whose vendor keeps failing whole requests and unparking it when a
// request goes through.
func (p *Pipeline) observe(cert *push.Certificate, results []push.Result) {
	failedWhole, auth := true, true
	for _, r := range results {
		switch r.Outcome {
		case push.RetryLater:
			auth = false
		case push.AuthExpired:
		default:
			failedWhole = false
		}
	}
	reason := "vendor_down"
	if auth {
		reason = "auth_refused"
	}
	id := strconv.FormatInt(cert.ID, 10)
	switch p.certs.answered(cert.ID, failedWhole, reason, p.Now(), p.MaxBackoff) {
	case parked:
		parkedCerts.WithLabelValues(id, string(cert.Vendor), reason).Set(1)
		p.Logger.Error("certificate parked: its vendor fails every request; one probe at a time until it answers",
			"vendor", cert.Vendor, "certificate", cert.ID, "reason", reason, "last_answer", results[0].Reason)
	case unparked:
		parkedCerts.DeletePartialMatch(prometheus.Labels{"certificate": id})
		p.Logger.Info("certificate unparked: its vendor answers again", "vendor", cert.Vendor, "certificate", cert.ID)
	}
}

// finish records each token's answer, unbinds invalid tokens, pauses a certificate
// whose quota is used up, and queues the retries: a push that the vendor could not
// take (down, throttled, quota, credentials refused) is tried again until its TTL.
func (p *Pipeline) finish(ctx context.Context, j *sendJob, results []push.Result) error {
	var retry []sendTarget
	var retryAfter time.Duration
	var answers []Answer
	now := p.Now()
	upds := make(map[int64]store.PushRecordUpdate, len(results))
	vendor := vendorOf(j, p)
	for i, r := range results {
		t := j.Targets[i]
		outcome, reason := r.Outcome.String(), r.Reason
		resultsTotal.WithLabelValues(vendor, outcome).Inc()
		switch r.Outcome {
		case push.InvalidToken:
			if _, err := p.Store.UnbindPushToken(ctx, j.SDKAppID, j.CertificateID, t.Token); err != nil {
				return fmt.Errorf("unbind token: %w", err)
			}
			p.Logger.Info("push token unbound", "vendor", vendor, "certificate", j.CertificateID, "token", redact.Token(t.Token), "reason", r.Reason)
		case push.QuotaExceeded:
			wait := r.RetryAfter
			if wait <= 0 {
				wait = time.Hour
			}
			p.certs.pause(j.CertificateID, now.Add(wait))
			p.Logger.Warn("certificate quota exceeded", "vendor", vendor, "certificate", j.CertificateID, "until", now.Add(wait), "reason", r.Reason)
		}
		if retryable(r.Outcome) {
			wait := max(r.RetryAfter, p.backoff(j.Attempt))
			switch {
			case p.MaxAttempts > 0 && j.Attempt >= p.MaxAttempts:
				reason = fmt.Sprintf("gave up after %d tries; last answer %s", j.Attempt, r.Reason)
			case !now.Add(wait).Before(j.Deadline):
				outcome = "expired"
				reason = fmt.Sprintf("its TTL ran out (at %s) after %d tries; last answer %s: %s",
					j.Deadline.UTC().Format(time.RFC3339), j.Attempt, r.Outcome, r.Reason)
				expiredTotal.WithLabelValues(vendor).Inc()
			default:
				retry = append(retry, t)
				retryAfter = max(retryAfter, wait)
				outcome = "queued"
			}
		}
		if outcome != "queued" && p.Answered != nil && j.Kind == store.KindMessage {
			answers = append(answers, Answer{
				SDKAppID: j.SDKAppID, MessageID: j.MessageID, From: j.From, GroupID: j.GroupID,
				UserID: t.UserID, DeviceID: t.DeviceID, Vendor: push.Vendor(vendor), CertificateID: j.CertificateID,
				Outcome: r.Outcome, Reason: reason, Attempts: j.Attempt, Time: now, TaskID: j.TaskID,
			})
		}
		attempts := j.Attempt
		// Only while this try's claim holds: a retry may have claimed the record already.
		upd := store.PushRecordUpdate{Outcome: &outcome, Reason: &reason, Attempts: &attempts, IfSending: &attempts}
		if r.MessageID != "" {
			upd.VendorMessageID = &r.MessageID
		}
		upds[t.RecordID] = upd
	}
	// The retry is queued before the records say so: a record "queued" after attempt
	// N always has its job for N+1 in the queue. When the queue cannot take it, the
	// records go back to "queued" before this attempt, for this job's redelivery to
	// claim them again.
	// The tries that did not end their push are stored before their retry is queued,
	// so that a retry's row never precedes its earlier try's.
	p.recordTries(ctx, j, results, upds, now)
	var queueErr error
	if len(retry) > 0 {
		next := *j
		next.Targets, next.Attempt, next.NotBefore = retry, j.Attempt+1, now.Add(retryAfter)
		if queueErr = p.publishSend(ctx, &next); queueErr != nil {
			before := j.Attempt - 1
			for _, t := range retry {
				u := upds[t.RecordID]
				u.Attempts = &before
				upds[t.RecordID] = u
			}
		}
	}
	// One transaction for the job's answers; records deleted by retention meanwhile
	// are skipped.
	if _, err := p.Store.UpdatePushRecords(ctx, j.SDKAppID, upds); err != nil {
		return fmt.Errorf("update records: %w", err)
	}
	if queueErr != nil {
		return queueErr
	}
	p.Logger.Debug("push sent", "message", j.MessageID, "certificate", j.CertificateID, "attempt", j.Attempt, "tokens", len(results), "retries", len(retry))
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

// recordTries stores, in one statement, this try's vendor answer for each target that
// is to be queued again, so that the trace shows every earlier try; the final answer
// stays on the record, and a job with no retry writes nothing. When the retry cannot
// be queued the job is redelivered and repeats this attempt, whose first answer is
// kept (one row per record and attempt). A failure is logged, not returned: failing
// the job would send its pushes again for a trace row.
func (p *Pipeline) recordTries(ctx context.Context, j *sendJob, results []push.Result, upds map[int64]store.PushRecordUpdate, now time.Time) {
	var tries []store.PushAttempt
	for i, r := range results {
		t := j.Targets[i]
		if u := upds[t.RecordID]; u.Outcome == nil || *u.Outcome != "queued" {
			continue
		}
		tries = append(tries, store.PushAttempt{
			SDKAppID: j.SDKAppID, RecordID: t.RecordID, MessageID: j.MessageID, UserID: t.UserID, DeviceID: t.DeviceID,
			Attempt: j.Attempt, Time: now, Outcome: r.Outcome.String(), Reason: r.Reason,
		})
	}
	if len(tries) == 0 {
		return
	}
	if err := p.Store.AddPushAttempts(ctx, j.SDKAppID, tries); err != nil {
		p.Logger.Warn("record push tries", "message", j.MessageID, "certificate", j.CertificateID, "attempt", j.Attempt, "err", err)
	}
}

// retryable reports whether a push answered so is tried again (until its TTL).
func retryable(o push.Outcome) bool {
	return o == push.RetryLater || o == push.QuotaExceeded || o == push.AuthExpired
}

// backoff is the wait before try attempt+1: exponential from 1s, capped at MaxBackoff,
// with jitter so that the end of a vendor outage is not a thundering herd.
func (p *Pipeline) backoff(attempt int) time.Duration {
	limit := p.MaxBackoff
	if limit <= 0 {
		limit = DefaultMaxBackoff
	}
	return jitter(min(time.Second<<min(max(attempt, 1)-1, 20), limit))
}

// jitter returns a random wait in [d/2, d].
func jitter(d time.Duration) time.Duration {
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
