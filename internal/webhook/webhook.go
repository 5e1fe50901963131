// Package webhook tells an app's server what happened without it having to poll:
// every final push answer (Push.OfflinePush) and every login, logout, kick and
// disconnect of a device (State.StateChange) is posted to the app's callback URL, in
// the shape of Tencent IM's callbacks, signed with the app's callback secret.
//
// Delivery is durable and batched. Answered puts the push answers of a send job on a
// JetStream work queue before it returns, so that they are queued before the job is
// acknowledged; StateChanged never blocks: it hands each event to a buffer that a
// publisher moves onto the queue, trying again while NATS is away (each event keeps
// its publish ID, so a retry after a lost acknowledgement is not a second event) and
// draining the buffer on Close. Only a node killed with events still in the buffer —
// normally milliseconds' worth, more during a NATS outage — loses them.
// A dispatcher takes events from the queue, groups them per app and command into
// requests of up to MaxBatch events (or what arrived within Linger), and acknowledges
// them only when the receiver answered 2xx. Network errors, 5xx and 429 are retried
// with backoff (Retry-After honoured) up to MaxAttempts; then the events are dropped
// and counted.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
)

// Defaults of Notifier's fields.
const (
	// StreamName is the JetStream work queue of undelivered events.
	StreamName = "HERALD_WEBHOOK"
	// subjectPrefix starts each event's subject, "herald.webhook.<sdkappid>".
	subjectPrefix = "herald.webhook."
	// DefaultMaxBatch is the most events in one request: Tencent's limit.
	DefaultMaxBatch = 100
	// DefaultLinger is how long a batch waits for more events before it is sent.
	DefaultLinger = 200 * time.Millisecond
	// DefaultMaxAttempts bounds the tries of one event.
	DefaultMaxAttempts = 10
	// DefaultMinBackoff is the wait before the second try; it doubles per try.
	DefaultMinBackoff = time.Second
	// DefaultMaxBackoff caps the wait between tries.
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultTimeout bounds one request to a receiver.
	DefaultTimeout = 10 * time.Second
	// DefaultWorkers is how many requests are in flight at once.
	DefaultWorkers = 4
	// DefaultBuffer is how many events the hooks hold before they are queued (during a
	// NATS outage, say); past it events are dropped (and counted) rather than slow the
	// chat or the push path.
	DefaultBuffer = 10000
	// DrainTimeout bounds how long Close waits for the buffered events to be queued.
	DrainTimeout = 5 * time.Second
	// DefaultAppTTL is how long an app's callback URL and secret are cached: a change
	// takes effect within it.
	DefaultAppTTL = 5 * time.Second
)

// appFinder is what the notifier needs of the store.
type appFinder interface {
	FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error)
}

// deliveryLog records each request to a callback URL (the console's delivery log).
type deliveryLog interface {
	CreateWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error
}

// workQueue is what the notifier needs of the bus.
type workQueue interface {
	EnsureWorkQueue(ctx context.Context, name string, subjects []string) (jetstream.Stream, error)
	JetStream() jetstream.JetStream
	// Subject puts a subject in the bus's namespace, for JetStream publishes.
	Subject(subject string) string
}

// Notifier posts the webhooks of every app of a node. Every node runs one: any node may
// deliver any event. Set the exported fields, then Open; Close when done.
type Notifier struct {
	Apps appFinder
	Bus  workQueue
	// Log, if set, records every request to a callback URL with its result.
	Log deliveryLog
	// HTTPClient sends the requests. Default: a client with Timeout DefaultTimeout that
	// follows no redirect (the signature is for the URL the app set).
	HTTPClient *http.Client
	// MaxBatch is the most events per request. Default DefaultMaxBatch.
	MaxBatch int
	// Linger is how long a batch waits for more events. Default DefaultLinger.
	Linger time.Duration
	// MaxAttempts bounds the tries of an event. Default DefaultMaxAttempts.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait between tries. Defaults DefaultMinBackoff
	// and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Workers is how many requests are in flight at once. Default DefaultWorkers.
	Workers int
	// Buffer is how many events wait to be queued. Default DefaultBuffer.
	Buffer int
	// AppTTL is how long an app's callback settings are cached. Default DefaultAppTTL.
	AppTTL time.Duration
	Now    func() time.Time
	Logger *slog.Logger

	js       jetstream.JetStream
	apps     *appCache
	events   chan queued   // from the hooks to the publisher
	incoming chan incoming // from JetStream to the batcher
	batches  chan *batch   // from the batcher to the workers
	consume  jetstream.ConsumeContext
	ctx      context.Context // ends the goroutines on Close
	cancel   context.CancelFunc
	// pubCtx ends the publisher: DrainTimeout after Close, for the buffer to drain.
	pubCtx    context.Context
	pubCancel context.CancelFunc
	wg        sync.WaitGroup
}

