package gateway

import (
	"sync"
	"sync/atomic"
)

// workers runs the event layer's message handlers (nbio's ServerExecutor) on at most
// max goroutines, of which up to keep stay parked when there is nothing to run, so
// that a steady stream of messages (a node's devices logging in again after a
// restart, heartbeats) reuses their grown stacks. nbio's own pool starts a goroutine
// for every message that finds none running and ends it when its queue is empty: a
// login then grew a fresh 8 KiB stack to the tens of KiB it needs, which cost about 5 %
// of the node's CPU per login. Parked workers hold no connection and no buffer; their
// unused stacks shrink at the next garbage collections.
type workers struct {
	tasks chan func() // unbuffered: a hand-over to a parked worker
	queue chan func() // what waits for a worker while max run
	stop  chan struct{}
	max   int32
	keep  int32

	running atomic.Int32 // workers started and not ended
	parked  atomic.Int32 // workers waiting on tasks, or about to
	wg      sync.WaitGroup
}

// workQueue is how many tasks may wait while every worker is busy, as in nbio's pool;
// beyond it Go blocks the poller that calls it.
const workQueue = 64 << 10

func newWorkers(max, keep int) *workers {
	return &workers{tasks: make(chan func()), queue: make(chan func(), workQueue), stop: make(chan struct{}),
		max: int32(max), keep: int32(min(keep, max))}
}

// Go runs f on a parked worker, on a new one if fewer than max run, or else queues it
// for the first one free (blocking while the queue is full). After close it drops f.
func (w *workers) Go(f func()) {
	select {
	case w.tasks <- f:
		return
	default:
	}
	if w.running.Add(1) <= w.max {
		w.wg.Add(1)
		go w.work(f)
		return
	}
	w.running.Add(-1)
	select {
	case w.queue <- f:
	case <-w.stop:
	}
}

// work runs f and then whatever is queued or handed over, parking between tasks while
// fewer than keep others are parked. A worker ends only when keep others are parked
// or hold a task they were handed: those take what is queued next, so no task waits
// for a worker that is never coming.
func (w *workers) work(f func()) {
	defer w.wg.Done()
	defer w.running.Add(-1)
	for {
		f()
		select {
		case f = <-w.queue:
			continue
		default:
		}
		if w.parked.Add(1) > w.keep {
			w.parked.Add(-1)
			return
		}
		select {
		case f = <-w.tasks:
		case f = <-w.queue:
		case <-w.stop:
			w.parked.Add(-1)
			return
		}
		w.parked.Add(-1)
	}
}

// close ends the parked workers and waits for every worker; tasks handed over after
// it are dropped. The caller makes sure no task is still running or coming.
func (w *workers) close() {
	close(w.stop)
	w.wg.Wait()
}
