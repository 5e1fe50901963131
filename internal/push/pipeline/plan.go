package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// maxPlanTries bounds how often a plan job is tried: a store outage of a few minutes
// is waited out, a message that cannot be planned is not retried forever.
const maxPlanTries = 300

// handlePlan plans one message; on failure the job is redelivered.
func (p *Pipeline) handlePlan(msg jetstream.Msg) {
	var job planJob
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		p.Logger.Error("drop malformed plan job", "err", err)
		msg.Term()
		return
	}
	if job.TaskID != "" {
		p.handleTask(msg, job)
		return
	}
	if job.Recall {
		p.handleRecall(msg, job)
		return
	}
	// A plan may take minutes (a 100,000-member group on a busy node); one that stops
	// moving is cut off and tried again.
	ctx, progress, cancel := stallContext(p.ctx, planStall)
	defer cancel()
	direct, err := p.plan(ctx, job, true, progress)
	if err != nil {
		if md, merr := msg.Metadata(); merr == nil && md.NumDelivered >= maxPlanTries {
			p.Logger.Error("give up planning push", "app", job.SDKAppID, "message", job.MessageID, "tries", md.NumDelivered, "err", err)
			msg.Term()
			return
		}
		if cause := context.Cause(ctx); errors.Is(cause, errPlanStalled) {
			err = fmt.Errorf("%w: %w", err, cause)
		}
		p.Logger.Warn("plan push", "app", job.SDKAppID, "message", job.MessageID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	progress() // the direct sends get the stall timeout afresh, above their own
	if len(direct) > 0 && !p.sendDirect(ctx, msg, direct) {
		return // handed back to JetStream: its replay sends what is left
	}
	p.marker.add(store.MessageKey{SDKAppID: job.SDKAppID, ID: job.MessageID})
	p.ack(msg)
}

// Direct sending. A small plan (a one-to-one message, a small group) is sent by its
// planner right after its records are written, instead of through send jobs: a
// JetStream publish, fetch and acknowledgement less per push, and no wait for a send
// worker, which is most of a one-to-one push's latency. The plan job stays in hand
// (reported in progress) until the answers are recorded, so a crash mid-send brings
// the plan back, and its replay sends again the pushes that were being sent, marked
// duplicate_possible, as a redelivered send job would. A push whose certificate is
// parked, paused or at its rate limit goes through a send job, as a large plan's do.
//
// A one-to-one plan's records are created claimed ("sending", attempt 1) when the plan
// will surely be sent directly: its planner sends them next, and the claim's write is
// saved. Should they go through a send job after all, they are put back to "queued"
// before it is published (unclaim).
const (
	// directMaxJobs and directMaxTargets bound a plan sent directly: one vendor
	// request's worth per certificate, a few certificates.
	directMaxJobs    = 4
	directMaxTargets = 16
)

// sendDirect sends the jobs of a small plan (see above), each at once or, when its
// certificate cannot take it now, through the send queue. It reports false when msg
// has been handed back to JetStream or the node died.
func (p *Pipeline) sendDirect(ctx context.Context, msg jetstream.Msg, jobs []*sendJob) bool {
	ok := make([]bool, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { ok[i] = p.sendNow(ctx, msg, j) })
	}
	wg.Wait()
	return !slices.Contains(ok, false)
}

// sendNow makes j's vendor request and records the answers, or queues j when its
// certificate is parked, paused or at its rate limit.
func (p *Pipeline) sendNow(ctx context.Context, msg jetstream.Msg, j *sendJob) bool {
	cert, err := p.certs.get(ctx, j.SDKAppID, j.CertificateID)
	var sender push.Sender
	if err == nil {
		sender = p.Senders[cert.Vendor]
	}
	if sender == nil || len(j.Targets) > sender.MaxBatch() || p.certs.parkedFor(cert.ID) != "" ||
		p.certs.pausedUntil(cert.ID).After(p.Now()) || !p.certs.limiter(cert).Allow() {
		err := p.unclaim(ctx, j)
		if err == nil {
			err = p.publishSend(ctx, j)
		}
		if err != nil {
			p.Logger.Warn("queue push", "message", j.MessageID, "err", err)
			msg.NakWithDelay(time.Second)
			return false
		}
		return true
	}
	directTotal.Add(float64(len(j.Targets)))
	_, ok := p.sendPart(ctx, msg, j, cert, sender)
	return ok
}

