package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
)

// fastClock runs speed times faster than real time, from the real now.
type fastClock struct {
	start time.Time
	speed float64
}

func (c fastClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.speed))
}

// outageSender answers every token with answer while the clock is before until, then
// accepts; it counts its requests in each phase.
type outageSender struct {
	*fakeSender
	now    func() time.Time
	until  time.Time
	answer push.Outcome

	mu         sync.Mutex
	duringDown int
}

func (s *outageSender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	if s.now().Before(s.until) {
		s.mu.Lock()
		s.duringDown++
		s.mu.Unlock()
		return push.Results(tokens, s.answer, 0, "simulated outage")
	}
	return s.fakeSender.Send(ctx, c, n, tokens)
}

func (s *outageSender) requestsWhileDown() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duringDown
}

// A 30-minute vendor outage (on a clock 1,000 times faster than real time) loses no
// push: each is tried until the vendor answers, well within its TTL; the certificate is
// parked meanwhile, so the vendor sees probes, not every queued push at every backoff.
// With a retry budget of 8 tries from 1 s (the old pipeline), every push was lost
// after ~3.5 minutes.
func TestPipeline_LongOutage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer push.Outcome
	}{
		{"VendorDown", push.RetryLater},
		{"AuthRefused", push.AuthExpired}, // Xiaomi 21301, Meizu 1006 after the refresh
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := fastClock{start: time.Now(), speed: 1000}
			var down *outageSender
			e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
				p.Now, p.Speed = clock.Now, clock.speed
				down = &outageSender{fakeSender: &fakeSender{vendor: push.Xiaomi, maxBatch: 1}, now: clock.Now,
					until: clock.Now().Add(30 * time.Minute), answer: tc.answer}
				p.Senders[push.Xiaomi] = down
			})
			const users = 20
			var members []string
			for i := range users {
				u := fmt.Sprintf("u%02d", i)
				e.MustCreateDevice(t, u, push.Xiaomi, 0)
				members = append(members, u)
			}
			e.MustCreateDevice(t, "alice", push.Huawei, 0)
			e.MustCreateGroup(t, "g", "alice", members)
			m := e.MustCreateMessage(t, "alice", "group:g")
			e.p.Stored(context.Background(), m, nil, im.SentHow{})

			rs := e.waitRecordsWithin(t, m.ID, users, 20*time.Second)
			for _, r := range rs {
				if r.Outcome != "accepted" {
					t.Errorf("%s: outcome %s (%s) after %d tries; want accepted once the vendor is back", r.UserID, r.Outcome, r.Reason, r.Attempts)
				}
			}
			counts := down.tokenCounts()
			for _, u := range members {
				if counts["tok-"+u] != 1 {
					t.Errorf("%s got %d notifications; want 1", u, counts["tok-"+u])
				}
			}
			// Unparked, each push backs off at most 5 minutes: over 30 minutes that is
			// at least 6 requests a push, 120 in all; parked, the vendor sees far fewer.
			if n := down.requestsWhileDown(); n > 60 {
				t.Errorf("%d requests reached the vendor during the outage; want the parked certificate's probes (< 60)", n)
			}
			t.Logf("%d requests during the 30-minute outage for %d pushes", down.requestsWhileDown(), users)
		})
	}
}

// A push whose TTL runs out during an outage is given up as expired, with the reason.
func TestPipeline_OutageLongerThanTTL(t *testing.T) {
	clock := fastClock{start: time.Now(), speed: 1000}
	var down *outageSender
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
		p.Now, p.Speed, p.TTL = clock.Now, clock.speed, 10*time.Minute
		down = &outageSender{fakeSender: &fakeSender{vendor: push.Xiaomi, maxBatch: 1}, now: clock.Now,
			until: clock.Now().Add(time.Hour), answer: push.RetryLater}
		p.Senders[push.Xiaomi] = down
	})
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	m := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	// The pipeline's clock runs 1000 times faster, but JetStream's redeliveries and
	// the store's claims keep real time: a loaded CI machine may need one ack wait.
	rs := e.waitRecordsWithin(t, m.ID, 1, 60*time.Second)
	if r := rs[0]; r.Outcome != "expired" || r.Attempts < 2 {
		t.Errorf("record %+v; want expired after a few tries", r)
	}
}

