package batch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/batch"
)

// waitFor polls cond until it holds, failing after a minute.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// While a batch runs, the calls that arrive wait and run together as the next one,
// each getting its own result.
func TestGroup_Do_Batches(t *testing.T) {
	var g batch.Group[int, string]
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	run := func(_ context.Context, reqs []int) ([]string, error) {
		mu.Lock()
		first := len(batches) == 0
		batches = append(batches, append([]int(nil), reqs...))
		mu.Unlock()
		if first {
			<-release
		}
		out := make([]string, len(reqs))
		for i, r := range reqs {
			out[i] = fmt.Sprint("r", r)
		}
		return out, nil
	}
	ctx := context.Background()
	results := make([]string, 11)
	var wg sync.WaitGroup
	call := func(i int) {
		defer wg.Done()
		res, err := g.Do(ctx, i, run)
		if err != nil {
			t.Errorf("Do(%d) = %v", i, err)
		}
		results[i] = res
	}
	wg.Add(1)
	go call(0)
	waitFor(t, "the first batch", func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 1 })
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go call(i)
	}
	waitFor(t, "ten waiting calls", func() bool { return g.Waiting() == 10 })
	close(release)
	wg.Wait()
	for i, r := range results {
		if want := fmt.Sprint("r", i); r != want {
			t.Errorf("result %d = %q, want %q", i, r, want)
		}
	}
	if len(batches) != 2 || len(batches[0]) != 1 || len(batches[1]) != 10 {
		t.Fatalf("batches %v, want [[0] [ten calls]]", batches)
	}
	if g.Waiting() != 0 {
		t.Fatalf("%d calls still waiting", g.Waiting())
	}
}

// A batch holds at most Max calls; the rest run in the batches after.
func TestGroup_Do_Max(t *testing.T) {
	g := batch.Group[int, int]{Max: 3}
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	run := func(_ context.Context, reqs []int) ([]int, error) {
		mu.Lock()
		first := len(sizes) == 0
		sizes = append(sizes, len(reqs))
		mu.Unlock()
		if first {
			<-release
		}
		return reqs, nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); g.Do(context.Background(), 0, run) }()
	waitFor(t, "the first batch", func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	for i := 1; i <= 7; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := g.Do(context.Background(), i, run); got != i || err != nil {
				t.Errorf("Do(%d) = %d, %v", i, got, err)
			}
		}()
	}
	waitFor(t, "seven waiting calls", func() bool { return g.Waiting() == 7 })
	close(release)
	wg.Wait()
	if fmt.Sprint(sizes) != "[1 3 3 1]" {
		t.Fatalf("batch sizes %v, want [1 3 3 1]", sizes)
	}
}

// A batch's error goes to all its calls; a call whose context ended before its batch
// started is left out of it.
func TestGroup_Do_Errors(t *testing.T) {
	var g batch.Group[int, int]
	errBoom := errors.New("boom")
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	run := func(_ context.Context, reqs []int) ([]int, error) {
		mu.Lock()
		n := len(batches)
		batches = append(batches, append([]int(nil), reqs...))
		mu.Unlock()
		if n == 0 {
			<-release
			return reqs, nil
		}
		return nil, errBoom
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); g.Do(context.Background(), 0, run) }()
	waitFor(t, "the first batch", func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 1 })
	canceled, cancel := context.WithCancel(context.Background())
	errs := make([]error, 3)
	for i := 1; i <= 2; i++ {
		ctx := context.Background()
		if i == 2 {
			ctx = canceled
		}
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = g.Do(ctx, i, run) }()
		waitFor(t, "the call to wait", func() bool { return g.Waiting() == i })
	}
	cancel()
	close(release)
	wg.Wait()
	if !errors.Is(errs[1], errBoom) || !errors.Is(errs[2], context.Canceled) {
		t.Fatalf("errors %v, want [boom, context canceled]", errs[1:])
	}
	if fmt.Sprint(batches) != "[[0] [1]]" {
		t.Fatalf("batches %v, want [[0] [1]]", batches)
	}
}

// A run that panics (under a caller that recovers) still answers its batch and hands
// the lead on: later calls are not left waiting.
func TestGroup_Do_RunPanics(t *testing.T) {
	var g batch.Group[int, int]
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int64
	run := func(_ context.Context, reqs []int) ([]int, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
			panic("boom")
		}
		return reqs, nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { recover() }()
		g.Do(context.Background(), 0, run)
	}()
	<-started
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = g.Do(context.Background(), i+1, run) }()
	}
	waitFor(t, "two waiting calls", func() bool { return g.Waiting() == 2 })
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d after the panic = %v, want nil (it ran in the next batch)", i+1, err)
		}
	}
	if got, err := g.Do(context.Background(), 9, run); got != 9 || err != nil {
		t.Fatalf("Do after the panic = %d, %v; want 9, nil", got, err)
	}
}