// planner holds what planning one message needs.
type planner struct {
	p      *Pipeline
	job    planJob
	m      *store.Message
	elems  []protocol.Element
	info   *protocol.OfflinePushInfo
	facts  push.MessageFacts
	sender string // the sender's display name
	// senderUnread: sender is the sender's ID until queue reads the account's nickname.
	senderUnread bool
	group        string                       // the group's name
	replayed     map[string]*store.PushRecord // records of an earlier try, by user/device
	// broadcast: the planner plans a push task (job.TaskID), whose pushes leave badges
	// alone; queued counts the pushes it queued since the count was last taken.
	broadcast bool
	queued    int
	// deadline is when the message's pushes expire: no try after it.
	deadline time.Time

	// The send jobs being filled, by certificate and notification, in the order they
	// were opened; they are published when full, when more than maxPending targets wait
	// in them, and at the end of the plan, so that a group's pages share requests.
	batches  map[batchKey]*sendJob
	order    []batchKey
	pending  int
	composed map[composeKey]composed // notifications composed so far

	// progress, if set, is called as each page of members is planned (stallContext).
	progress func()
	// direct: a plan small enough is not queued but returned in directJobs, for its
	// planner to send (sendDirect); published says a job was queued already.
	direct     bool
	published  bool
	directJobs []*sendJob
}

// batchKey tells apart the send jobs of one message: devices of one certificate whose
// notifications are the same share a job.
type batchKey struct {
	cert  int64
	notif string
}

// maxPending bounds the targets held in unpublished send jobs while a group is planned,
// so that many different notifications (badges) in a large group do not hold it all in
// memory. It is well above a full batch of every certificate, so that the flush it
// triggers does not cut requests short (a target is about 100 bytes).
const maxPending = 100 * memberPage

// plan plans a message: it records each device's decision and queues its pushes,
// calling progress (if set) as each page of members is planned. When direct is set, a
// small plan's send jobs are returned for its planner to send (sendDirect) instead of
// being queued.
func (p *Pipeline) plan(ctx context.Context, job planJob, direct bool, progress func()) ([]*sendJob, error) {
	pl := &planner{p: p, job: job, direct: direct, progress: progress}
	if err := pl.plan(ctx); err != nil {
		return nil, err
	}
	return pl.directJobs, nil
}

// planStall is how long a plan may go without planning a page before it is cut off.
const planStall = 2 * sendTimeout

// errPlanStalled is the cause of a plan cut off by its stall context.
var errPlanStalled = errors.New("no page planned for " + planStall.String())

// stallContext returns a context canceled (cause errPlanStalled) when d passes
// without a call to progress, and the func that ends it early.
func stallContext(parent context.Context, d time.Duration) (ctx context.Context, progress func(), cancel func()) {
	ctx, cancelCause := context.WithCancelCause(parent)
	t := time.AfterFunc(d, func() { cancelCause(errPlanStalled) })
	return ctx, func() { t.Reset(d) }, func() {
		t.Stop()
		cancelCause(context.Canceled)
	}
}

