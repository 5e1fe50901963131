package im_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// kickRouter records the kick events routed, in order.
type kickRouter struct {
	mu    sync.Mutex // protects kicks
	kicks []*im.Event
}

func (r *kickRouter) Route(_ context.Context, _ int64, _ string, ev *im.Event) error {
	if ev.Kind == im.EventKick {
		r.mu.Lock()
		r.kicks = append(r.kicks, ev)
		r.mu.Unlock()
	}
	return nil
}

// loginAll logs in n devices of alice at once, the i-th named by name(i), and returns
// the state changes reported.
func loginAll(t *testing.T, s *im.Service, n int, device, session func(i int) string) []im.StateChange {
	t.Helper()
	var mu sync.Mutex
	var changes []im.StateChange
	s.StateChanged = func(_ context.Context, c im.StateChange) {
		mu.Lock()
		changes = append(changes, c)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Login(context.Background(), im.LoginParams{SDKAppID: loginApp, UserID: "alice",
				DeviceID: device(i), Platform: "Android", Session: session(i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		must(t, fmt.Sprint("Login ", i), err)
	}
	return changes
}

const loginApp = 1400000001

// Concurrent logins are written in batches; whatever the batches, the outcome is that
// of the logins one after another: under one device per platform, of n Android
// devices logging in at once exactly one stays online, and each of the others is
// logged out and kicked exactly once, by one later login.
func TestService_Login_ConcurrentKicks(t *testing.T) {
	const n = 40
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, "CreateApp", st.CreateApp(ctx, &store.App{SDKAppID: loginApp, SecretKey: "k", DevicePolicy: store.OnePerPlatform}))
			r := &kickRouter{}
			s := im.NewService(st, r)
			changes := loginAll(t, s, n, func(i int) string { return fmt.Sprint("d", i) }, func(i int) string { return fmt.Sprint("n1/s", i) })

			devices, err := st.FindDevices(ctx, store.DeviceFilter{SDKAppID: loginApp, UserID: ptr("alice")})
			must(t, "FindDevices", err)
			var online []string
			for _, d := range devices {
				if d.State == store.Online {
					online = append(online, d.DeviceID)
				} else if d.State != store.LoggedOut {
					t.Errorf("device %s is %s, want online or logged out", d.DeviceID, d.State)
				}
			}
			if len(devices) != n || len(online) != 1 {
				t.Fatalf("%d devices, online %v; want %d devices, one online", len(devices), online, n)
			}
			kickedChanges := map[string]int{}
			for _, c := range changes {
				if c.Action == im.StateKicked {
					kickedChanges[c.DeviceID]++
				}
			}
			kickEvents := map[string]int{}
			for _, ev := range r.kicks {
				if ev.Kicked != nil {
					kickEvents[ev.DeviceID]++
				}
			}
			for _, d := range devices {
				want := 1
				if d.DeviceID == online[0] {
					want = 0
				}
				if kickedChanges[d.DeviceID] != want || kickEvents[d.DeviceID] != want {
					t.Errorf("device %s: %d kicked changes, %d kick events; want %d", d.DeviceID,
						kickedChanges[d.DeviceID], kickEvents[d.DeviceID], want)
				}
			}
		})
	}
}