// A message whose plan job never reached JetStream (a crash or a NATS outage between
// the commit and the publish) is planned by the sweep.
func TestPipeline_SweepPlansLostMessages(t *testing.T) {
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) { p.SweepAfter = 0 })
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	m := e.MustCreateMessage(t, "alice", "bob") // stored; Stored is never called
	if _, err := e.p.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := e.waitRecords(t, m.ID, 1)
	if rs[0].Outcome != "accepted" {
		t.Errorf("record %+v; want accepted", rs[0])
	}
	// Once planned, it is not pending any more: a later sweep queues nothing.
	waitFor(t, "the message marked planned", func() bool {
		keys, err := e.st.FindPushPending(context.Background(), time.Now(), 10)
		return err == nil && len(keys) == 0
	})
	if n := e.senders[push.Xiaomi].tokenCounts()["tok-bob"]; n != 1 {
		t.Errorf("bob got %d notifications; want 1", n)
	}
}

// An admin send that overrides do-not-disturb overrides it when the sweep plans it too
// (the sweep planned every message as a user's send before, so a muted recipient got
// nothing).
func TestPipeline_SweepKeepsAdminOverride(t *testing.T) {
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) { p.SweepAfter = 0 })
	ctx := context.Background()
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	if err := e.st.SetC2CRecvOpt(ctx, testAppID, "bob", []string{"alice"}, store.ReceiveNoNotify); err != nil {
		t.Fatal(err)
	}
	admin := e.mustCreateMessageWith(t, "alice", "bob", func(m *store.Message) { m.PushIgnoreDND = true })
	user := e.MustCreateMessage(t, "alice", "bob")
	if _, err := e.p.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if rs := e.waitRecords(t, admin.ID, 1); rs[0].Outcome != "accepted" {
		t.Errorf("the admin send's record %s; want accepted despite bob's mute", recordsString(rs))
	}
	if rs := e.waitRecords(t, user.ID, 1); rs[0].Decision == "push" {
		t.Errorf("the user send's record %s; want no push (bob muted alice)", recordsString(rs))
	}
}