func (pl *planner) plan(ctx context.Context) error {
	p, job := pl.p, pl.job
	m, err := p.Store.FindMessageByID(ctx, job.SDKAppID, job.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted by retention before it was planned
	}
	if err != nil {
		return fmt.Errorf("find message: %w", err)
	}
	pl.m = m
	if err := json.Unmarshal(m.Elements, &pl.elems); err != nil {
		return fmt.Errorf("decode elements: %w", err)
	}
	if len(m.PushInfo) > 0 {
		pl.info = new(protocol.OfflinePushInfo)
		if err := json.Unmarshal(m.PushInfo, pl.info); err != nil {
			return fmt.Errorf("decode push info: %w", err)
		}
	}
	pl.deadline = p.deadline(m.Time, pl.info)
	pl.facts = push.MessageFacts{
		From:         m.From,
		PushDisabled: pl.info != nil && pl.info.DisablePush,
		CustomNoDesc: push.CustomWithoutDesc(pl.elems, pl.info),
		IgnoreDND:    job.IgnoreDND,
	}
	if pl.facts.PushDisabled {
		return nil // nothing to consider: the trace says so at the message
	}
	if !p.Now().Before(pl.deadline) {
		// Its pushes expired before it was planned (a plan swept up after a long NATS
		// outage, or imported history): a stale notification helps no one.
		p.Logger.Info("push not planned: the message is older than its push TTL", "app", m.SDKAppID, "message", m.ID)
		return nil
	}
	// The sender's name is read when a notification is first composed: a message
	// whose recipients are all online composes none.
	pl.sender, pl.senderUnread = m.From, true
	// A redelivered job finds the records of its first try: those devices are planned
	// already, and only their queued pushes that were never tried are queued again. A
	// push tried at least once has its retry job in the queue already, which survives
	// a restart; queuing it again would send it twice.
	prev, err := p.Store.FindPushRecords(ctx, m.SDKAppID, m.ID)
	if err != nil {
		return fmt.Errorf("find records: %w", err)
	}
	pl.replayed = map[string]*store.PushRecord{}
	for _, r := range prev {
		if r.Kind != store.KindMessage {
			continue // a recall's replacement (recall.go)
		}
		pl.replayed[r.UserID+"/"+r.DeviceID] = r
	}

	if m.Type == store.TypeC2C {
		opts, err := p.Store.FindRecvOptsOfPeer(ctx, m.SDKAppID, []string{m.To}, m.From)
		if err != nil {
			return fmt.Errorf("find receive options: %w", err)
		}
		if err := pl.planUsers(ctx, map[string]store.RecvOpt{m.To: opts[m.To]}); err != nil {
			return err
		}
		return pl.flush(ctx)
	}
	g, err := p.Store.FindGroup(ctx, m.SDKAppID, m.GroupID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find group: %w", err)
	}
	pl.group = g.Name
	return pl.planMembers(ctx)
}

// planPagesAhead is how many pages of a group's members are prepared at once (read,
// decided, recorded, badges counted): their store round trips overlap, and their
// writes share the store's transactions, instead of each page waiting for the last.
// The pages are then queued one by one in member order.
const planPagesAhead = 4

// planMembers plans the group's members, page by page.
func (pl *planner) planMembers(ctx context.Context) error {
	p, m := pl.p, pl.m
	type inFlight struct {
		done chan struct{}
		page *preparedPage
		err  error
	}
	var ahead []*inFlight
	// next queues the oldest page in flight once it is prepared.
	next := func() error {
		f := ahead[0]
		ahead = ahead[1:]
		<-f.done
		if f.err != nil {
			return f.err
		}
		return pl.queue(ctx, f.page)
	}
	// A failed plan still waits for its pages in flight: they use the planner.
	defer func() {
		for _, f := range ahead {
			<-f.done
		}
	}()
	for after := ""; ; {
		page, err := p.Store.FindGroupMembers(ctx, m.SDKAppID, m.GroupID, after, memberPage)
		if err != nil {
			return fmt.Errorf("find members: %w", err)
		}
		users := make(map[string]store.RecvOpt, len(page))
		for _, mem := range page {
			if mem.UserID != m.From {
				users[mem.UserID] = mem.RecvOpt
			}
		}
		f := &inFlight{done: make(chan struct{})}
		go func() {
			defer close(f.done)
			f.page, f.err = pl.prepare(ctx, users)
		}()
		ahead = append(ahead, f)
		if len(ahead) >= planPagesAhead {
			if err := next(); err != nil {
				return err
			}
		}
		if len(page) < memberPage {
			break
		}
		after = page[len(page)-1].UserID
	}
	for len(ahead) > 0 {
		if err := next(); err != nil {
			return err
		}
	}
	return pl.flush(ctx)
}

