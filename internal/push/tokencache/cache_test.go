package tokencache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push/tokencache"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fetcher hands out "tok1", "tok2", … valid for an hour from t0, and counts its calls.
type fetcher struct {
	calls atomic.Int32
	err   error
	gate  chan struct{} // when set, each fetch signals started and waits for gate to be closed
	// started receives one value per fetch that has begun, when gate is set.
	started chan struct{}
}

func gated() *fetcher {
	return &fetcher{gate: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (f *fetcher) fetch(ctx context.Context) (string, time.Time, error) {
	n := f.calls.Add(1)
	if f.gate != nil {
		f.started <- struct{}{}
		<-f.gate
	}
	if f.err != nil {
		return "", time.Time{}, f.err
	}
	return fmt.Sprintf("tok%d", n), t0.Add(time.Hour), nil
}

func TestCache_Get(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var c tokencache.Cache
		f := &fetcher{}
		for i, now := range []time.Time{t0, t0.Add(59 * time.Minute)} {
			tok, err := c.Get(context.Background(), "cert", now, f.fetch)
			if err != nil || tok != "tok1" {
				t.Fatalf("Get %d = %q, %v; want tok1", i, tok, err)
			}
		}
		if n := f.calls.Load(); n != 1 {
			t.Errorf("fetch called %d times, want 1", n)
		}
		// At the time the fetch returned, the token is no longer handed out.
		if tok, _ := c.Get(context.Background(), "cert", t0.Add(time.Hour), f.fetch); tok != "tok2" {
			t.Errorf("Get after expiry = %q, want tok2", tok)
		}
		// Keys are separate.
		if tok, _ := c.Get(context.Background(), "other", t0, f.fetch); tok != "tok3" {
			t.Errorf("Get of another key = %q, want tok3", tok)
		}
	})
	t.Run("OKSingleFlight", func(t *testing.T) {
		var c tokencache.Cache
		f := gated()
		var wg sync.WaitGroup
		toks := make([]string, 20)
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				toks[i], _ = c.Get(context.Background(), "cert", t0, f.fetch)
			}()
		}
		<-f.started
		close(f.gate)
		wg.Wait()
		if n := f.calls.Load(); n != 1 {
			t.Errorf("fetch called %d times for 20 concurrent callers, want 1", n)
		}
		for i, tok := range toks {
			if tok != "tok1" {
				t.Errorf("caller %d got %q, want tok1", i, tok)
			}
		}
	})
	t.Run("ErrNotCached", func(t *testing.T) {
		var c tokencache.Cache
		errRefused := errors.New("refused")
		f := &fetcher{err: errRefused}
		if _, err := c.Get(context.Background(), "cert", t0, f.fetch); !errors.Is(err, errRefused) {
			t.Fatalf("Get error = %v, want %v", err, errRefused)
		}
		f.err = nil
		if tok, err := c.Get(context.Background(), "cert", t0, f.fetch); err != nil || tok != "tok2" {
			t.Errorf("Get after a failed fetch = %q, %v; want tok2", tok, err)
		}
	})
	t.Run("ErrWaiterContext", func(t *testing.T) {
		var c tokencache.Cache
		f := gated()
		defer close(f.gate)
		go c.Get(context.Background(), "cert", t0, f.fetch)
		<-f.started
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Get(ctx, "cert", t0, f.fetch); !errors.Is(err, context.Canceled) {
			t.Errorf("waiting Get with an ended context: error %v, want context.Canceled", err)
		}
	})
}

func TestCache_Invalidate(t *testing.T) {
	var c tokencache.Cache
	f := &fetcher{}
	tok1, _ := c.Get(context.Background(), "cert", t0, f.fetch)
	c.Invalidate("cert", tok1)
	tok2, _ := c.Get(context.Background(), "cert", t0, f.fetch)
	if tok2 != "tok2" {
		t.Fatalf("Get after Invalidate = %q, want tok2", tok2)
	}
	// A late refusal of the old token must not drop its replacement.
	c.Invalidate("cert", tok1)
	if tok, _ := c.Get(context.Background(), "cert", t0, f.fetch); tok != "tok2" {
		t.Errorf("Get after invalidating a replaced token = %q, want tok2", tok)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("fetch called %d times, want 2", n)
	}
}