// A send job published twice (a replayed plan whose first job is still queued, past
// JetStream's duplicate window) sends once: the second copy finds its records claimed.
func TestPipeline_SendJobTwice(t *testing.T) {
	e := MustOpenEnv(t, nil)
	s, m := e.mustHeldSend(t)
	waitFor(t, "the first send at the vendor", func() bool { return s.heldCalls() == 1 })
	// The plan again, under another publish ID: its record is being sent, so it queues
	// nothing; then the record's job again.
	if err := e.p.PublishPlan(context.Background(), testAppID, m.ID, "replay"); err != nil {
		t.Fatal(err)
	}
	if err := e.p.RepublishSends(context.Background(), testAppID, m.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	close(s.hold)
	rs := e.waitRecords(t, m.ID, 1)
	time.Sleep(300 * time.Millisecond)
	if rs[0].Outcome != "accepted" || rs[0].DuplicatePossible {
		t.Errorf("record %+v; want accepted, no duplicate", rs[0])
	}
	if n := s.tokenCounts()["tok-bob"]; n != 1 {
		t.Errorf("bob got %d notifications; want 1", n)
	}
}

// waitRecordsWithin waits up to d until the message has want final push records.
func (e *env) waitRecordsWithin(tb testing.TB, messageID string, want int, d time.Duration) []*store.PushRecord {
	tb.Helper()
	var rs []*store.PushRecord
	deadline := time.Now().Add(d)
	for {
		var err error
		rs, err = e.st.FindPushRecords(context.Background(), testAppID, messageID)
		final := 0
		for _, r := range rs {
			if r.Decision == "push" && r.Outcome != "queued" && r.Outcome != store.OutcomeSending {
				final++
			}
		}
		if err == nil && final == want {
			return rs
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %d final records of %s; have %s", want, messageID, recordsString(rs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func recordsString(rs []*store.PushRecord) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("\n  %s/%s %s %s %s attempts=%d", r.UserID, r.DeviceID, r.Decision, r.Outcome, r.Reason, r.Attempts)
	}
	return s
}

// Close lets the sends in flight finish and records their answers: a graceful stop
// repeats nothing.
func TestPipeline_CloseFinishesInFlight(t *testing.T) {
	e := MustOpenEnv(t, nil)
	s, m := e.mustHeldSend(t)
	waitFor(t, "the send at the vendor", func() bool { return s.heldCalls() == 1 })
	closed := make(chan struct{})
	go func() {
		e.p.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned with a send in flight")
	case <-time.After(200 * time.Millisecond):
	}
	close(s.hold)
	<-closed
	rs, err := e.st.FindPushRecords(context.Background(), testAppID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Outcome != "accepted" || rs[0].DuplicatePossible {
		t.Errorf("records %s; want bob's accepted", recordsString(rs))
	}
}

// A node that dies with a send in flight (its job neither answered nor acknowledged)
// has the job redelivered to a live node within seconds; the push is sent again and
// marked duplicate_possible, since the vendor may have had it.
func TestPipeline_CrashedNodeJobRedelivered(t *testing.T) {
	e := MustOpenEnv(t, nil)
	s, m := e.mustHeldSend(t)
	waitFor(t, "the send at the vendor", func() bool { return s.heldCalls() == 1 })
	start := time.Now()
	e.p.Crash() // the node dies: its send never answers, its job is never acknowledged
	s.mu.Lock()
	s.hold = nil
	s.mu.Unlock()
	survivor := e.OpenPipeline(t) // another node on the same store and NATS
	_ = survivor
	rs := e.waitRecordsWithin(t, m.ID, 1, 30*time.Second)
	if rs[0].Outcome != "accepted" || !rs[0].DuplicatePossible {
		t.Errorf("record %s; want accepted, duplicate_possible", recordsString(rs))
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the job came back after %v; want within seconds", d)
	}
}

// A crash in the middle of a per-token sender's job (FCM and APNs make a request per
// token) repeats only the requests that were in flight: not the tokens already answered,
// nor those not sent yet.
func TestPipeline_CrashMidJobRepeatsOnlyInFlight(t *testing.T) {
	e := MustOpenEnv(t, nil)
	s := e.senders[push.Xiaomi]
	s.mu.Lock()
	s.maxBatch, s.inFlight = 12, 3 // one job of 12 tokens, 3 requests at the vendor at once
	s.hold, s.holdFrom = make(chan struct{}), 2
	s.mu.Unlock()
	e.MustCreateDevice(t, "owner", push.Huawei, 0)
	var members []string
	for i := range 12 {
		u := fmt.Sprintf("x%02d", i)
		e.MustCreateDevice(t, u, push.Xiaomi, 0)
		members = append(members, u)
	}
	e.MustCreateGroup(t, "g", "owner", members)
	m := e.MustCreateMessage(t, "owner", "group:g")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	// Six tokens answered; three more at the vendor when the node dies.
	waitFor(t, "the third request at the vendor", func() bool { return s.heldCalls() == 1 })
	e.p.Crash()
	s.mu.Lock()
	s.hold = nil
	s.mu.Unlock()
	e.OpenPipeline(t) // another node
	rs := e.waitRecordsWithin(t, m.ID, 12, 30*time.Second)
	dups := 0
	for _, r := range rs {
		if r.Outcome != "accepted" {
			t.Errorf("record %s; want every push accepted", recordsString(rs))
			break
		}
		if r.DuplicatePossible {
			dups++
		}
	}
	if dups != 3 {
		t.Errorf("%d pushes marked duplicate_possible; want 3 (the requests in flight)", dups)
	}
	// The survivor sends the three cut off and the three never sent; the six answered
	// before the crash are not sent again.
	for tok, n := range s.tokenCounts() {
		if n != 1 {
			t.Errorf("token %s reached the vendor %d times after answers were recorded; want once", tok, n)
		}
	}
	if n := len(s.tokenCounts()); n != 12 {
		t.Errorf("%d tokens answered by the vendor; want 12", n)
	}
}

// Huawei shows a badge only with a badge class: without one, devices whose badges
// differ share requests (the old planner made a request per badge value).
func TestPipeline_BatchingIgnoresBadgeNotShown(t *testing.T) {
	e := MustOpenEnv(t, nil)
	ctx := context.Background()
	sc, err := e.st.FindCertificateByID(ctx, testAppID, e.certs[push.Huawei])
	if err != nil {
		t.Fatal(err)
	}
	c, err := push.FromStored(sc)
	if err != nil {
		t.Fatal(err)
	}
	c.BadgeClass = ""
	nc, err := c.ToStored()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.UpdateCertificate(ctx, testAppID, sc.ID, store.CertificateUpdate{Config: nc.Config}); err != nil {
		t.Fatal(err)
	}
	e.MustCreateDevice(t, "owner", push.Xiaomi, 0)
	var members []string
	for i := range 6 {
		u := fmt.Sprintf("h%d", i)
		e.MustCreateDevice(t, u, push.Huawei, i) // six different badges
		members = append(members, u)
	}
	e.MustCreateGroup(t, "g", "owner", members)
	m := e.MustCreateMessage(t, "owner", "group:g")
	e.p.Stored(ctx, m, nil, im.SentHow{})
	e.waitRecords(t, m.ID, 6)
	calls := e.senders[push.Huawei].sent()
	if len(calls) != 2 {
		t.Fatalf("%d Huawei requests; want 2 of 3 tokens (batch limit 3)", len(calls))
	}
	for _, c := range calls {
		if len(c.tokens) != 3 {
			t.Errorf("a request of %d tokens; want 3", len(c.tokens))
		}
	}
	// The badge counters still count, for when the app gets a badge class.
	if d, _ := e.st.FindDevice(ctx, testAppID, "h5", "phone"); d.Badge != 6 {
		t.Errorf("h5's badge %d; want 6", d.Badge)
	}
}

// mustHeldSend stores a message from alice to bob (a Xiaomi phone) whose vendor request
// is held until the test closes the sender's hold, and queues its push.
func (e *env) mustHeldSend(t *testing.T) (*fakeSender, *store.Message) {
	t.Helper()
	s := e.senders[push.Xiaomi]
	s.mu.Lock()
	s.hold = make(chan struct{})
	s.mu.Unlock()
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	m := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	return s, m
}

// A device online on a node that died is pushed as if offline; one online on a live
// node is not (it gets the message over its connection).
func TestPipeline_OnlineOnDeadNodePushed(t *testing.T) {
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
		p.SessionAlive = func(s string) bool { return !strings.HasPrefix(s, "dead~") }
	})
	ctx := context.Background()
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	for u, session := range map[string]string{"bob": "dead~1/7", "carol": "live~1/8"} {
		e.MustCreateDevice(t, u, push.Xiaomi, 0)
		online := store.Online
		if err := e.st.UpdateDevice(ctx, testAppID, u, "phone", store.DeviceUpdate{State: &online, NodeID: &session}); err != nil {
			t.Fatal(err)
		}
	}
	toBob, toCarol := e.MustCreateMessage(t, "alice", "bob"), e.MustCreateMessage(t, "alice", "carol")
	e.p.Stored(ctx, toBob, nil, im.SentHow{})
	e.p.Stored(ctx, toCarol, nil, im.SentHow{})
	if rs := e.waitRecords(t, toBob.ID, 1); rs[0].Outcome != "accepted" {
		t.Errorf("bob's record %s; want pushed (his node is dead)", recordsString(rs))
	}
	if rs := e.waitRecords(t, toCarol.ID, 1); rs[0].Decision != "foreground" {
		t.Errorf("carol's record %s; want foreground", recordsString(rs))
	}
}

// A one-to-one push is sent by its planner, without a send job; a push in a plan too
// large for that goes through send jobs.
func TestPipeline_SmallPlanSentDirectly(t *testing.T) {
	e := MustOpenEnv(t, nil)
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	before := pipeline.DirectSent()
	m := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(context.Background(), m, nil, im.SentHow{})
	rs := e.waitRecords(t, m.ID, 1)
	if rs[0].Outcome != "accepted" || rs[0].DuplicatePossible {
		t.Fatalf("record %s; want accepted once", recordsString(rs))
	}
	if got := pipeline.DirectSent() - before; got != 1 {
		t.Fatalf("%v pushes sent directly; want the one-to-one push", got)
	}

	var members []string
	for i := range 20 { // more than a direct plan holds
		u := fmt.Sprintf("m%02d", i)
		e.MustCreateDevice(t, u, push.Xiaomi, 0)
		members = append(members, u)
	}
	e.MustCreateGroup(t, "big", "alice", members)
	before = pipeline.DirectSent()
	g := e.MustCreateMessage(t, "alice", "group:big")
	e.p.Stored(context.Background(), g, nil, im.SentHow{})
	for _, r := range e.waitRecords(t, g.ID, 20) {
		if r.Outcome != "accepted" {
			t.Fatalf("record %+v; want accepted", r)
		}
	}
	if got := pipeline.DirectSent() - before; got != 0 {
		t.Fatalf("%v pushes of a 20-member group sent directly; want none", got)
	}
}

// A one-to-one push sent directly is created claimed: its records cost no claim write.
// One that cannot be sent at once (its certificate at its rate) goes through a send
// job, put back to queued first, and is sent once, not as a duplicate.
func TestPipeline_DirectSendCreatedClaimed(t *testing.T) {
	var cs *countingStore
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
		cs = &countingStore{Store: p.Store}
		p.Store = cs
		p.Rate = 1 // a second push within a second waits for the limiter
	})
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	before := pipeline.DirectSent()
	first := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(context.Background(), first, nil, im.SentHow{})
	if rs := e.waitRecords(t, first.ID, 1); rs[0].Outcome != "accepted" || rs[0].Attempts != 1 || rs[0].DuplicatePossible {
		t.Fatalf("record %s; want accepted at the first try", recordsString(rs))
	}
	if n := cs.claimPushRecords.Load(); n != 0 {
		t.Errorf("%d ClaimPushRecords calls for a one-to-one push sent directly; want 0", n)
	}

	second := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(context.Background(), second, nil, im.SentHow{})
	rs := e.waitRecords(t, second.ID, 1)
	if rs[0].Outcome != "accepted" || rs[0].Attempts != 1 || rs[0].DuplicatePossible {
		t.Fatalf("record %s; want accepted at the first try, not a possible duplicate", recordsString(rs))
	}
	if got := pipeline.DirectSent() - before; got != 1 {
		t.Errorf("%v pushes sent directly; want the first only (the second waited for the rate)", got)
	}
	if n := cs.claimPushRecords.Load(); n != 1 {
		t.Errorf("%d ClaimPushRecords calls; want 1, the send job's", n)
	}
	if n := len(e.senders[push.Xiaomi].sent()); n != 2 {
		t.Errorf("%d vendor requests; want 2", n)
	}
}