// deadline is when the pushes of a message sent at sent expire: its push info's TTL,
// else the pipeline's.
func (p *Pipeline) deadline(sent time.Time, info *protocol.OfflinePushInfo) time.Time {
	if info != nil && info.TTL > 0 {
		return sent.Add(min(time.Duration(info.TTL)*time.Second, MaxTTL))
	}
	return sent.Add(p.TTL)
}

// target is one device to push to.
type target struct {
	record *store.PushRecord
	device *store.Device
	cert   *push.Certificate
	replay bool // the record is an earlier try's, still queued
}

// planUsers decides for every device of users (with their receive options), records
// the decisions and queues the pushes.
func (pl *planner) planUsers(ctx context.Context, users map[string]store.RecvOpt) error {
	page, err := pl.prepare(ctx, users)
	if err != nil {
		return err
	}
	return pl.queue(ctx, page)
}

// preparedPage is a page of devices decided and recorded, waiting to be queued.
type preparedPage struct {
	targets []*target
	badges  map[store.DeviceKey]int // the badges counted for its pushes
	queued  int                     // its new pushes (not replays)
	// claimed: its records were created claimed for a direct send (preclaim).
	claimed bool
}

// prepare does a page's store work: it decides for every device of users, records
// the decisions and counts the badges of the pushes. It leaves the planner as it is,
// so that pages can be prepared at the same time (planMembers).
func (pl *planner) prepare(ctx context.Context, users map[string]store.RecvOpt) (*preparedPage, error) {
	page := &preparedPage{}
	if len(users) == 0 {
		return page, nil
	}
	if pl.progress != nil {
		pl.progress()
	}
	p, m := pl.p, pl.m
	ids := make([]string, 0, len(users))
	for u := range users {
		ids = append(ids, u)
	}
	slices.Sort(ids)
	devices, err := p.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: m.SDKAppID, UserIDs: ids})
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	accounts, err := p.Store.FindAccounts(ctx, m.SDKAppID, ids)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	dnd := map[string]bool{}
	now := p.Now()
	for _, a := range accounts {
		dnd[a.UserID] = im.InDND(a, now)
	}

	var fresh []*store.PushRecord
	var targets []*target
	for _, d := range devices {
		if d.State == store.Online && p.SessionAlive != nil && !p.SessionAlive(d.NodeID) {
			// Online on a node that died without a word: nothing delivers to it.
			off := *d
			off.State, off.Background = store.Offline, false
			d = &off
		}
		if prev, ok := pl.replayed[d.UserID+"/"+d.DeviceID]; ok {
			// Queued and never tried, or being sent by a first try: sent directly by a
			// planner that died (sendDirect), or by a send job, whose claim keeps this
			// copy from sending it twice while that job lives (claim).
			if prev.Attempts == 0 && prev.Outcome == "queued" || prev.Attempts == 1 && prev.Outcome == "sending" {
				if t := pl.target(prev, d); t != nil {
					targets = append(targets, t)
				}
			}
			continue
		}
		dec := push.Decide(pl.facts, push.TargetFacts{
			UserID: d.UserID, Device: d, RecvOpt: users[d.UserID], InDND: dnd[d.UserID],
			Mentioned: m.AtAll || slices.Contains(m.AtUserIDs, d.UserID),
		})
		decisionsTotal.WithLabelValues(dec.String()).Inc()
		r := &store.PushRecord{SDKAppID: m.SDKAppID, MessageID: m.ID, UserID: d.UserID, DeviceID: d.DeviceID, Decision: dec.String()}
		if dec == push.Push {
			cert, err := p.certs.get(ctx, m.SDKAppID, d.CertificateID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				r.Decision = "no_certificate"
			case err != nil:
				return nil, err
			default:
				r.Vendor, r.CertificateID, r.Outcome = string(cert.Vendor), cert.ID, "queued"
			}
		}
		fresh = append(fresh, r)
		if r.Outcome == "queued" {
			targets = append(targets, &target{record: r, device: d})
			page.queued++
		}
	}
	if pl.preclaim(targets) {
		for _, t := range targets {
			t.record.Outcome, t.record.Attempts = store.OutcomeSending, 1
		}
		page.claimed = true
	}
	if len(fresh) > 0 {
		if err := p.Store.CreatePushRecords(ctx, fresh); err != nil {
			return nil, fmt.Errorf("create records: %w", err)
		}
	}
	for _, t := range targets {
		if t.cert == nil {
			c, err := p.certs.get(ctx, m.SDKAppID, t.record.CertificateID)
			if err != nil {
				return nil, fmt.Errorf("certificate %d: %w", t.record.CertificateID, err)
			}
			t.cert = c
		}
	}
	page.targets = targets
	if page.badges, err = pl.countBadges(ctx, targets); err != nil {
		return nil, err
	}
	return page, nil
}

