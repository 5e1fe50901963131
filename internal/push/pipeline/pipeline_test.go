package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/sqlite"
)

const testAppID = 1400000001

// fakeSender is a working push.Sender that keeps what it was asked to send, with
// fault switches.
type fakeSender struct {
	vendor   push.Vendor
	maxBatch int

	mu    sync.Mutex // protects the fields below
	calls []fakeCall
	// retry answers RetryLater (with retryAfter) to every token of the next retry
	// calls; -1 always.
	retry      int
	retryAfter time.Duration
	// onSend runs in each call before it answers.
	onSend func()
	// hold, when set, makes each call wait until it is closed; held counts the calls
	// waiting.
	hold chan struct{}
	held int
	// holdFrom lets the first holdFrom calls through a hold; started counts calls.
	holdFrom, started int
	// inFlight, when set, makes the sender a per-token one (like FCM and APNs) that
	// keeps inFlight requests at the vendor.
	inFlight int
}

// perToken is how the env hands a fakeSender to the pipeline: a push.PerTokenSender
// whose InFlight is the fake's inFlight (0: not per token, the whole job at once).
type perToken struct{ *fakeSender }

func (s perToken) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

func (s *fakeSender) heldCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

type fakeCall struct {
	tokens []string
	n      *push.Notification
}

var _ push.Sender = (*fakeSender)(nil)

func (s *fakeSender) Vendor() push.Vendor { return s.vendor }
func (s *fakeSender) MaxBatch() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxBatch
}

func (s *fakeSender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	s.mu.Lock()
	hold := s.hold
	if s.started < s.holdFrom {
		hold = nil
	}
	s.started++
	if hold != nil {
		s.held++
	}
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return push.Results(tokens, push.RetryLater, 0, "fake: cancelled")
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, fakeCall{tokens: slices.Clone(tokens), n: n})
	retry := s.retry != 0
	if s.retry > 0 {
		s.retry--
	}
	retryAfter, hook := s.retryAfter, s.onSend
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if retry {
		return push.Results(tokens, push.RetryLater, retryAfter, "fake: retry")
	}
	rs := push.Results(tokens, push.Accepted, 0, "")
	for i := range rs {
		rs[i].MessageID = "fake-" + tokens[i]
	}
	return rs
}

// sent returns the calls so far.
func (s *fakeSender) sent() []fakeCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// tokenCounts counts how often each token was sent to.
func (s *fakeSender) tokenCounts() map[string]int {
	out := map[string]int{}
	for _, c := range s.sent() {
		for _, t := range c.tokens {
			out[t]++
		}
	}
	return out
}

// env is a pipeline on real SQLite and an embedded NATS, with a fake sender for
// Huawei (which shows a badge) and one for Xiaomi (which does not), each taking at most
// 3 tokens a request.
type env struct {
	st      *sqlite.DB
	bus     *bus.Bus
	logger  *slog.Logger
	p       *pipeline.Pipeline
	senders map[push.Vendor]*fakeSender
	certs   map[push.Vendor]int64
}

