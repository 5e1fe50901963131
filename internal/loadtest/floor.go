package loadtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// FloorConfig configures the bare sender a group run measures after Herald's fan-out
// (PushGroupConfig.Floor): the same notification to the same phones, in the batches the
// pipeline makes, through the same vendor senders, with no store, queue, records,
// badges or rate limit — the least work a sender must do, so Herald's time is read
// against it.
type FloorConfig struct {
	// Senders are the vendor senders, by vendor (the node's own: same transport, same
	// simulators). Required.
	Senders map[push.Vendor]push.Sender
	// Workers is how many requests are in flight at once; use the pipeline's send
	// workers. Default 16.
	Workers int
}

// FloorResult is what the bare sender measured.
type FloorResult struct {
	Delivery Delivery
	// Requests is how many Send calls (vendor batches) it made; Rejected the tokens a
	// vendor did not accept.
	Requests, Rejected int
	// Elapsed runs from the first request to the last notification in an inbox; Rate is
	// notifications that arrived exactly once per second of it.
	Elapsed time.Duration
	Rate    float64
	// CPU is the process's CPU time (user + system) over the floor's run, when it can
	// be read (Linux); the group run reads Herald's over its fan-out the same way.
	CPU     time.Duration
	Vendors []VendorCount
}

// Ratio is Herald's time over the floor's: 1 means Herald is as fast as a bare sender.
func (r *PushGroupResult) FloorRatio() float64 {
	if r.Floor == nil || r.Floor.Elapsed <= 0 {
		return 0
	}
	return r.AllArrived.Seconds() / r.Floor.Elapsed.Seconds()
}

// floorBatch is one vendor request of the floor.
type floorBatch struct {
	cert   *push.Certificate
	n      *push.Notification
	tokens []string
}

// floorBatches groups phones as the planner does: by certificate and notification (a
// badge splits a batch only where the vendor shows it: not Huawei/Honor without a badge
// class), each group cut at the sender's MaxBatch. badge(i) is phone i's badge after
// the push.
func floorBatches(phones []*phone, senders map[push.Vendor]push.Sender, compose func(c *push.Certificate, badge *int) *push.Notification, badge func(i int) int) ([]floorBatch, error) {
	type key struct {
		cert  int64
		badge int
	}
	var order []key
	groups := map[key]*floorBatch{}
	var out []floorBatch
	for i, p := range phones {
		c := p.vendor.Certificate
		if c == nil {
			return nil, fmt.Errorf("floor: %s vendor has no certificate", p.vendor.Vendor)
		}
		s := senders[c.Vendor]
		if s == nil {
			return nil, fmt.Errorf("floor: no %s sender", c.Vendor)
		}
		k := key{c.ID, -1}
		if push.SupportsBadge(c.Vendor) && !((c.Vendor == push.Huawei || c.Vendor == push.Honor) && c.BadgeClass == "") {
			k.badge = badge(i)
		}
		g := groups[k]
		if g == nil {
			var b *int
			if k.badge >= 0 {
				b = &k.badge
			}
			g = &floorBatch{cert: c, n: compose(c, b)}
			groups[k] = g
			order = append(order, k)
		}
		g.tokens = append(g.tokens, p.token)
		if len(g.tokens) >= s.MaxBatch() {
			out = append(out, *g)
			g.tokens = nil
		}
	}
	for _, k := range order {
		if g := groups[k]; len(g.tokens) > 0 {
			out = append(out, *g)
		}
	}
	return out, nil
}

// runFloor sends body as a group message of group (named groupName, from sender) to
// every phone with the bare sender, badge(i) being phone i's badge, and checks that
// each notification arrived exactly once.
func runFloor(ctx context.Context, c FloorConfig, vendors []*PushVendor, phones []*phone, msgID, from, groupID, groupName, body string, badge func(i int) int, drain time.Duration) (*FloorResult, error) {
	if len(c.Senders) == 0 {
		return nil, errors.New("floor: no senders")
	}
	workers := c.Workers
	if workers <= 0 {
		workers = 16
	}
	m := &store.Message{ID: msgID, Type: store.TypeGroup, From: from, GroupID: groupID, Time: time.Now()}
	elems := []protocol.Element{{Type: protocol.ElemText, Text: body}}
	compose := func(cert *push.Certificate, b *int) *push.Notification {
		return push.Compose(push.ComposeInput{Message: m, Elements: elems, SenderName: from, GroupName: groupName, Certificate: cert, Badge: b})
	}
	batches, err := floorBatches(phones, c.Senders, compose, badge)
	if err != nil {
		return nil, err
	}
	res := &FloorResult{Requests: len(batches)}
	before := simCounts(vendors)
	cpu0, cpuErr := ProcessCPU()
	t0 := time.Now()
	next := make(chan floorBatch)
	var rejected atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				for _, r := range c.Senders[b.cert.Vendor].Send(sctx, b.cert, b.n, b.tokens) {
					if r.Outcome != push.Accepted {
						rejected.Add(1)
					}
				}
				cancel()
			}
		}()
	}
	for _, b := range batches {
		next <- b
	}
	close(next)
	wg.Wait()
	deadline := time.Now().Add(drain)
	for notificationsSince(vendors, before) < int64(len(phones))-rejected.Load() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if cpuErr == nil {
		if cpu1, err := ProcessCPU(); err == nil {
			res.CPU = cpu1 - cpu0
		}
	}
	res.Rejected = int(rejected.Load())
	res.Vendors = vendorCounts(vendors, phones, before)
	want := make([]expected, len(phones))
	for i, p := range phones {
		want[i] = expected{token: p.token, body: body, sent: t0}
	}
	var last time.Time
	res.Delivery, _, last = checkInboxes(phones, want, groupText(body))
	if !last.IsZero() {
		res.Elapsed = last.Sub(t0)
		res.Rate = float64(res.Delivery.Arrived) / res.Elapsed.Seconds()
	}
	return res, nil
}

// groupText returns the text of a group notification's body ("sender: text"), for
// checkInboxes. Bodies of other runs that share the phones (Herald's and the floor's)
// are told apart by their text: mine is kept, others map to "" and are skipped.
func groupText(mine string) func(body string) string {
	return func(body string) string {
		_, text, _ := strings.Cut(body, ": ")
		if text != mine {
			return ""
		}
		return text
	}
}

// ProcessCPU returns this process's CPU time so far, user plus system, from
// /proc/self/stat (Linux).
func ProcessCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after its closing ')' are fixed.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("parse /proc/self/stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("parse /proc/self/stat")
	}
	// utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("parse /proc/self/stat")
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