// preclaim reports whether targets, a one-to-one plan's new pushes, are created
// claimed: the plan is sent directly (within directMaxTargets on directMaxJobs
// certificates) and no earlier try left records to reclaim.
func (pl *planner) preclaim(targets []*target) bool {
	if !pl.direct || pl.m.Type != store.TypeC2C || len(pl.replayed) > 0 || len(targets) == 0 || len(targets) > directMaxTargets {
		return false
	}
	certs := map[int64]bool{}
	for _, t := range targets {
		certs[t.record.CertificateID] = true
	}
	return len(certs) <= directMaxJobs
}

// target rebuilds the push of a record queued by an earlier try.
func (pl *planner) target(r *store.PushRecord, d *store.Device) *target {
	if d.PushToken == "" || d.CertificateID != r.CertificateID {
		return nil // unbound since: nothing to send
	}
	return &target{record: r, device: d, replay: true}
}

// countBadges counts one more on the badge of each target whose push shows one, in one
// transaction, and returns the new values. A replayed record's badge was counted by
// the try that created it.
func (pl *planner) countBadges(ctx context.Context, targets []*target) (map[store.DeviceKey]int, error) {
	var counted []store.DeviceKey
	for _, t := range targets {
		if pl.counted(t.cert.Vendor) && !t.replay {
			counted = append(counted, store.DeviceKey{UserID: t.device.UserID, DeviceID: t.device.DeviceID})
		}
	}
	if len(counted) == 0 {
		return nil, nil
	}
	badges, err := pl.p.Store.IncrementBadges(ctx, pl.m.SDKAppID, counted)
	if err != nil {
		return nil, fmt.Errorf("increment badges: %w", err)
	}
	return badges, nil
}

// queue composes the notification of each target of a prepared page and adds it to a
// send job, batching devices of one certificate whose notifications are the same, and
// publishes the jobs that are full.
func (pl *planner) queue(ctx context.Context, page *preparedPage) error {
	p, m := pl.p, pl.m
	if pl.batches == nil {
		pl.batches = map[batchKey]*sendJob{}
	}
	targets, badges := page.targets, page.badges
	pl.queued += page.queued
	if pl.senderUnread && len(targets) > 0 {
		pl.senderUnread = false
		if a, err := p.Store.FindAccount(ctx, m.SDKAppID, m.From); err == nil && a.Nickname != "" {
			pl.sender = a.Nickname
		}
	}
	for _, t := range targets {
		ck := composeKey{cert: t.cert.ID, badge: -1, mentioned: m.Type == store.TypeGroup && slices.Contains(m.AtUserIDs, t.device.UserID)}
		if pl.counted(t.cert.Vendor) {
			b := t.device.Badge
			if !t.replay {
				var ok bool
				if b, ok = badges[store.DeviceKey{UserID: t.device.UserID, DeviceID: t.device.DeviceID}]; !ok {
					continue // the device was deleted since it was read: nothing to send
				}
			}
			if pl.shown(t.cert) {
				ck.badge = b
			}
		}
		n, k := pl.compose(ck, t)
		j := pl.batches[k]
		if j == nil {
			j = &sendJob{SDKAppID: m.SDKAppID, MessageID: m.ID, TaskID: pl.job.TaskID, From: m.From, GroupID: m.GroupID, CertificateID: t.cert.ID,
				Notification: n, Attempt: 1, Deadline: pl.deadline, claimed: page.claimed}
			pl.batches[k] = j
			pl.order = append(pl.order, k)
		}
		j.Targets = append(j.Targets, sendTarget{RecordID: t.record.ID, Token: t.device.PushToken, UserID: t.device.UserID, DeviceID: t.device.DeviceID})
		pl.pending++
		if s := p.Senders[t.cert.Vendor]; s != nil && len(j.Targets) >= s.MaxBatch() {
			if err := pl.publish(ctx, k); err != nil {
				return err
			}
		}
	}
	if pl.pending > maxPending {
		return pl.flush(ctx)
	}
	return nil
}

