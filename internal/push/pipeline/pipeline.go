// Package pipeline carries a stored message to the vendors: it plans who gets a push
// (push.Decide), composes each notification (push.Compose), queues the work on a
// JetStream work queue, sends through each vendor's push.Sender with a rate limit per
// certificate, retries with backoff until the push's TTL, parks a certificate whose
// vendor is down, unbinds invalid tokens, and records every decision and answer as the
// message's push trace.
//
// Work moves in durable steps, so that no crash, NATS outage or vendor outage loses a
// push:
//   - A stored message is push-pending in the store from its commit. im's Stored hook
//     publishes its plan job; a sweep republishes the plan jobs of messages still
//     pending after SweepAfter (the publish was lost to a crash or a NATS outage).
//   - A planner turns a plan job into push records ("queued") and send jobs, and marks
//     the message planned. A plan replayed after a crash finds its records and queues
//     again only pushes never tried.
//   - A sender claims a send job's records in the store ("sending") before its vendor
//     request, records the answers, and only then acknowledges the job. A record
//     already claimed or answered is skipped, so a job published twice sends once; a
//     job redelivered after a crash reclaims what was "sending" and sends it again,
//     marked duplicate_possible: the vendor may have had it. So duplicates after a
//     crash are bounded by the requests in flight, at most Workers batches. A small
//     plan is sent by its planner (plan.go); a one-to-one one creates its records
//     claimed already, as the sender would have.
//   - Jobs in hand are kept from redelivery by in-progress beats, so a dead node's
//     jobs come back after ackWait (seconds), not after a vendor timeout.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// Defaults.
const (
	// StreamName is the work queue's stream, in the bus's namespace.
	StreamName     = "HERALD_PUSH"
	planSubject    = "herald.push.plan"
	sendSubject    = "herald.push.send"
	DefaultWorkers = 16
	// DefaultPlanWorkers is how many messages are planned at once.
	DefaultPlanWorkers = 16
	// DefaultTTL is how long a push is tried when its message's push info sets no TTL:
	// past it, a chat notification is stale.
	DefaultTTL = 24 * time.Hour
	// MaxTTL bounds a message's own TTL: messages are kept 7 days by default.
	MaxTTL = 7 * 24 * time.Hour
	// DefaultMaxBackoff caps the wait between two tries of a push.
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultSweepAfter is how long after its commit a message whose push is not planned
	// has its plan job published again.
	DefaultSweepAfter = time.Minute
	// DefaultShutdownGrace is how long Close lets the sends in flight finish.
	DefaultShutdownGrace = sendTimeout + 5*time.Second
	// sendTimeout bounds one vendor call.
	sendTimeout = 30 * time.Second
	// ackWait is how long JetStream waits for a job's acknowledgement or in-progress
	// beat before it redelivers the job: a crashed node's jobs come back after it.
	ackWait = 10 * time.Second
	// beatEvery is how often a job in hand is reported in progress.
	beatEvery = ackWait / 3
	// fetchWait bounds one wait for a job.
	fetchWait = 30 * time.Second
	// storedPublishTimeout bounds how long a send waits for its plan job to be queued;
	// past it the sweep queues the job.
	storedPublishTimeout = 2 * time.Second
	// memberPage is how many group members are planned at once: a large group is
	// streamed, never loaded whole.
	memberPage = 500
)

// workQueue is what the pipeline needs of the bus.
type workQueue interface {
	EnsureWorkQueue(ctx context.Context, name string, subjects []string) (jetstream.Stream, error)
	JetStream() jetstream.JetStream
	// Subject puts a subject in the bus's namespace, for JetStream publishes.
	Subject(subject string) string
}