// Of many sessions of one device logging in at once, the store keeps the last one
// written, and the last reconnect kick routed names that session: the session kept
// is the one that survives the kicks. Each login but the first stored finds the
// device online on an earlier session and routes one.
func TestService_Login_ConcurrentSameDevice(t *testing.T) {
	const n = 40
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, "CreateApp", st.CreateApp(ctx, &store.App{SDKAppID: loginApp, SecretKey: "k"}))
			r := &kickRouter{}
			s := im.NewService(st, r)
			changes := loginAll(t, s, n, func(int) string { return "phone" }, func(i int) string { return fmt.Sprint("n1/s", i) })

			d, err := st.FindDevice(ctx, loginApp, "alice", "phone")
			must(t, "FindDevice", err)
			if d.State != store.Online {
				t.Fatalf("state %s, want online", d.State)
			}
			if len(r.kicks) != n-1 {
				t.Fatalf("%d kick events, want %d", len(r.kicks), n-1)
			}
			last := r.kicks[len(r.kicks)-1]
			if last.KeepSession != d.NodeID || last.Kicked != nil {
				t.Fatalf("last kick routed keeps %q (kicked %v); the store kept %q", last.KeepSession, last.Kicked, d.NodeID)
			}
			logins := 0
			for _, c := range changes {
				switch c.Action {
				case im.StateLogin:
					logins++
				default:
					t.Errorf("state change %s for %s: a reconnect kicks no one", c.Action, c.DeviceID)
				}
			}
			if logins != n {
				t.Errorf("%d login changes, want %d", logins, n)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Concurrent disconnects are written together: each device whose own session ended
// goes offline and reports it once; one whose ending session is not its own stays
// online.
func TestService_Disconnected_Concurrent(t *testing.T) {
	const n = 40
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, "CreateApp", st.CreateApp(ctx, &store.App{SDKAppID: loginApp, SecretKey: "k", DevicePolicy: store.Unlimited}))
			s := im.NewService(st, &kickRouter{})
			device := func(i int) string { return fmt.Sprint("d", i) }
			session := func(i int) string { return fmt.Sprint("n1/s", i) }
			loginAll(t, s, n, device, session)
			var mu sync.Mutex
			var changes []im.StateChange
			s.StateChanged = func(_ context.Context, c im.StateChange) {
				mu.Lock()
				changes = append(changes, c)
				mu.Unlock()
			}
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sess := session(i)
					if i == 0 {
						sess = "n1/older" // an older connection of d0 ending late
					}
					if err := s.Disconnected(ctx, loginApp, "alice", device(i), sess, int64(i)); err != nil {
						t.Errorf("Disconnected(%s) = %v", device(i), err)
					}
				}()
			}
			wg.Wait()
			for i := range n {
				d, err := st.FindDevice(ctx, loginApp, "alice", device(i))
				must(t, "FindDevice", err)
				want := store.Offline
				if i == 0 {
					want = store.Online
				}
				if d.State != want || d.DeliveredSeq != int64(i) {
					t.Errorf("%s: %s, delivered %d; want %s, %d", device(i), d.State, d.DeliveredSeq, want, i)
				}
			}
			if len(changes) != n-1 {
				t.Errorf("%d disconnect changes, want %d", len(changes), n-1)
			}
			if err := s.Disconnected(ctx, loginApp, "alice", "nope", "n1/x", 0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Disconnected(unknown device) = %v, want ErrNotFound", err)
			}
		})
	}
}

// A login routes the reconnect kick (end this device's other session, keep mine) only
// when the device was online on another session: a device logging in for the first
// time, after its session ended or after it was logged out has no session to end, and
// routing a kick to all the user's nodes for nothing cost a NATS publish and its
// delivery back per login.
func TestService_Login_ReconnectKick(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, "CreateApp", st.CreateApp(ctx, &store.App{SDKAppID: loginApp, SecretKey: "k", DevicePolicy: store.OnePerPlatform}))
			r := &kickRouter{}
			s := im.NewService(st, r)
			login := func(device, session string) *store.LoginResult {
				t.Helper()
				res, err := s.Login(ctx, im.LoginParams{SDKAppID: loginApp, UserID: "alice", DeviceID: device,
					Platform: "Android", Session: session})
				must(t, "Login "+session, err)
				return res
			}
			kicks := func() []string {
				r.mu.Lock()
				defer r.mu.Unlock()
				var out []string
				for _, ev := range r.kicks {
					k := ev.DeviceID + " keep " + ev.KeepSession
					if ev.Kicked != nil {
						k = ev.DeviceID + " kicked"
					}
					out = append(out, k)
				}
				r.kicks = nil
				return out
			}
			check := func(step string, want ...string) {
				t.Helper()
				if got := kicks(); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: kicks routed %q, want %q", step, got, want)
				}
			}

			login("phone", "n1/s1")
			check("first login")
			if res := login("phone", "n2/s2"); res.Replaces != "n1/s1" {
				t.Errorf("reconnect: Replaces %q, want n1/s1", res.Replaces)
			}
			check("reconnect while online", "phone keep n2/s2")
			must(t, "Disconnected", s.Disconnected(ctx, loginApp, "alice", "phone", "n2/s2", 0))
			login("phone", "n1/s3")
			check("login after the session ended")
			login("phone2", "n1/s4") // one Android per user: phone is logged out
			check("other device", "phone kicked")
			login("phone", "n1/s5")
			check("login after a kick", "phone2 kicked")
		})
	}
}
