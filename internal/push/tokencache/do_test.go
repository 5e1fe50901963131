package tokencache_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/herald-im/herald/internal/push/tokencache"
)

// vendor is a fake vendor that refuses the tokens in refuse and records the tokens it was
// sent.
type vendor struct {
	refuse map[string]bool
	mu     sync.Mutex // protects sent
	sent   []string
}

func (v *vendor) send(tok string) (string, bool) {
	v.mu.Lock()
	v.sent = append(v.sent, tok)
	v.mu.Unlock()
	if v.refuse[tok] {
		return "refused " + tok, true
	}
	return "accepted " + tok, false
}

func TestDo(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name        string
		refuse      map[string]bool
		wantResult  string
		wantRefused bool
		wantSent    []string
		wantFetches int32
	}{
		{name: "OK", wantResult: "accepted tok1", wantSent: []string{"tok1"}, wantFetches: 1},
		{name: "OKRefusedOnce", refuse: map[string]bool{"tok1": true},
			wantResult: "accepted tok2", wantSent: []string{"tok1", "tok2"}, wantFetches: 2},
		{name: "ErrRefusedTwice", refuse: map[string]bool{"tok1": true, "tok2": true},
			wantResult: "refused tok2", wantRefused: true, wantSent: []string{"tok1", "tok2"}, wantFetches: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c tokencache.Cache
			f := &fetcher{}
			v := &vendor{refuse: tt.refuse}
			got, refused, err := tokencache.Do(ctx, &c, "cert", t0, f.fetch, v.send)
			if err != nil || got != tt.wantResult || refused != tt.wantRefused {
				t.Errorf("Do = %q, %v, %v; want %q, %v, nil", got, refused, err, tt.wantResult, tt.wantRefused)
			}
			if !slices.Equal(v.sent, tt.wantSent) {
				t.Errorf("vendor was sent %q, want %q", v.sent, tt.wantSent)
			}
			if n := f.calls.Load(); n != tt.wantFetches {
				t.Errorf("fetch called %d times, want %d", n, tt.wantFetches)
			}
		})
	}
	t.Run("OKRefusedTokenInvalidated", func(t *testing.T) {
		var c tokencache.Cache
		f := &fetcher{}
		v := &vendor{refuse: map[string]bool{"tok1": true, "tok2": true}}
		tokencache.Do(ctx, &c, "cert", t0, f.fetch, v.send)
		// The second refused token is not handed out again either.
		if tok, _ := c.Get(ctx, "cert", t0, f.fetch); tok != "tok3" {
			t.Errorf("Get after two refusals = %q, want tok3", tok)
		}
	})
	t.Run("OKConcurrentRefusals", func(t *testing.T) {
		var c tokencache.Cache
		f := &fetcher{}
		v := &vendor{refuse: map[string]bool{"tok1": true}}
		const callers = 20
		// Every caller is sent tok1 before any of them is refused, so that all refusals
		// of tok1 overlap.
		var refusedTogether sync.WaitGroup
		refusedTogether.Add(callers)
		send := func(tok string) (string, bool) {
			if tok == "tok1" {
				refusedTogether.Done()
				refusedTogether.Wait()
			}
			return v.send(tok)
		}
		var wg sync.WaitGroup
		results := make([]string, callers)
		errs := make([]error, callers)
		for i := range callers {
			wg.Go(func() {
				results[i], _, errs[i] = tokencache.Do(ctx, &c, "cert", t0, f.fetch, send)
			})
		}
		wg.Wait()
		for i := range callers {
			if results[i] != "accepted tok2" || errs[i] != nil {
				t.Errorf("caller %d: Do = %q, %v; want accepted tok2", i, results[i], errs[i])
			}
		}
		if n := f.calls.Load(); n != 2 {
			t.Errorf("fetch called %d times for %d callers refused together, want 2", n, callers)
		}
		if n := len(v.sent); n != 2*callers {
			t.Errorf("vendor got %d requests, want %d", n, 2*callers)
		}
	})
	t.Run("ErrFetch", func(t *testing.T) {
		var c tokencache.Cache
		errRefused := errors.New("credentials refused")
		f := &fetcher{err: errRefused}
		var sends atomic.Int32
		got, refused, err := tokencache.Do(ctx, &c, "cert", t0, f.fetch, func(string) (string, bool) {
			sends.Add(1)
			return "sent", false
		})
		if !errors.Is(err, errRefused) || got != "" || refused {
			t.Errorf("Do = %q, %v, %v; want \"\", false, %v", got, refused, err, errRefused)
		}
		if n := sends.Load(); n != 0 {
			t.Errorf("send called %d times without a token, want 0", n)
		}
	})
	t.Run("ErrFetchAfterRefusal", func(t *testing.T) {
		var c tokencache.Cache
		errRefused := errors.New("credentials refused")
		f := &fetcher{}
		v := &vendor{refuse: map[string]bool{"tok1": true}}
		got, refused, err := tokencache.Do(ctx, &c, "cert", t0, f.fetch, func(tok string) (string, bool) {
			f.err = errRefused // the refresh fails
			return v.send(tok)
		})
		if !errors.Is(err, errRefused) || got != "" || refused {
			t.Errorf("Do = %q, %v, %v; want \"\", false, %v", got, refused, err, errRefused)
		}
		if !slices.Equal(v.sent, []string{"tok1"}) {
			t.Errorf("vendor was sent %q, want [tok1]", v.sent)
		}
	})
}