// New returns a notifier with defaults.
func New(apps appFinder, b workQueue) *Notifier {
	return &Notifier{
		Apps: apps, Bus: b,
		HTTPClient: &http.Client{
			Timeout:       DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		MaxBatch: DefaultMaxBatch, Linger: DefaultLinger, MaxAttempts: DefaultMaxAttempts,
		MinBackoff: DefaultMinBackoff, MaxBackoff: DefaultMaxBackoff, Workers: DefaultWorkers,
		Buffer: DefaultBuffer, AppTTL: DefaultAppTTL, Now: time.Now, Logger: slog.Default(),
	}
}

// queued is one event as it waits on the work queue.
type queued struct {
	// ID is the event's publish ID: JetStream drops a second publish of it.
	ID       string          `json:"id,omitempty"`
	SDKAppID int64           `json:"app"`
	Command  Command         `json:"command"`
	Event    json.RawMessage `json:"event"`
}

// Open creates the work queue if needed and starts queueing and delivering.
func (n *Notifier) Open(ctx context.Context) error {
	stream, err := n.Bus.EnsureWorkQueue(ctx, StreamName, []string{subjectPrefix + ">"})
	if err != nil {
		return err
	}
	n.js = n.Bus.JetStream()
	n.apps = &appCache{find: n.Apps.FindAppByID, ttl: n.AppTTL, now: n.Now, entries: map[int64]appEntry{}}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.pubCtx, n.pubCancel = context.WithCancel(context.Background())
	n.events = make(chan queued, max(1, n.Buffer))
	n.incoming = make(chan incoming, n.MaxBatch)
	n.batches = make(chan *batch)

	// A request waits up to Linger to be sent and up to the client's timeout for its
	// answer; the events must not come back meanwhile.
	ackWait := n.Linger + 2*n.timeout() + 10*time.Second
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       "dispatcher",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxAckPending: 4 * max(1, n.Workers) * n.MaxBatch,
	})
	if err != nil {
		n.cancel()
		return fmt.Errorf("webhook consumer: %w", err)
	}
	n.start(n.publish)
	n.start(n.batcher)
	for range max(1, n.Workers) {
		n.start(n.worker)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var q queued
		if err := json.Unmarshal(m.Data(), &q); err != nil || q.SDKAppID == 0 {
			n.Logger.Error("drop malformed webhook event", "err", err)
			m.Term()
			return
		}
		select {
		case n.incoming <- incoming{q: q, msg: m}:
		case <-n.ctx.Done():
			// Closing: the event comes back after AckWait, here or on another node.
		}
	})
	if err != nil {
		n.Close()
		return fmt.Errorf("webhook consume: %w", err)
	}
	n.consume = cc
	return nil
}

func (n *Notifier) start(run func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		run()
	}()
}

func (n *Notifier) timeout() time.Duration {
	if n.HTTPClient != nil && n.HTTPClient.Timeout > 0 {
		return n.HTTPClient.Timeout
	}
	return DefaultTimeout
}

// Close stops delivering, queues the buffered events (for up to DrainTimeout) and
// waits for the requests in flight. Queued events are delivered by another node or
// after a restart.
func (n *Notifier) Close() error {
	if n.consume != nil {
		n.consume.Stop()
	}
	if n.cancel != nil {
		n.cancel()
		stop := time.AfterFunc(DrainTimeout, n.pubCancel)
		defer stop.Stop()
	}
	n.wg.Wait()
	if n.pubCancel != nil {
		n.pubCancel()
	}
	return nil
}

// Answered is the push pipeline's hook: each final answer becomes a Push.OfflinePush
// event. It never blocks.
func (n *Notifier) Answered(ctx context.Context, as []pipeline.Answer) {
	ctx, cancel := context.WithTimeout(ctx, answeredTimeout)
	defer cancel()
	var futures []jetstream.PubAckFuture
	for _, a := range as {
		app, err := n.apps.get(ctx, a.SDKAppID)
		if err != nil {
			n.Logger.Warn("webhook: find app", "app", a.SDKAppID, "err", err)
			eventsTotal.WithLabelValues(string(OfflinePush), "dropped").Inc()
			continue
		}
		if app.CallbackURL == "" {
			continue // the app takes no webhooks
		}
		ev, err := json.Marshal(offlinePushEvent(a))
		if err != nil {
			n.Logger.Error("encode webhook event", "command", OfflinePush, "err", err)
			continue
		}
		data, _ := json.Marshal(queued{SDKAppID: a.SDKAppID, Command: OfflinePush, Event: ev})
		f, err := n.js.PublishAsync(n.subject(a.SDKAppID), data)
		if err != nil {
			n.Logger.Warn("queue webhook event", "app", a.SDKAppID, "command", OfflinePush, "err", err)
			eventsTotal.WithLabelValues(string(OfflinePush), "dropped").Inc()
			continue
		}
		futures = append(futures, f)
	}
	// The job's answers are in JetStream before the send job is acknowledged.
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			n.Logger.Warn("queue webhook event", "command", OfflinePush, "err", err)
			eventsTotal.WithLabelValues(string(OfflinePush), "dropped").Inc()
		case <-ctx.Done():
			n.Logger.Warn("queue webhook event", "command", OfflinePush, "err", ctx.Err())
			eventsTotal.WithLabelValues(string(OfflinePush), "dropped").Inc()
		}
	}
}

