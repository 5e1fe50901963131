package ttlcache_test

import (
	"errors"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/ttlcache"
)

var t0 = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

func TestCache_Get(t *testing.T) {
	c := ttlcache.New[string, int](0)
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }
	for _, at := range []time.Duration{0, time.Second - 1} {
		if v, _ := c.Get("k", t0.Add(at), time.Second, load); v != 1 {
			t.Fatalf("at %v: %d; want the first load's 1", at, v)
		}
	}
	if v, _ := c.Get("k", t0.Add(time.Second), time.Second, load); v != 2 {
		t.Fatalf("after the TTL: %d; want a new load", v)
	}
}

func TestCache_ErrorNotKept(t *testing.T) {
	c := ttlcache.New[string, int](0)
	fail := errors.New("down")
	if _, err := c.Get("k", t0, time.Second, func() (int, error) { return 0, fail }); !errors.Is(err, fail) {
		t.Fatalf("Get = %v; want the load's error", err)
	}
	if v, _ := c.Get("k", t0, time.Second, func() (int, error) { return 7, nil }); v != 7 {
		t.Fatalf("after a failed load: %d; want a new load", v)
	}
}

// A value loaded while a change is made is not kept: the next Get loads again.
func TestCache_ForgetDuringLoad(t *testing.T) {
	c := ttlcache.New[string, int](0)
	c.Get("k", t0, time.Second, func() (int, error) {
		c.Forget("k") // the change lands while the old value is read
		return 1, nil
	})
	if v, _ := c.Get("k", t0, time.Second, func() (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("%d; want the value loaded after the change", v)
	}
}

func TestCache_Bound(t *testing.T) {
	c := ttlcache.New[int, int](2)
	for k := range 3 {
		c.Get(k, t0, time.Second, func() (int, error) { return k, nil })
	}
	loads := 0
	for k := range 3 {
		c.Get(k, t0, time.Second, func() (int, error) { loads++; return k, nil })
	}
	if loads == 0 {
		t.Fatal("three keys kept in a cache of two")
	}
}

func TestCache_Clear(t *testing.T) {
	c := ttlcache.New[string, int](0)
	c.Get("a", t0, time.Second, func() (int, error) { return 1, nil })
	c.Get("b", t0, time.Second, func() (int, error) {
		c.Clear() // a change of unknown keys lands while b is read
		return 1, nil
	})
	c.Clear()
	for _, k := range []string{"a", "b"} {
		if v, _ := c.Get(k, t0, time.Second, func() (int, error) { return 2, nil }); v != 2 {
			t.Fatalf("%s after Clear: %d; want a new load", k, v)
		}
	}
}
