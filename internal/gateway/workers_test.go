package gateway

import (
	"runtime"
	"sync"
	"testing"
)

// Every task runs once, however many come while every worker is busy; at most max
// run at once; when all are done at most keep stay, and close ends them.
func TestWorkers_Go(t *testing.T) {
	const most, keep, n = 4, 2, 1000
	w := newWorkers(most, keep)
	var (
		mu       sync.Mutex
		running  int
		peak     int
		done     = make([]int, n)
		release  = make(chan struct{})
		finished sync.WaitGroup
	)
	finished.Add(n)
	for i := range n {
		w.Go(func() {
			defer finished.Done()
			mu.Lock()
			running++
			peak = max(peak, running)
			done[i]++
			mu.Unlock()
			if i < most {
				<-release // the first max hold every worker: the rest queue
			}
			mu.Lock()
			running--
			mu.Unlock()
		})
	}
	close(release)
	finished.Wait()
	for i, c := range done {
		if c != 1 {
			t.Fatalf("task %d ran %d times, want once", i, c)
		}
	}
	if peak > most {
		t.Errorf("%d tasks ran at once, want at most %d", peak, most)
	}
	// Workers that find nothing to do park (up to keep) or end: wait for them to
	// settle, then check the bound.
	for w.running.Load() > keep || w.parked.Load() != w.running.Load() {
		runtime.Gosched()
	}
	if got := w.running.Load(); got < 1 || got > keep {
		t.Errorf("%d workers left parked, want 1 to %d", got, keep)
	}
	w.close()
	if got := w.running.Load(); got != 0 {
		t.Errorf("%d workers after close, want 0", got)
	}
}