// MustOpenEnv opens an env; configure, when set, changes the pipeline before Open.
func MustOpenEnv(tb testing.TB, configure func(p *pipeline.Pipeline)) *env {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	logger := slog.New(slog.NewTextHandler(testLogOut(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := sqlite.Open(ctx, filepath.Join(dir, "herald.db"))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	b, err := bus.Open(ctx, bus.Config{DataDir: filepath.Join(dir, "nats"), Logger: logger})
	if err != nil {
		tb.Fatalf("open bus: %v", err)
	}
	tb.Cleanup(func() { b.Close() })
	if err := st.CreateApp(ctx, &store.App{SDKAppID: testAppID, SecretKey: "k", Name: "test"}); err != nil {
		tb.Fatal(err)
	}
	e := &env{st: st, bus: b, logger: logger, senders: map[push.Vendor]*fakeSender{}, certs: map[push.Vendor]int64{}}
	senders := map[push.Vendor]push.Sender{}
	for _, v := range []push.Vendor{push.Huawei, push.Xiaomi} {
		c := &push.Certificate{SDKAppID: testAppID, Vendor: v, Name: "test " + v.String()}
		if v == push.Huawei {
			c.BadgeClass = "com.example.MainActivity" // Huawei shows badges only with one
		}
		sc, err := c.ToStored()
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.CreateCertificate(ctx, sc); err != nil {
			tb.Fatal(err)
		}
		e.certs[v] = sc.ID
		e.senders[v] = &fakeSender{vendor: v, maxBatch: 3}
		senders[v] = perToken{e.senders[v]}
	}
	e.p = pipeline.New(st, b, senders)
	e.p.Logger = logger
	e.p.Workers = 4
	if configure != nil {
		configure(e.p)
	}
	if err := e.p.Open(ctx); err != nil {
		tb.Fatalf("open pipeline: %v", err)
	}
	tb.Cleanup(func() { e.p.Close() })
	return e
}

// OpenPipeline opens another pipeline on e's store, bus and senders: another node.
func (e *env) OpenPipeline(tb testing.TB) *pipeline.Pipeline {
	tb.Helper()
	senders := map[push.Vendor]push.Sender{}
	for v, s := range e.senders {
		senders[v] = perToken{s}
	}
	p := pipeline.New(e.st, e.bus, senders)
	p.Logger, p.Workers = e.logger, 4
	if err := p.Open(context.Background()); err != nil {
		tb.Fatalf("open pipeline: %v", err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// MustCreateDevice creates user with one offline device bound to a token on vendor,
// with badge as its badge counter, and returns the token.
func (e *env) MustCreateDevice(tb testing.TB, user string, v push.Vendor, badge int) string {
	tb.Helper()
	ctx := context.Background()
	if err := e.st.CreateAccounts(ctx, []*store.Account{{SDKAppID: testAppID, UserID: user}}); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	if err := e.st.UpsertDevice(ctx, &store.Device{SDKAppID: testAppID, UserID: user, DeviceID: "phone", Platform: store.Android, State: store.Offline, LoginAt: now, LastSeen: now}); err != nil {
		tb.Fatal(err)
	}
	token := "tok-" + user
	if _, err := e.st.BindPushToken(ctx, testAppID, user, "phone", e.certs[v], token); err != nil {
		tb.Fatal(err)
	}
	if err := e.st.UpdateDevice(ctx, testAppID, user, "phone", store.DeviceUpdate{Badge: &badge}); err != nil {
		tb.Fatal(err)
	}
	return token
}

// MustCreateMessage stores a text message from from to user to, or to group when to
// starts with "group:", without queueing its planning.
func (e *env) MustCreateMessage(tb testing.TB, from, to string) *store.Message {
	tb.Helper()
	return e.mustCreateMessageWith(tb, from, to, func(*store.Message) {})
}

// mustCreateMessageWith is MustCreateMessage with the message changed by set before it
// is stored.
func (e *env) mustCreateMessageWith(tb testing.TB, from, to string, set func(*store.Message)) *store.Message {
	tb.Helper()
	elems, _ := json.Marshal([]map[string]string{{"type": "text", "text": "hello"}})
	m := &store.Message{SDKAppID: testAppID, Type: store.TypeC2C, From: from, To: to, Elements: elems}
	if g, ok := strings.CutPrefix(to, "group:"); ok {
		m.Type, m.To, m.GroupID = store.TypeGroup, "", g
	}
	set(m)
	if err := e.st.CreateMessage(context.Background(), m, nil); err != nil {
		tb.Fatal(err)
	}
	return m
}

// MustCreateGroup creates group id owned by owner with members.
func (e *env) MustCreateGroup(tb testing.TB, id, owner string, members []string) {
	tb.Helper()
	ms := []*store.GroupMember{{SDKAppID: testAppID, GroupID: id, UserID: owner, Role: store.Owner}}
	for _, u := range members {
		ms = append(ms, &store.GroupMember{SDKAppID: testAppID, GroupID: id, UserID: u, Role: store.Member})
	}
	if err := e.st.CreateGroup(context.Background(), &store.Group{SDKAppID: testAppID, ID: id, Name: "g", OwnerID: owner}, ms); err != nil {
		tb.Fatal(err)
	}
}

// waitRecords waits until the message has want records and none is queued.
func (e *env) waitRecords(tb testing.TB, messageID string, want int) []*store.PushRecord {
	tb.Helper()
	var rs []*store.PushRecord
	waitFor(tb, fmt.Sprintf("%d final records of %s", want, messageID), func() bool {
		var err error
		rs, err = e.st.FindPushRecords(context.Background(), testAppID, messageID)
		if err != nil || len(rs) != want {
			return false
		}
		for _, r := range rs {
			if r.Outcome == "queued" || r.Outcome == store.OutcomeSending {
				return false
			}
		}
		return true
	})
	return rs
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stepClock is a clock that moves on by step every time it is read: far enough that a
// retry is always due at its next try, and a certificate is read again every time.
type stepClock struct {
	now  atomic.Int64
	step time.Duration
}

func newStepClock(step time.Duration) *stepClock {
	c := &stepClock{step: step}
	c.now.Store(time.Now().UnixNano())
	return c
}

func (c *stepClock) Now() time.Time { return time.Unix(0, c.now.Add(int64(c.step))) }

func TestPipeline_Batching(t *testing.T) {
	e := MustOpenEnv(t, nil)
	e.MustCreateDevice(t, "owner", push.Xiaomi, 0)
	// 7 Xiaomi devices: one notification, so requests of 3, 3 and 1. 8 Huawei devices
	// whose badges become 1 (six of them) and 6 (two): requests of 3 and 3, and 2.
	var members []string
	for i := range 7 {
		u := fmt.Sprintf("x%d", i)
		e.MustCreateDevice(t, u, push.Xiaomi, 0)
		members = append(members, u)
	}
	for i := range 8 {
		u, badge := fmt.Sprintf("h%d", i), 0
		if i%3 == 2 {
			badge = 5
		}
		e.MustCreateDevice(t, u, push.Huawei, badge)
		members = append(members, u)
	}
	e.MustCreateGroup(t, "g1", "owner", members)
	m := e.MustCreateMessage(t, "owner", "group:g1")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	rs := e.waitRecords(t, m.ID, 15)
	for _, r := range rs {
		if r.Decision != "push" || r.Outcome != "accepted" || r.Attempts != 1 || r.VendorMessageID != "fake-tok-"+r.UserID {
			t.Errorf("record %+v; want push, accepted in 1 attempt", r)
		}
	}

	var sizes []int
	for _, c := range e.senders[push.Xiaomi].sent() {
		sizes = append(sizes, len(c.tokens))
		if c.n.Badge != nil {
			t.Errorf("xiaomi notification has badge %d; xiaomi shows none", *c.n.Badge)
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{1, 3, 3}) {
		t.Errorf("xiaomi requests of %v tokens; want [1 3 3]", sizes)
	}

	byBadge := map[int][]int{}
	for _, c := range e.senders[push.Huawei].sent() {
		if c.n.Badge == nil {
			t.Fatalf("huawei notification without a badge")
		}
		byBadge[*c.n.Badge] = append(byBadge[*c.n.Badge], len(c.tokens))
	}
	for b := range byBadge {
		slices.Sort(byBadge[b])
	}
	if len(byBadge) != 2 || !slices.Equal(byBadge[1], []int{3, 3}) || !slices.Equal(byBadge[6], []int{2}) {
		t.Errorf("huawei requests by badge %v; want badge 1: [3 3], badge 6: [2]", byBadge)
	}
	for _, v := range []push.Vendor{push.Xiaomi, push.Huawei} {
		for tok, n := range e.senders[v].tokenCounts() {
			if n != 1 {
				t.Errorf("%s token %s sent %d times", v, tok, n)
			}
		}
	}
}

// TestPipeline_BatchingAcrossPages: a group larger than one page of members still
// fills its requests up to MaxBatch.
func TestPipeline_BatchingAcrossPages(t *testing.T) {
	e := MustOpenEnv(t, nil)
	e.senders[push.Xiaomi].maxBatch = 1000
	e.MustCreateDevice(t, "owner", push.Xiaomi, 0)
	const n = 1200 // more than two pages of 500
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("u%04d", i)
		e.MustCreateDevice(t, members[i], push.Xiaomi, 0)
	}
	e.MustCreateGroup(t, "big", "owner", members)
	m := e.MustCreateMessage(t, "owner", "group:big")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	e.waitRecords(t, m.ID, n)
	var sizes []int
	for _, c := range e.senders[push.Xiaomi].sent() {
		sizes = append(sizes, len(c.tokens))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{200, 1000}) {
		t.Errorf("requests of %v tokens; want [200 1000]", sizes)
	}
}

// countingStore is the store with a count of calls to the badge and record writes.
type countingStore struct {
	store.Store
	incrementBadge, incrementBadges     atomic.Int64
	updatePushRecord, updatePushRecords atomic.Int64
	claimPushRecords                    atomic.Int64
	// beforeIncrementBadges, when set, runs at the start of each IncrementBadges.
	beforeIncrementBadges func()
}

func (s *countingStore) IncrementBadge(ctx context.Context, sdkAppID int64, userID, deviceID string) (int, error) {
	s.incrementBadge.Add(1)
	return s.Store.IncrementBadge(ctx, sdkAppID, userID, deviceID)
}

func (s *countingStore) IncrementBadges(ctx context.Context, sdkAppID int64, devices []store.DeviceKey) (map[store.DeviceKey]int, error) {
	s.incrementBadges.Add(1)
	if s.beforeIncrementBadges != nil {
		s.beforeIncrementBadges()
	}
	return s.Store.IncrementBadges(ctx, sdkAppID, devices)
}

func (s *countingStore) ClaimPushRecords(ctx context.Context, sdkAppID int64, ids []int64, attempt int, reclaimBefore time.Time) (map[int64]store.Claim, error) {
	s.claimPushRecords.Add(1)
	return s.Store.ClaimPushRecords(ctx, sdkAppID, ids, attempt, reclaimBefore)
}

func (s *countingStore) UpdatePushRecord(ctx context.Context, sdkAppID, id int64, upd store.PushRecordUpdate) error {
	s.updatePushRecord.Add(1)
	return s.Store.UpdatePushRecord(ctx, sdkAppID, id, upd)
}

func (s *countingStore) UpdatePushRecords(ctx context.Context, sdkAppID int64, upds map[int64]store.PushRecordUpdate) (int, error) {
	s.updatePushRecords.Add(1)
	return s.Store.UpdatePushRecords(ctx, sdkAppID, upds)
}

// TestPipeline_BatchedWrites: a group's badges are counted in one store call per page
// of members, and a send job's answers are recorded in one.
func TestPipeline_BatchedWrites(t *testing.T) {
	var cs *countingStore
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
		cs = &countingStore{Store: p.Store}
		p.Store = cs
	})
	e.senders[push.Huawei].maxBatch = 1000
	e.MustCreateDevice(t, "owner", push.Huawei, 0)
	// With the owner, 1,002 members: pages of 500, 500 and 2.
	const n = 1001
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("u%04d", i)
		e.MustCreateDevice(t, members[i], push.Huawei, 2)
	}
	e.MustCreateGroup(t, "big", "owner", members)
	m := e.MustCreateMessage(t, "owner", "group:big")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	rs := e.waitRecords(t, m.ID, n)
	for _, r := range rs {
		if r.Outcome != "accepted" || r.Attempts != 1 {
			t.Fatalf("record %+v; want accepted in 1 attempt", r)
		}
	}

	var sizes []int
	for _, c := range e.senders[push.Huawei].sent() {
		sizes = append(sizes, len(c.tokens))
		if c.n.Badge == nil || *c.n.Badge != 3 {
			t.Errorf("huawei notification with badge %v; want 3", c.n.Badge)
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{1, 1000}) {
		t.Errorf("requests of %v tokens; want [1 1000]", sizes)
	}
	d, err := e.st.FindDevice(context.Background(), testAppID, "u1000", "phone")
	if err != nil {
		t.Fatal(err)
	}
	if d.Badge != 3 {
		t.Errorf("badge of u1000 = %d; want 3", d.Badge)
	}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"IncrementBadges", cs.incrementBadges.Load(), 3},
		{"IncrementBadge", cs.incrementBadge.Load(), 0},
		{"UpdatePushRecords", cs.updatePushRecords.Load(), 2},
		{"UpdatePushRecord", cs.updatePushRecord.Load(), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s called %d times; want %d", c.name, c.got, c.want)
		}
	}
}

// TestPipeline_DeviceDeletedWhilePlanned: a device deleted after its page was read,
// before its badge is counted, is not pushed to; the others are.
func TestPipeline_DeviceDeletedWhilePlanned(t *testing.T) {
	var cs *countingStore
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
		cs = &countingStore{Store: p.Store}
		p.Store = cs
	})
	e.MustCreateDevice(t, "owner", push.Xiaomi, 0)
	e.MustCreateDevice(t, "h0", push.Huawei, 0)
	e.MustCreateDevice(t, "h1", push.Huawei, 0)
	e.MustCreateGroup(t, "g1", "owner", []string{"h0", "h1"})
	deleted := make(chan error, 1)
	var once sync.Once
	cs.beforeIncrementBadges = func() {
		once.Do(func() { deleted <- e.st.DeleteDevice(context.Background(), testAppID, "h1", "phone") })
	}
	m := e.MustCreateMessage(t, "owner", "group:g1")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	if err := <-deleted; err != nil {
		t.Fatalf("delete device: %v", err)
	}
	outcomes := map[string]string{}
	waitFor(t, "h0's push accepted", func() bool {
		rs, err := e.st.FindPushRecords(context.Background(), testAppID, m.ID)
		if err != nil {
			return false
		}
		clear(outcomes)
		for _, r := range rs {
			outcomes[r.UserID] = r.Outcome
		}
		return outcomes["h0"] == "accepted"
	})
	if want := map[string]string{"h0": "accepted", "h1": "queued"}; !maps.Equal(outcomes, want) {
		t.Errorf("outcomes %v; want %v", outcomes, want)
	}
	if got := e.senders[push.Huawei].tokenCounts(); len(got) != 1 || got["tok-h0"] != 1 {
		t.Errorf("huawei tokens sent %v; want tok-h0 once", got)
	}
}

func TestPipeline_RedeliveredPlan(t *testing.T) {
	t.Run("SameMsgID", func(t *testing.T) {
		// One plan at a time, so that a later message's records show the queue moved on.
		e := MustOpenEnv(t, func(p *pipeline.Pipeline) { p.PlanWorkers = 1 })
		e.MustCreateDevice(t, "alice", push.Xiaomi, 0)
		tok := e.MustCreateDevice(t, "bob", push.Huawei, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		ctx := context.Background()
		// The same job published twice (im retrying Stored): JetStream drops the second.
		e.p.Stored(ctx, m, nil, im.SentHow{})
		e.p.Stored(ctx, m, nil, im.SentHow{})
		e.waitRecords(t, m.ID, 1)
		// Published again outside the dedupe (another ID): the planner finds the record
		// and sends nothing more.
		if err := e.p.PublishPlan(ctx, testAppID, m.ID, "again"); err != nil {
			t.Fatal(err)
		}
		e.MustCreateDevice(t, "carol", push.Xiaomi, 0) // a later message shows the queue moved on
		m2 := e.MustCreateMessage(t, "alice", "carol")
		e.p.Stored(ctx, m2, nil, im.SentHow{})
		e.waitRecords(t, m2.ID, 1)
		if rs := e.waitRecords(t, m.ID, 1); rs[0].Attempts != 1 {
			t.Errorf("record %+v; want one attempt", rs[0])
		}
		if got := e.senders[push.Huawei].tokenCounts()[tok]; got != 1 {
			t.Errorf("bob's phone was sent %d pushes; want 1", got)
		}
		if d, _ := e.st.FindDevice(ctx, testAppID, "bob", "phone"); d.Badge != 1 {
			t.Errorf("bob's badge %d; want 1", d.Badge)
		}
	})
	t.Run("WhileQueued", func(t *testing.T) {
		e := MustOpenEnv(t, nil)
		hold := make(chan struct{})
		e.senders[push.Huawei].hold = hold
		e.MustCreateDevice(t, "alice", push.Xiaomi, 0)
		var tokens []string
		var members []string
		for i := range 4 {
			u := fmt.Sprintf("m%d", i)
			tokens = append(tokens, e.MustCreateDevice(t, u, push.Huawei, 2))
			members = append(members, u)
		}
		e.MustCreateGroup(t, "g", "alice", members)
		m := e.MustCreateMessage(t, "alice", "group:g")
		ctx := context.Background()
		e.p.Stored(ctx, m, nil, im.SentHow{})
		// Wait until the first plan has queued its send (the vendor call is held), so the
		// replay below is what a crash between the queueing and the ack would cause.
		waitFor(t, "the first send at the vendor", func() bool { return e.senders[push.Huawei].heldCalls() > 0 })
		// The vendor has not answered; the plan runs again (a crash before its ack).
		if err := e.p.Replan(ctx, testAppID, m.ID); err != nil {
			t.Fatal(err)
		}
		close(hold)
		rs := e.waitRecords(t, m.ID, 4)
		for _, r := range rs {
			if r.Outcome != "accepted" || r.Attempts != 1 {
				t.Errorf("record %+v; want accepted at the first attempt", r)
			}
		}
		counts := e.senders[push.Huawei].tokenCounts()
		for _, tok := range tokens {
			if counts[tok] != 1 {
				t.Errorf("token %s sent %d times; want 1", tok, counts[tok])
			}
		}
		for _, c := range e.senders[push.Huawei].sent() {
			if *c.n.Badge != 3 {
				t.Errorf("badge %d; want 3 (2 seeded, one push)", *c.n.Badge)
			}
		}
		for _, u := range members {
			if d, _ := e.st.FindDevice(ctx, testAppID, u, "phone"); d.Badge != 3 {
				t.Errorf("%s's badge %d; want 3: the replay does not count the push again", u, d.Badge)
			}
		}
		// Once sent, planning again sends nothing.
		if err := e.p.Replan(ctx, testAppID, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.p.Replan(ctx, testAppID, m.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(e.senders[push.Huawei].sent()); n != 2 {
			t.Errorf("%d requests; want 2 (3 tokens, then 1)", n)
		}
		if rs, _ := e.st.FindPushRecords(ctx, testAppID, m.ID); len(rs) != 4 {
			t.Errorf("%d records after planning three times; want 4", len(rs))
		}
	})
}

func TestBackoff(t *testing.T) {
	for attempt := 1; attempt <= 20; attempt++ {
		base := min(time.Second<<min(attempt-1, 20), pipeline.DefaultMaxBackoff)
		for range 50 {
			if d := pipeline.Backoff(attempt); d < base/2 || d > base {
				t.Fatalf("Backoff(%d) = %v; want in [%v, %v]", attempt, d, base/2, base)
			}
		}
	}
	if pipeline.Backoff(30) > pipeline.DefaultMaxBackoff {
		t.Errorf("Backoff(30) = %v; want at most %v", pipeline.Backoff(30), pipeline.DefaultMaxBackoff)
	}
}

func TestPipeline_Retries(t *testing.T) {
	t.Run("MaxAttempts", func(t *testing.T) {
		clock := newStepClock(20 * time.Minute) // past the longest backoff
		e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
			p.Now, p.MaxAttempts, p.TTL = clock.Now, 3, 1000*time.Hour
		})
		e.senders[push.Xiaomi].retry = -1
		e.MustCreateDevice(t, "alice", push.Huawei, 0)
		e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(context.Background(), m, nil, im.SentHow{})
		rs := e.waitRecords(t, m.ID, 1)
		if rs[0].Outcome != "retry_later" || rs[0].Attempts != 3 || rs[0].Reason != "gave up after 3 tries; last answer fake: retry" {
			t.Errorf("record %+v; want retry_later after 3 attempts", rs[0])
		}
		if n := len(e.senders[push.Xiaomi].sent()); n != 3 {
			t.Errorf("%d requests; want 3", n)
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		clock := newStepClock(20 * time.Minute)
		e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
			p.Now, p.TTL = clock.Now, 3*time.Hour
		})
		e.senders[push.Xiaomi].retry = -1
		e.MustCreateDevice(t, "alice", push.Huawei, 0)
		e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(context.Background(), m, nil, im.SentHow{})
		rs := e.waitRecords(t, m.ID, 1)
		// Every read of the clock moves it 20 minutes, a try reads it a few times: a
		// 3-hour TTL leaves room for a few tries.
		n := len(e.senders[push.Xiaomi].sent())
		if rs[0].Outcome != "expired" || rs[0].Attempts != n || n < 1 || n > 9 || !strings.Contains(rs[0].Reason, "TTL ran out") {
			t.Errorf("record %+v after %d requests; want expired, stopped by the TTL after a few", rs[0], n)
		}
	})
	t.Run("RetryThenAccepted", func(t *testing.T) {
		clock := newStepClock(20 * time.Minute)
		e := MustOpenEnv(t, func(p *pipeline.Pipeline) { p.Now = clock.Now })
		e.senders[push.Xiaomi].retry = 2
		e.MustCreateDevice(t, "alice", push.Huawei, 0)
		e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(context.Background(), m, nil, im.SentHow{})
		rs := e.waitRecords(t, m.ID, 1)
		if rs[0].Outcome != "accepted" || rs[0].Attempts != 3 {
			t.Errorf("record %+v; want accepted at the third attempt", rs[0])
		}
		// The two failed tries are kept beside the record, which has the final answer.
		e.checkTries(t, rs[0], "retry_later fake: retry", "retry_later fake: retry")
	})
	t.Run("TriesOfGivenUp", func(t *testing.T) {
		clock := newStepClock(20 * time.Minute)
		e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
			p.Now, p.MaxAttempts, p.TTL = clock.Now, 3, 1000*time.Hour
		})
		e.senders[push.Xiaomi].retry = -1
		e.MustCreateDevice(t, "alice", push.Huawei, 0)
		e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(context.Background(), m, nil, im.SentHow{})
		rs := e.waitRecords(t, m.ID, 1)
		if rs[0].Attempts != 3 {
			t.Fatalf("record %+v; want given up after 3 attempts", rs[0])
		}
		// The third try ended the push: its answer is the record's, not a try row.
		e.checkTries(t, rs[0], "retry_later fake: retry", "retry_later fake: retry")
	})
	t.Run("AcceptedFirstTry", func(t *testing.T) {
		e := MustOpenEnv(t, nil)
		e.MustCreateDevice(t, "alice", push.Huawei, 0)
		e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(context.Background(), m, nil, im.SentHow{})
		rs := e.waitRecords(t, m.ID, 1)
		if rs[0].Outcome != "accepted" || rs[0].Attempts != 1 {
			t.Fatalf("record %+v; want accepted at the first attempt", rs[0])
		}
		e.checkTries(t, rs[0])
	})
}

