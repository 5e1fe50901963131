package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// DecisionUnacked is the decision of a record first decided "foreground" whose device
// did not acknowledge the online delivery in time, or lost its connection first: it
// was pushed as if it had been offline.
const DecisionUnacked = "unacked"

const (
	// unackedQueue bounds the deliveries waiting to be looked at; beyond it they are
	// dropped with a log line (the device still syncs them when it reconnects).
	unackedQueue = 4096
	// unackedWorkers look at unacknowledged deliveries at once.
	unackedWorkers = 2
	// A delivery whose message is not planned yet is looked at again, up to
	// unackedTries times unackedRetry apart.
	unackedTries = 30
	unackedRetry = time.Second
)

var unackedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "herald_push_unacked_total",
	Help: "Pushes queued for online deliveries the device did not acknowledge: reason timeout (the ack window passed) or disconnect (the connection ended first).",
}, []string{"reason"})

// unackedJob is one unacknowledged delivery and how often it was looked at.
type unackedJob struct {
	d     im.UnackedDelivery
	tries int
}

// startUnacked starts the workers that push unacknowledged deliveries; Open calls it.
func (p *Pipeline) startUnacked() {
	p.unacked = make(chan unackedJob, unackedQueue)
	for range unackedWorkers {
		p.loops.Add(1)
		go func() {
			defer p.loops.Done()
			for {
				select {
				case <-p.ctx.Done():
					return
				case j := <-p.unacked:
					p.handleUnacked(j)
				}
			}
		}()
	}
}

// Unacked is im's hook for deliveries a connected device did not acknowledge: each is
// pushed to that device as if it had been offline, if the push rules allow and it was
// not pushed already. It does not block.
func (p *Pipeline) Unacked(_ context.Context, ds []im.UnackedDelivery) {
	for _, d := range ds {
		p.queueUnacked(unackedJob{d: d})
	}
}

func (p *Pipeline) queueUnacked(j unackedJob) {
	if p.unacked == nil || p.ctx.Err() != nil {
		return
	}
	select {
	case p.unacked <- j:
	default:
		p.Logger.Warn("unacknowledged delivery not pushed: queue full", "app", j.d.SDKAppID, "user", j.d.UserID, "device", j.d.DeviceID, "message", j.d.MessageID)
	}
}

func (p *Pipeline) handleUnacked(j unackedJob) {
	ctx, cancel := context.WithTimeout(p.ctx, sendTimeout)
	defer cancel()
	again, err := p.pushUnacked(ctx, j.d)
	if err != nil {
		p.Logger.Warn("push unacknowledged delivery", "app", j.d.SDKAppID, "user", j.d.UserID, "device", j.d.DeviceID, "message", j.d.MessageID, "err", err)
		again = true
	}
	if again && j.tries+1 < unackedTries {
		j.tries++
		time.AfterFunc(unackedRetry, func() { p.queueUnacked(j) })
	}
}