// Pipeline is the push pipeline of one node; every node runs one, and any may plan or
// send any job. Set the exported fields, then Open.
type Pipeline struct {
	Store   store.Store
	Bus     workQueue
	Senders map[push.Vendor]push.Sender
	// SessionAlive, when set, tells whether a device's session ("node/session", its
	// NodeID) is on a live node: a device online on a dead node is pushed as if
	// offline (cluster.Liveness.Alive).
	SessionAlive func(session string) bool
	// Workers is how many send jobs run at once. Default DefaultWorkers.
	Workers int
	// PlanWorkers is how many messages are planned at once. Default DefaultPlanWorkers.
	PlanWorkers int
	// MaxAttempts, when above zero, bounds the tries of one push besides its TTL.
	// Default 0: a push is tried until its TTL runs out.
	MaxAttempts int
	// TTL is how long a push is tried when its message's push info sets none, counted
	// from the message's time. Default DefaultTTL.
	TTL time.Duration
	// MaxBackoff caps the wait between two tries (a vendor's Retry-After may be
	// longer). Default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// Rate, when above zero, is the vendor requests per second per certificate of those
	// that set none (push.Certificate.RatePerSecond). Default 0: the vendor's default
	// (push.DefaultRate), no cap below a vendor's documented limit.
	Rate float64
	// SweepAfter is how long after its commit a stored message whose push was not
	// planned has its planning queued again. Default DefaultSweepAfter.
	SweepAfter time.Duration
	// SweepEvery is how often the sweep runs (and once at Open). Default 30s.
	SweepEvery time.Duration
	// ShutdownGrace is how long Close waits for the sends in flight before it cuts
	// them off. Default DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// Answered, if set, is called with the final answers of each send job (accepted,
	// or failed for good: not those queued for a retry) once they are recorded. It
	// must not block: the send path waits for it. A job redone after a crash may
	// report its answers twice.
	Answered func(ctx context.Context, as []Answer)
	Now      func() time.Time
	// Speed is how much faster than real time Now runs (tests run a long outage in
	// seconds); JetStream's redelivery delays are divided by it. Default 1.
	Speed  float64
	Logger *slog.Logger

	js     jetstream.JetStream
	certs  *certCache
	marker *planMarker

	ctx      context.Context // ends the work in hand, at the end of Close
	cancel   context.CancelFunc
	fetching context.Context // ends the taking of new jobs, at the start of Close
	stop     context.CancelFunc
	wg       sync.WaitGroup // workers
	// fetchFailing is set while NATS does not give jobs, so that an outage is logged once.
	fetchFailing atomic.Bool
	// crashed makes the pipeline act as a dead node, for tests (Crash).
	crashed atomic.Bool
	loops   sync.WaitGroup  // the sweep, the marker and the unacked workers
	unacked chan unackedJob // unacknowledged online deliveries (unacked.go)
}

// New returns a pipeline with defaults.
func New(st store.Store, b workQueue, senders map[push.Vendor]push.Sender) *Pipeline {
	return &Pipeline{
		Store: st, Bus: b, Senders: senders,
		Workers: DefaultWorkers, PlanWorkers: DefaultPlanWorkers, TTL: DefaultTTL, MaxBackoff: DefaultMaxBackoff,
		SweepAfter: DefaultSweepAfter, SweepEvery: sweepEvery, ShutdownGrace: DefaultShutdownGrace,
		Now: time.Now, Speed: 1, Logger: slog.Default(),
	}
}

// Open creates the work queue if needed and starts planning, sending and sweeping.
func (p *Pipeline) Open(ctx context.Context) error {
	if p.Speed <= 0 {
		p.Speed = 1
	}
	stream, err := p.Bus.EnsureWorkQueue(ctx, StreamName, []string{planSubject, sendSubject})
	if err != nil {
		return err
	}
	p.js = p.Bus.JetStream()
	p.certs = newCertCache(p.Store, p.Rate, p.Now)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.fetching, p.stop = context.WithCancel(p.ctx)
	p.marker = newPlanMarker(p.Store, p.Logger)
	p.startUnacked()

	for _, c := range []struct {
		name, subject string
		workers       int
		handle        func(jetstream.Msg)
	}{
		{"planner", planSubject, max(1, p.PlanWorkers), p.handlePlan},
		{"sender", sendSubject, max(1, p.Workers), p.handleSend},
	} {
		cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       c.name,
			FilterSubject: p.Bus.Subject(c.subject),
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       ackWait,
			MaxAckPending: 4 * c.workers,
		})
		if err != nil {
			p.Close()
			return fmt.Errorf("consumer %s: %w", c.name, err)
		}
		p.startWorkers(c.workers, cons, c.handle)
	}
	p.loops.Add(3)
	go func() {
		defer p.loops.Done()
		p.recallSweepLoop(p.ctx)
	}()
	go func() {
		defer p.loops.Done()
		p.marker.run(p.ctx)
	}()
	go func() {
		defer p.loops.Done()
		p.sweepLoop(p.ctx)
	}()
	return nil
}