// logBuffer collects log output for a test to read while the pipeline writes.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A plan job JetStream refuses (here the work queue is gone) is logged, and the
// message stays push-pending: once another node has recreated the queue, the sweep
// plans it, once.
func TestPipeline_StoredRefusedLeftToSweep(t *testing.T) {
	logs := &logBuffer{}
	e := MustOpenEnv(t, func(p *pipeline.Pipeline) {
		p.SweepAfter = 0
		p.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	ctx := context.Background()
	e.MustCreateDevice(t, "alice", push.Huawei, 0)
	e.MustCreateDevice(t, "bob", push.Xiaomi, 0)
	if err := e.bus.JetStream().DeleteStream(ctx, pipeline.StreamName); err != nil {
		t.Fatal(err)
	}
	m := e.MustCreateMessage(t, "alice", "bob")
	e.p.Stored(ctx, m, nil, im.SentHow{})
	waitFor(t, "the refused plan job logged", func() bool {
		s := logs.String()
		return strings.Contains(s, "queue push planning") && strings.Contains(s, m.ID)
	})
	e.OpenPipeline(t) // another node: it recreates the work queue
	if _, err := e.p.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if rs := e.waitRecords(t, m.ID, 1); rs[0].Outcome != "accepted" {
		t.Errorf("record %s; want accepted", recordsString(rs))
	}
	if n := e.senders[push.Xiaomi].tokenCounts()["tok-bob"]; n != 1 {
		t.Errorf("bob got %d notifications; want 1", n)
	}
}
