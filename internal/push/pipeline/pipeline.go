// Package pipeline carries a stored message to the vendors: it plans who gets a push
// (push.Decide), composes each notification (push.Compose), queues the work on a
// JetStream work queue, sends through each vendor's push.Sender with a rate limit per
// certificate, retries with backoff, unbinds invalid tokens, and records every decision
// and answer as the message's push trace.
//
// Work moves in two durable steps, so that a crash loses nothing: im's Stored hook
// publishes a plan job (acknowledged by JetStream before Send returns); a planner turns
// it into push records and send jobs; senders acknowledge a send job only after the
// vendor answered and the records were written. A crash can repeat at most the send in
// flight.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// Defaults.
const (
	StreamName     = "HERALD_PUSH"
	planSubject    = "herald.push.plan"
	sendSubject    = "herald.push.send"
	DefaultWorkers = 16
	// DefaultPlanWorkers is how many messages are planned at once.
	DefaultPlanWorkers = 4
	DefaultAttempts    = 8
	// DefaultMaxAge bounds how long a push is retried: past it, a chat notification is
	// stale.
	DefaultMaxAge = 24 * time.Hour
	// DefaultRate is the sends per second allowed per certificate.
	DefaultRate = 200
	// sendTimeout bounds one vendor call.
	sendTimeout = 30 * time.Second
	// memberPage is how many group members are planned at once: a large group is
	// streamed, never loaded whole.
	memberPage = 500
)

// workQueue is what the pipeline needs of the bus.
type workQueue interface {
	EnsureWorkQueue(ctx context.Context, name string, subjects []string) (jetstream.Stream, error)
	JetStream() jetstream.JetStream
}

// Pipeline is the push pipeline of one node; every node runs one, and any may plan or
// send any job. Set the exported fields, then Open.
type Pipeline struct {
	Store   store.Store
	Bus     workQueue
	Senders map[push.Vendor]push.Sender
	// Workers is how many send jobs run at once. Default DefaultWorkers.
	Workers int
	// PlanWorkers is how many messages are planned at once. Default DefaultPlanWorkers.
	PlanWorkers int
	// MaxAttempts bounds the tries of one push. Default DefaultAttempts.
	MaxAttempts int
	// MaxAge bounds how long a push is retried. Default DefaultMaxAge.
	MaxAge time.Duration
	// Rate is the sends per second per certificate. Default DefaultRate.
	Rate float64
	// Answered, if set, is called with the final answers of each send job (accepted,
	// or failed for good: not those queued for a retry) once they are recorded. It
	// must not block: the send path waits for it. A job redone after a crash may
	// report its answers twice.
	Answered func(ctx context.Context, as []Answer)
	Now      func() time.Time
	Logger   *slog.Logger

	js    jetstream.JetStream
	certs *certCache

	ctx      context.Context // ends the workers on Close
	cancel   context.CancelFunc
	consumes []jetstream.ConsumeContext
	jobs     chan jetstream.Msg // send jobs, to the Workers
	plans    chan jetstream.Msg // plan jobs, to the PlanWorkers
	unacked  chan unackedJob    // unacknowledged online deliveries (unacked.go)
	wg       sync.WaitGroup
}

// New returns a pipeline with defaults.
func New(st store.Store, b workQueue, senders map[push.Vendor]push.Sender) *Pipeline {
	return &Pipeline{
		Store: st, Bus: b, Senders: senders,
		Workers: DefaultWorkers, PlanWorkers: DefaultPlanWorkers, MaxAttempts: DefaultAttempts, MaxAge: DefaultMaxAge, Rate: DefaultRate,
		Now: time.Now, Logger: slog.Default(),
	}
}

// Open creates the work queue if needed and starts planning and sending.
func (p *Pipeline) Open(ctx context.Context) error {
	stream, err := p.Bus.EnsureWorkQueue(ctx, StreamName, []string{planSubject, sendSubject})
	if err != nil {
		return err
	}
	p.js = p.Bus.JetStream()
	p.certs = newCertCache(p.Store, p.Rate, p.Now)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.jobs = make(chan jetstream.Msg)
	p.plans = make(chan jetstream.Msg)
	// JetStream calls a consumer's handler for one message at a time: the handlers hand
	// the jobs to pools of workers, so that one slow plan (a large group) or vendor does
	// not hold up the others.
	p.startWorkers(max(1, p.Workers), p.jobs, p.handleSend)
	p.startWorkers(max(1, p.PlanWorkers), p.plans, p.handlePlan)
	p.startUnacked()

	for _, c := range []struct {
		name, subject string
		jobs          chan jetstream.Msg
	}{
		{"planner", planSubject, p.plans},
		{"sender", sendSubject, p.jobs},
	} {
		cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       c.name,
			FilterSubject: c.subject,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       2 * sendTimeout,
			MaxAckPending: 4 * p.Workers,
		})
		if err != nil {
			p.Close()
			return fmt.Errorf("consumer %s: %w", c.name, err)
		}
		cc, err := cons.Consume(func(m jetstream.Msg) {
			select {
			case c.jobs <- m:
			case <-p.ctx.Done():
				// Closing: the job comes back after AckWait, here or on another node.
			}
		})
		if err != nil {
			p.Close()
			return fmt.Errorf("consume %s: %w", c.name, err)
		}
		p.consumes = append(p.consumes, cc)
	}
	return nil
}

// startWorkers starts n workers that handle the jobs until Close.
func (p *Pipeline) startWorkers(n int, jobs <-chan jetstream.Msg, handle func(jetstream.Msg)) {
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-p.ctx.Done():
					return
				case m := <-jobs:
					handle(m)
				}
			}
		}()
	}
}

// Close stops taking jobs and waits for the running ones. Unacknowledged jobs are
// redelivered to a node that is still running, or after a restart.
func (p *Pipeline) Close() error {
	for _, cc := range p.consumes {
		cc.Stop()
	}
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	return nil
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
}

// Stored is im's hook: it queues the planning of a stored message. It waits for
// JetStream's acknowledgement, so a stored message's pushes survive a crash.
func (p *Pipeline) Stored(ctx context.Context, m *store.Message, _ []store.Delivery, how im.SentHow) {
	job := planJob{SDKAppID: m.SDKAppID, MessageID: m.ID, IgnoreDND: how.IgnoreDND}
	if err := p.publishPlan(ctx, job, "plan:"+m.ID); err != nil {
		p.Logger.Error("queue push planning", "app", m.SDKAppID, "message", m.ID, "err", err)
	}
}

// publishPlan publishes a plan job. msgID makes a second publication of the same job
// within JetStream's duplicate window (2 minutes by default) a duplicate it drops.
func (p *Pipeline) publishPlan(ctx context.Context, job planJob, msgID string) error {
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode plan job: %w", err)
	}
	if _, err := p.js.Publish(ctx, planSubject, data, jetstream.WithMsgID(msgID)); err != nil {
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