// checkTries checks the earlier tries stored of record r: want is "outcome reason" of
// tries 1, 2… in order, each of r's message, user and device.
func (e *env) checkTries(t *testing.T, r *store.PushRecord, want ...string) {
	t.Helper()
	tries, err := e.st.FindPushAttempts(context.Background(), r.SDKAppID, r.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, a := range tries {
		if a.RecordID != r.ID || a.UserID != r.UserID || a.DeviceID != r.DeviceID || a.Attempt != i+1 || a.Time.IsZero() {
			t.Errorf("try %d = %+v; want attempt %d of record %d (%s/%s)", i, a, i+1, r.ID, r.UserID, r.DeviceID)
		}
		got = append(got, a.Outcome+" "+a.Reason)
	}
	if !slices.Equal(got, want) {
		t.Errorf("tries %q; want %q", got, want)
	}
}

func TestPipeline_ErrCertificateDeleted(t *testing.T) {
	clock := newStepClock(time.Minute) // past the certificate cache's TTL
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) { p.Now = clock.Now })
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	// The first try is throttled; the certificate is deleted before the retry.
	s := e.senders[push.Xiaomi]
	s.retry = 1
	deleted := make(chan error, 1)
	var once sync.Once
	s.onSend = func() {
		once.Do(func() { deleted <- e.st.DeleteCertificate(context.Background(), testAppID, e.certs[push.Xiaomi]) })
	}
	m := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	if err := <-deleted; err != nil {
		t.Fatalf("delete certificate: %v", err)
	}
	rs := e.waitRecords(t, m.ID, 1)
	if rs[0].Outcome != "failed" || rs[0].Reason != "the certificate was deleted" {
		t.Errorf("record %+v; want failed: the certificate was deleted", rs[0])
	}
	if n := len(s.sent()); n != 1 {
		t.Errorf("%d requests; want only the first", n)
	}
}