// answeredTimeout bounds how long a send job waits for its answers to be queued.
const answeredTimeout = 5 * time.Second

// subject is the queue subject of an app's events.
func (n *Notifier) subject(sdkAppID int64) string {
	return n.Bus.Subject(subjectPrefix + strconv.FormatInt(sdkAppID, 10))
}

// StateChanged is im's hook: each change becomes a State.StateChange event. It never
// blocks.
func (n *Notifier) StateChanged(_ context.Context, c im.StateChange) {
	n.emit(c.SDKAppID, StateChange, stateChangeEvent(c))
}

// emit hands an event to the publisher, or drops it when the buffer is full.
func (n *Notifier) emit(sdkAppID int64, cmd Command, ev any) {
	data, err := json.Marshal(ev)
	if err != nil {
		n.Logger.Error("encode webhook event", "command", cmd, "err", err)
		return
	}
	select {
	case n.events <- queued{ID: rand.Text(), SDKAppID: sdkAppID, Command: cmd, Event: data}:
	default:
		eventsTotal.WithLabelValues(string(cmd), "dropped").Inc()
		n.Logger.Warn("webhook buffer full: event dropped", "app", sdkAppID, "command", cmd)
	}
}

// publish moves events of apps with a callback URL onto the work queue, in order.
// After Close it drains the buffer until it is empty or pubCtx ends.
func (n *Notifier) publish() {
	for {
		select {
		case q := <-n.events:
			n.publishOne(q)
		case <-n.ctx.Done():
			for {
				select {
				case q := <-n.events:
					n.publishOne(q)
				default:
					return
				}
			}
		}
	}
}

// publishOne queues one event, trying again with backoff while the store or NATS
// cannot be reached; it drops the event only when the publisher is stopped.
func (n *Notifier) publishOne(q queued) {
	ctx := n.pubCtx
	warned := false
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := n.tryPublish(ctx, q)
		if err == nil {
			if warned {
				n.Logger.Info("webhook events are queued again", "app", q.SDKAppID)
			}
			return
		}
		if ctx.Err() != nil {
			eventsTotal.WithLabelValues(string(q.Command), "dropped").Inc()
			n.Logger.Warn("webhook event dropped: the node stopped before it could be queued", "app", q.SDKAppID, "command", q.Command, "err", err)
			return
		}
		if !warned {
			n.Logger.Warn("queue webhook event: trying again", "app", q.SDKAppID, "command", q.Command, "err", err)
			warned = true
		}
		sleep(ctx, wait)
	}
}

// tryPublish queues q if its app takes webhooks.
func (n *Notifier) tryPublish(ctx context.Context, q queued) error {
	a, err := n.apps.get(ctx, q.SDKAppID)
	if errors.Is(err, store.ErrNotFound) {
		eventsTotal.WithLabelValues(string(q.Command), "dropped").Inc()
		return nil // the app was deleted
	}
	if err != nil {
		return fmt.Errorf("find app: %w", err)
	}
	if a.CallbackURL == "" {
		return nil // the app takes no webhooks
	}
	data, _ := json.Marshal(q)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = n.js.Publish(pctx, n.subject(q.SDKAppID), data, jetstream.WithMsgID(q.ID))
	return err
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// appEntry is a cached app, or the error finding it.
type appEntry struct {
	app     *store.App
	err     error
	expires time.Time
}

// appCache caches apps' callback settings for ttl.
type appCache struct {
	find func(ctx context.Context, sdkAppID int64) (*store.App, error)
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex // protects entries
	entries map[int64]appEntry
}

func (c *appCache) get(ctx context.Context, sdkAppID int64) (*store.App, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[sdkAppID]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.app, e.err
	}
	a, err := c.find(ctx, sdkAppID)
	if err != nil && ctx.Err() != nil {
		return nil, err // not cached: the next caller tries again
	}
	c.mu.Lock()
	c.entries[sdkAppID] = appEntry{app: a, err: err, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return a, err
}