// pushUnacked pushes one unacknowledged delivery. again says the message is not planned
// yet: look later.
func (p *Pipeline) pushUnacked(ctx context.Context, u im.UnackedDelivery) (again bool, err error) {
	d, err := p.Store.FindDevice(ctx, u.SDKAppID, u.UserID, u.DeviceID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find device: %w", err)
	}
	if d.AckedSeq >= u.InboxSeq {
		return false, nil // acknowledged after all, perhaps on a newer connection
	}
	if d.State == store.Online && d.NodeID != u.Session {
		return false, nil // a newer connection of the device delivers it again
	}
	rec, err := p.Store.FindDevicePushRecord(ctx, u.SDKAppID, u.MessageID, u.UserID, u.DeviceID)
	if errors.Is(err, store.ErrNotFound) {
		// Not planned yet, or never: a message whose push is disabled has no records.
		if pl, err := p.unackedPlanner(ctx, u); pl == nil || err != nil {
			return false, err
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("find record: %w", err)
	}
	if rec.Decision != push.SkipForeground.String() {
		return false, nil // pushed already, or not to be pushed for another reason
	}
	pl, err := p.unackedPlanner(ctx, u)
	if pl == nil || err != nil {
		return false, err
	}
	// The rules again, for this device as if offline: what changed since the plan
	// (a mute, do-not-disturb, a token unbound) still holds.
	offline := *d
	offline.State, offline.Background = store.Offline, false
	opt, dnd, err := p.rulesNow(ctx, pl.m, u.UserID)
	if err != nil {
		return false, err
	}
	dec := push.Decide(pl.facts, push.TargetFacts{
		UserID: u.UserID, Device: &offline, RecvOpt: opt, InDND: dnd,
		Mentioned: pl.m.AtAll || slices.Contains(pl.m.AtUserIDs, u.UserID),
	})
	if dec != push.Push {
		return false, nil
	}
	cert, err := p.certs.get(ctx, u.SDKAppID, d.CertificateID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Claim the record: of two tries (the ack window, then the disconnect; or two
	// nodes) only one pushes.
	to := store.PushRedecision{Decision: DecisionUnacked, Vendor: string(cert.Vendor), CertificateID: cert.ID, Outcome: "queued"}
	claimed, err := p.Store.RedecidePushRecord(ctx, u.SDKAppID, rec.ID, rec.Decision, to)
	if err != nil || !claimed {
		return false, err
	}
	rec.Decision, rec.Vendor, rec.CertificateID, rec.Outcome = to.Decision, to.Vendor, to.CertificateID, to.Outcome
	reason := "timeout"
	if u.Disconnected {
		reason = "disconnect"
	}
	unackedTotal.WithLabelValues(reason).Inc()
	decisionsTotal.WithLabelValues(DecisionUnacked).Inc()
	p.Logger.Debug("push unacknowledged delivery", "app", u.SDKAppID, "user", u.UserID, "device", u.DeviceID, "message", u.MessageID, "reason", reason)
	targets := []*target{{record: rec, device: d, cert: cert}}
	badges, err := pl.countBadges(ctx, targets)
	if err != nil {
		return false, err
	}
	if err := pl.queue(ctx, &preparedPage{targets: targets, badges: badges}); err != nil {
		return false, err
	}
	return false, pl.flush(ctx)
}

// unackedPlanner prepares what composing the message's notification needs; nil when
// the message is gone or its push is disabled.
func (p *Pipeline) unackedPlanner(ctx context.Context, u im.UnackedDelivery) (*planner, error) {
	m, err := p.Store.FindMessageByID(ctx, u.SDKAppID, u.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find message: %w", err)
	}
	pl := &planner{p: p, job: planJob{SDKAppID: m.SDKAppID, MessageID: m.ID}, m: m}
	if err := json.Unmarshal(m.Elements, &pl.elems); err != nil {
		return nil, fmt.Errorf("decode elements: %w", err)
	}
	if len(m.PushInfo) > 0 {
		pl.info = new(protocol.OfflinePushInfo)
		if err := json.Unmarshal(m.PushInfo, pl.info); err != nil {
			return nil, fmt.Errorf("decode push info: %w", err)
		}
	}
	pl.deadline = p.deadline(m.Time, pl.info)
	// The message as read back lacks PushIgnoreDND (only the sweep reads it): an admin
	// send that overrode the recipient's settings is judged by them here, the stricter way.
	pl.facts = push.MessageFacts{
		From:         m.From,
		PushDisabled: pl.info != nil && pl.info.DisablePush,
		CustomNoDesc: push.CustomWithoutDesc(pl.elems, pl.info),
	}
	if pl.facts.PushDisabled {
		return nil, nil
	}
	pl.sender = m.From
	if a, err := p.Store.FindAccount(ctx, m.SDKAppID, m.From); err == nil && a.Nickname != "" {
		pl.sender = a.Nickname
	}
	if m.Type == store.TypeGroup {
		g, err := p.Store.FindGroup(ctx, m.SDKAppID, m.GroupID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("find group: %w", err)
		}
		pl.group = g.Name
	}
	return pl, nil
}

// rulesNow returns the user's receive option for the message's conversation and
// whether do-not-disturb covers now.
func (p *Pipeline) rulesNow(ctx context.Context, m *store.Message, userID string) (store.RecvOpt, bool, error) {
	var opt store.RecvOpt
	if m.Type == store.TypeC2C {
		opts, err := p.Store.FindRecvOptsOfPeer(ctx, m.SDKAppID, []string{userID}, m.From)
		if err != nil {
			return 0, false, fmt.Errorf("find receive options: %w", err)
		}
		opt = opts[userID]
	} else {
		mem, err := p.Store.FindGroupMember(ctx, m.SDKAppID, m.GroupID, userID)
		if errors.Is(err, store.ErrNotFound) {
			return store.NotReceive, false, nil // left the group since
		}
		if err != nil {
			return 0, false, fmt.Errorf("find member: %w", err)
		}
		opt = mem.RecvOpt
	}
	a, err := p.Store.FindAccount(ctx, m.SDKAppID, userID)
	if err != nil {
		return 0, false, fmt.Errorf("find account: %w", err)
	}
	return opt, im.InDND(a, p.Now()), nil
}