// answers collects what a pipeline's Answered hook reports.
type answers struct {
	mu sync.Mutex // protects as
	as []pipeline.Answer
}

func (a *answers) add(_ context.Context, as []pipeline.Answer) {
	a.mu.Lock()
	a.as = append(a.as, as...)
	a.mu.Unlock()
}

func (a *answers) get() []pipeline.Answer {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.as)
}

func TestPipeline_Answered(t *testing.T) {
	clock := newStepClock(20 * time.Minute) // past the longest backoff
	var got answers
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) { p.Now, p.Answered = clock.Now, got.add })
	e.senders[push.Xiaomi].retry = 1 // bob's first try is throttled: no answer for it
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	e.MustCreateDevice(t, "carol", push.Huawei, 0)
	e.MustCreateGroup(t, "g1", "alice", []string{"bob", "carol"})
	m := e.MustCreateMessage(t, "alice", "group:g1")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	e.waitRecords(t, m.ID, 2)
	waitFor(t, "2 answers", func() bool { return len(got.get()) >= 2 })

	as := got.get()
	slices.SortFunc(as, func(a, b pipeline.Answer) int { return strings.Compare(a.UserID, b.UserID) })
	for i := range as {
		as[i].Time = time.Time{}
	}
	want := []pipeline.Answer{
		{SDKAppID: testAppID, MessageID: m.ID, From: "alice", GroupID: "g1", UserID: "bob", DeviceID: "phone",
			Vendor: push.Xiaomi, CertificateID: e.certs[push.Xiaomi], Outcome: push.Accepted, Attempts: 2},
		{SDKAppID: testAppID, MessageID: m.ID, From: "alice", GroupID: "g1", UserID: "carol", DeviceID: "phone",
			Vendor: push.Huawei, CertificateID: e.certs[push.Huawei], Outcome: push.Accepted, Attempts: 1},
	}
	if len(as) != len(want) {
		t.Fatalf("answers %+v; want %+v", as, want)
	}
	for i := range want {
		if as[i] != want[i] {
			t.Errorf("answer %d:\n got %+v\nwant %+v", i, as[i], want[i])
		}
	}
}