// counted reports whether a push of this message through vendor counts one more on the
// device's badge.
func (pl *planner) counted(vendor push.Vendor) bool {
	return !pl.broadcast && push.SupportsBadge(vendor) && !(pl.info != nil && pl.info.IgnoreIOSBadge && vendor == push.APNs)
}

// shown reports whether the notifications of cert carry the device's badge: Huawei and
// Honor show one only with a badge class, so without it their devices share requests.
func (pl *planner) shown(cert *push.Certificate) bool {
	switch cert.Vendor {
	case push.Huawei, push.Honor:
		return cert.BadgeClass != ""
	}
	return true
}

// composeKey is what tells apart the notifications of one message: the certificate,
// the badge shown (-1 for none) and, in a group, whether the recipient is mentioned.
type composeKey struct {
	cert      int64
	badge     int
	mentioned bool
}

// compose returns target t's notification and the key of its batch. Notifications
// that share a composeKey are the same, so each is composed and encoded once.
func (pl *planner) compose(ck composeKey, t *target) (*push.Notification, batchKey) {
	if c, ok := pl.composed[ck]; ok {
		return c.n, c.key
	}
	var badge *int
	if ck.badge >= 0 {
		badge = &ck.badge
	}
	m := pl.m
	n := push.Compose(push.ComposeInput{
		Message: m, Elements: pl.elems, PushInfo: pl.info, SenderName: pl.sender, GroupName: pl.group,
		Recipient: t.device.UserID, Certificate: t.cert, Badge: badge,
	})
	nb, _ := json.Marshal(n)
	c := composed{n: n, key: batchKey{t.cert.ID, string(nb)}}
	if pl.composed == nil {
		pl.composed = map[composeKey]composed{}
	}
	pl.composed[ck] = c
	return c.n, c.key
}

type composed struct {
	n   *push.Notification
	key batchKey
}

// publish publishes the send job of k and forgets it.
func (pl *planner) publish(ctx context.Context, k batchKey) error {
	j := pl.batches[k]
	if err := pl.p.unclaim(ctx, j); err != nil {
		return err
	}
	if err := pl.p.publishSend(ctx, j); err != nil {
		return err
	}
	pl.pending -= len(j.Targets)
	pl.published = true
	delete(pl.batches, k)
	return nil
}

// flush publishes every open send job, in the order they were opened; a plan small
// enough to be sent directly keeps them in directJobs instead.
func (pl *planner) flush(ctx context.Context) error {
	if pl.direct && !pl.published && len(pl.batches) <= directMaxJobs && pl.pending <= directMaxTargets {
		for _, k := range pl.order {
			pl.directJobs = append(pl.directJobs, pl.batches[k])
			delete(pl.batches, k)
		}
		pl.order, pl.pending = pl.order[:0], 0
		return nil
	}
	for _, k := range pl.order {
		if pl.batches[k] == nil {
			continue // published when it was full
		}
		if err := pl.publish(ctx, k); err != nil {
			return err
		}
	}
	pl.order = pl.order[:0]
	return nil
}
