// Package batch coalesces concurrent calls: while one batch runs, the calls that
// arrive wait, and then run together as the next batch, so one store round trip
// serves them all. Nothing waits for a batch to fill: a call alone runs at once, and
// batches grow with the load while latency does not.
package batch

import (
	"context"
	"errors"
	"sync"
)

// DefaultMax bounds a batch when Group.Max is 0.
const DefaultMax = 256

// Group runs calls in batches. No goroutine of its own runs them: the first waiting
// caller leads the next batch, running it for all. Its zero value is ready to use; it
// is safe for concurrent use.
type Group[Req, Res any] struct {
	// Max bounds the calls of one batch. Default DefaultMax.
	Max int

	mu      sync.Mutex // protects the fields below
	running bool       // a leader is running a batch
	waiting []*call[Req, Res]
}

type call[Req, Res any] struct {
	ctx  context.Context
	req  Req
	run  func(ctx context.Context, reqs []Req) ([]Res, error)
	res  Res
	err  error
	lead bool          // set under Group.mu before wake: run the next batch
	wake chan struct{} // the call is answered, or leads
}

// Do runs req in a batch with the calls waiting when it starts and returns its
// result. run does one batch: it gets the requests in arrival order and returns one
// result for each, in order, or an error for all. A batch runs with the context of the
// call that leads it, without its cancellation or deadline (run bounds its own work);
// a call whose ctx has ended when its batch starts is left out and gets ctx's error.
// Calls that share a Group should pass the same run.
func (g *Group[Req, Res]) Do(ctx context.Context, req Req, run func(ctx context.Context, reqs []Req) ([]Res, error)) (Res, error) {
	c := &call[Req, Res]{ctx: ctx, req: req, run: run, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, c)
	if g.running {
		g.mu.Unlock()
		<-c.wake
		if !c.lead {
			return c.res, c.err
		}
	} else {
		g.running = true
		g.mu.Unlock()
	}
	g.lead()
	return c.res, c.err
}

// lead runs one batch, the leader first in it, and hands the lead to the first call
// still waiting.
func (g *Group[Req, Res]) lead() {
	limit := g.Max
	if limit <= 0 {
		limit = DefaultMax
	}
	g.mu.Lock()
	n := min(len(g.waiting), limit)
	batch := g.waiting[:n:n]
	g.waiting = g.waiting[n:]
	if len(g.waiting) == 0 {
		g.waiting = nil // drop the array once drained
	}
	g.mu.Unlock()

	leader := batch[0]
	live := make([]*call[Req, Res], 0, len(batch))
	reqs := make([]Req, 0, len(batch))
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		live, reqs = append(live, c), append(reqs, c.req)
	}
	// Whatever run does, even panic (a recovering caller would otherwise leave every
	// later call waiting), the batch is answered and the lead handed on.
	answered := false
	defer func() {
		if !answered {
			for _, c := range live {
				c.err = errRunPanicked
			}
		}
		for _, c := range batch[1:] {
			c.wake <- struct{}{}
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.waiting) > 0 {
			next := g.waiting[0]
			next.lead = true
			next.wake <- struct{}{}
		} else {
			g.running = false
		}
	}()
	if len(reqs) > 0 {
		res, err := leader.run(context.WithoutCancel(leader.ctx), reqs)
		for i, c := range live {
			switch {
			case err != nil:
				c.err = err
			case i < len(res):
				c.res = res[i]
			default:
				c.err = errShortRun
			}
		}
	}
	answered = true
}

// Errors of the calls of a batch whose run failed to answer them.
var (
	errShortRun    = errors.New("batch: run returned fewer results than requests")
	errRunPanicked = errors.New("batch: run panicked")
)