// startWorkers starts n workers that each take one job at a time from cons until
// Close. A worker asks for a job only when it is free, so no job waits in a buffer
// while its acknowledgement time runs out.
func (p *Pipeline) startWorkers(n int, cons jetstream.Consumer, handle func(jetstream.Msg)) {
	for range n {
		p.wg.Go(func() {
			for p.fetching.Err() == nil {
				fctx, cancel := context.WithTimeout(p.fetching, fetchWait)
				m, err := cons.Next(jetstream.FetchContext(fctx))
				cancel()
				if err != nil {
					if p.fetching.Err() == nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
						if p.fetchFailing.CompareAndSwap(false, true) {
							p.Logger.Warn("cannot take push jobs: NATS is unreachable; waiting for it", "err", err)
						}
						sleep(p.fetching, time.Second) // NATS is down: wait, then ask again
					}
					continue
				}
				if p.fetchFailing.CompareAndSwap(true, false) {
					p.Logger.Info("taking push jobs again")
				}
				p.inHand(m, handle)
			}
		})
	}
}

// inHand handles one job, reporting it in progress meanwhile so that JetStream does
// not give it to another worker.
func (p *Pipeline) inHand(m jetstream.Msg, handle func(jetstream.Msg)) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(beatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if p.crashed.Load() {
					return
				}
				m.InProgress()
			}
		}
	}()
	defer close(done)
	handle(m)
}

// Close stops taking jobs, lets the jobs in hand finish for ShutdownGrace, then cuts
// off the rest. A job not finished is redelivered to a node that is still running, or
// after a restart; a send it had in flight is marked duplicate_possible then.
func (p *Pipeline) Close() error {
	if p.stop == nil {
		return nil
	}
	p.stop()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(p.ShutdownGrace):
		p.Logger.Warn("push sends still in flight at shutdown: cut off")
	}
	p.cancel()
	<-done
	p.loops.Wait()
	return nil
}

// real turns a wait on the pipeline's clock into real time, for JetStream.
func (p *Pipeline) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / p.Speed)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Answer is the final vendor answer for the push of one message to one device.
type Answer struct {
	SDKAppID  int64
	MessageID string
	From      string // the message's sender
	GroupID   string // the message's group; empty for a one-to-one message
	UserID    string // the recipient
	DeviceID  string
	Vendor    push.Vendor
	// CertificateID is the certificate the push went through.
	CertificateID int64
	Outcome       push.Outcome
	Reason        string // the vendor's code and message, or why the push failed
	// TaskID is set for the pushes of a broadcast; MessageID is then the task ID too.
	TaskID   string
	Attempts int
	Time     time.Time // when the answer was recorded
}

// planJob asks for one message to be planned.
type planJob struct {
	SDKAppID  int64  `json:"app"`
	MessageID string `json:"message_id"`
	// IgnoreDND: the admin API sent it without honouring do-not-disturb.
	IgnoreDND bool `json:"ignore_dnd,omitempty"`
	// TaskID names a broadcast to plan instead of a message.
	TaskID string `json:"task_id,omitempty"`
	// Recall asks for the lock-screen replacements of a recalled message (recall.go).
	Recall bool `json:"recall,omitempty"`
}

// Stored is im's hook: it queues the planning of a stored message. The message is
// push-pending in the store already, so a publish lost to a crash or a NATS outage is
// made again by the sweep; Stored need not fail the send.
func (p *Pipeline) Stored(ctx context.Context, m *store.Message, _ []store.Delivery, how im.SentHow) {
	if !p.js.Conn().IsConnected() {
		// NATS is down: the send does not wait for it; the sweep queues the plan.
		p.Logger.Warn("NATS is down: the sweep will queue the push planning", "app", m.SDKAppID, "message", m.ID)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storedPublishTimeout)
	defer cancel()
	job := planJob{SDKAppID: m.SDKAppID, MessageID: m.ID, IgnoreDND: how.IgnoreDND}
	if err := p.publishPlan(ctx, job, "plan:"+m.ID); err != nil {
		p.Logger.Warn("queue push planning; the sweep will queue it again", "app", m.SDKAppID, "message", m.ID, "err", err)
	}
}

// publishPlan publishes a plan job. msgID makes a second publication of the same job
// within JetStream's duplicate window (2 minutes by default) a duplicate it drops.
func (p *Pipeline) publishPlan(ctx context.Context, job planJob, msgID string) error {
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode plan job: %w", err)
	}
	if _, err := p.js.Publish(ctx, p.Bus.Subject(planSubject), data, jetstream.WithMsgID(msgID)); err != nil {
		return fmt.Errorf("queue plan: %w", err)
	}
	return nil
}

// ack acknowledges a job, logging (not failing) when the acknowledgement is lost: the
// job then comes back and its records say it was done.
func (p *Pipeline) ack(m jetstream.Msg) {
	if err := m.Ack(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		p.Logger.Warn("ack push job", "err", err)
	}
}
