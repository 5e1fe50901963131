package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// sweepEvery is how often the store is asked for messages whose push is still
// pending; a sweep also runs at Open.
const sweepEvery = 30 * time.Second

// sweepPage is how many pending messages one sweep queues at most.
const sweepPage = 1000

// sweepLoop queues again the planning of messages stored more than SweepAfter ago
// whose push was never planned: their plan job was lost between the commit and
// JetStream (a crash, a NATS outage). The plan job keeps its publish ID, so a job
// still in JetStream's duplicate window is not queued twice; one queued twice later is
// planned once, since a replayed plan queues only pushes never tried.
func (p *Pipeline) sweepLoop(ctx context.Context) {
	t := time.NewTicker(max(p.SweepEvery, 10*time.Millisecond))
	defer t.Stop()
	for {
		if n, err := p.Sweep(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			p.Logger.Warn("sweep pending pushes", "err", err)
		} else if n > 0 {
			p.Logger.Info("queued the planning of stored messages whose push was never planned", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep queues the planning of every message stored before SweepAfter ago whose push
// is not planned, and returns how many it queued.
func (p *Pipeline) Sweep(ctx context.Context) (int, error) {
	before := p.Now().Add(-p.SweepAfter)
	var n int
	for {
		keys, err := p.Store.FindPushPending(ctx, before, sweepPage)
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			if err := p.publishPlan(ctx, planJob{SDKAppID: k.SDKAppID, MessageID: k.ID, IgnoreDND: k.IgnoreDND}, "plan:"+k.ID); err != nil {
				return n, err
			}
			n++
		}
		sweptTotal.Add(float64(len(keys)))
		if len(keys) < sweepPage {
			return n, nil
		}
		// The next page: wait until the planners have marked this one, or a slow
		// planner's backlog would be queued again and again.
		if err := p.marker.flush(ctx); err != nil {
			return n, err
		}
		sleep(ctx, time.Second)
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// planMarker marks planned messages in the store in batches: the planner's hot path
// does not wait for a write per message, and a mark lost to a crash only means one more
// (harmless) plan by the sweep.
type planMarker struct {
	store  store.Store
	logger *slog.Logger

	mu   sync.Mutex // protects keys
	keys []store.MessageKey
	wake chan struct{}
}

// markEvery is how long a planned message waits for its mark at most.
const markEvery = 200 * time.Millisecond

func newPlanMarker(st store.Store, logger *slog.Logger) *planMarker {
	return &planMarker{store: st, logger: logger, wake: make(chan struct{}, 1)}
}

// add queues a mark.
func (m *planMarker) add(k store.MessageKey) {
	m.mu.Lock()
	m.keys = append(m.keys, k)
	full := len(m.keys) >= sweepPage
	m.mu.Unlock()
	if full {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// flush writes the queued marks.
func (m *planMarker) flush(ctx context.Context) error {
	m.mu.Lock()
	keys := m.keys
	m.keys = nil
	m.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	if err := m.store.MarkPushPlanned(ctx, keys); err != nil {
		m.mu.Lock()
		m.keys = append(keys, m.keys...)
		m.mu.Unlock()
		return err
	}
	return nil
}

// run flushes every markEvery until ctx ends, then once more.
func (m *planMarker) run(ctx context.Context) {
	t := time.NewTicker(markEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := m.flush(fctx); err != nil {
				m.logger.Warn("mark messages planned at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
		case <-m.wake:
		}
		if err := m.flush(ctx); err != nil && ctx.Err() == nil {
			m.logger.Warn("mark messages planned", "err", err)
		}
	}
}
