package loadtest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/loadtest"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// MustOpenPushNode starts the vendor simulators and a node that trusts them, with each
// simulator's demo certificate stored for the test app.
func MustOpenPushNode(tb testing.TB) (*app.Main, loadtest.Target, []*loadtest.PushVendor) {
	tb.Helper()
	sims := simulate.NewServers()
	sims.Port, sims.Dir, sims.Logger = 0, tb.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := sims.Open(); err != nil {
		tb.Fatalf("open simulators: %v", err)
	}
	tb.Cleanup(func() { sims.Close() })
	c := app.DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.DataDir = tb.TempDir()
	c.SDKAppID, c.SecretKey = testAppID, testKey
	c.NodeID = "test"
	c.PushCAFile = sims.CAFile()
	c.PushAllowPrivateEndpoints = true // the simulators listen on 127.0.0.1
	m := app.NewMain(c)
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m.Out = io.Discard
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open node: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	vendors, err := loadtest.SimVendors(context.Background(), m.Store, testAppID, sims.Vendors())
	if err != nil {
		tb.Fatal(err)
	}
	return m, loadtest.Target{URL: "ws://" + m.Addr() + "/v1/ws", SDKAppID: testAppID, Key: testKey}, vendors
}

func TestRunPushC2C(t *testing.T) {
	m, target, vendors := MustOpenPushNode(t)
	res, err := loadtest.RunPushC2C(context.Background(), target, loadtest.PushC2CConfig{
		Vendors: vendors, Devices: 16, Senders: 4, Duration: 300 * time.Millisecond, Drain: 10 * time.Second,
		ServerSessions: m.Hub.Sessions,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent == 0 || res.SendErrors != 0 || !res.Delivery.OK() || res.Delivery.Expected != int(res.Sent) {
		t.Fatalf("sent %d, send errors %d (%s), delivery %v; want every sent message pushed exactly once", res.Sent, res.SendErrors, res.FirstError, res.Delivery)
	}
	if res.Rate <= 0 || res.LatencyP50 <= 0 || res.LatencyP99 < res.LatencyP50 {
		t.Fatalf("rate %v, p50 %v, p99 %v: nothing measured", res.Rate, res.LatencyP50, res.LatencyP99)
	}
	for _, v := range res.Vendors {
		if v.Phones != 2 || v.Notifications == 0 || v.Rejected != 0 {
			t.Errorf("%s: %+v; want 2 phones, notifications and no rejections", v.Vendor, v)
		}
	}
}

func TestRunPushGroup(t *testing.T) {
	m, target, vendors := MustOpenPushNode(t)
	const members = 40
	runs, err := loadtest.RunPushGroup(context.Background(), target, loadtest.PushGroupConfig{
		Vendors: vendors, Members: members, Badges: 3, Drain: 10 * time.Second,
		ServerSessions: m.Hub.Sessions,
		ServerMemory:   func() (loadtest.Memory, error) { return loadtest.ReadMemory(), nil },
		ServerHeap: func() uint64 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return ms.HeapInuse
		},
		ServerRecords: func(ctx context.Context, id string) (map[string]int, error) {
			return loadtest.CountRecords(ctx, m.Store, testAppID, id)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("%d results; want one", len(runs))
	}
	res := runs[0]
	if !res.Delivery.OK() || res.Delivery.Expected != members {
		t.Fatalf("delivery %v; want %d exactly once", res.Delivery, members)
	}
	if got := res.Records["push/accepted"]; got != members || len(res.Records) != 1 {
		t.Errorf("records %v; want %d push/accepted", res.Records, members)
	}
	// Five phones per vendor. Those whose notifications show no badge share one request
	// per vendor (vivo sends a batch in two: saveListPayload, then pushToList) — Huawei
	// and Honor too, since their certificates here set no badge class; FCM and APNs take
	// one token per request.
	want := map[push.Vendor]int64{push.FCM: 5, push.APNs: 5, push.Huawei: 1, push.Honor: 1, push.Xiaomi: 1, push.OPPO: 1, push.Vivo: 2, push.Meizu: 1}
	for _, v := range res.Vendors {
		if v.Phones != 5 || v.Notifications != 5 || v.Requests != want[v.Vendor] {
			t.Errorf("%s: %+v; want 5 phones, 5 notifications, %d requests", v.Vendor, v, want[v.Vendor])
		}
	}
	if res.AllArrived <= 0 || res.FirstArrived > res.AllArrived || res.HeapPeak == 0 || res.MemAfter.HeapAlloc == 0 {
		t.Errorf("all arrived %v, first %v, heap peak %d, heap after %d: nothing measured", res.AllArrived, res.FirstArrived, res.HeapPeak, res.MemAfter.HeapAlloc)
	}
}

func TestPushC2CResult_Sustained(t *testing.T) {
	bl := func(ns ...int64) []loadtest.BacklogSample {
		var out []loadtest.BacklogSample
		for i, n := range ns {
			out = append(out, loadtest.BacklogSample{At: time.Duration(i+1) * time.Second, Backlog: n})
		}
		return out
	}
	tests := []struct {
		name string
		r    loadtest.PushC2CResult
		want bool
	}{
		{"Flat", loadtest.PushC2CResult{TargetRate: 100, Backlog: bl(40, 60, 50, 55)}, true},
		{"Growing", loadtest.PushC2CResult{TargetRate: 100, Backlog: bl(40, 200, 400, 600)}, false},
		{"Skipped", loadtest.PushC2CResult{TargetRate: 100, Late: 1, Backlog: bl(40, 60, 50, 55)}, false},
		{"ClosedLoop", loadtest.PushC2CResult{Backlog: bl(1, 1)}, false},
	}
	for _, tt := range tests {
		if got := tt.r.Sustained(); got != tt.want {
			t.Errorf("%s: Sustained(%v) = %v, want %v", tt.name, tt.r.Backlog, got, tt.want)
		}
	}
}

// An open-loop run that falls behind kept up with the send rate less the backlog's
// growth.
func TestPushC2CResult_KeptUp(t *testing.T) {
	r := loadtest.PushC2CResult{TargetRate: 1000, SendRate: 1000, Backlog: []loadtest.BacklogSample{
		{At: time.Second, Backlog: 300}, {At: 2 * time.Second, Backlog: 700}, {At: 5 * time.Second, Backlog: 1900}}}
	if got := r.KeptUp(); got < 599.9 || got > 600.1 {
		t.Errorf("KeptUp = %v; want 600 (1,000/s sent, backlog +400/s)", got)
	}
	r.Backlog[2].Backlog = 200 // drained: at least the send rate
	if got := r.KeptUp(); got < 1000 {
		t.Errorf("KeptUp = %v after the backlog shrank; want at least 1,000", got)
	}
}

// The floor sends the same notification to the same phones in the same vendor requests
// as Herald did, right after it, and every phone gets it exactly once; so does each
// message of a repeated run, with the earlier messages' notifications on the phones.
func TestRunPushGroup_Floor(t *testing.T) {
	m, target, vendors := MustOpenPushNode(t)
	const members = 48
	runs, err := loadtest.RunPushGroup(context.Background(), target, loadtest.PushGroupConfig{
		Vendors: vendors, Members: members, Badges: 3, Drain: 10 * time.Second,
		ServerSessions: m.Hub.Sessions,
		Floor:          &loadtest.FloorConfig{Senders: m.Senders, Workers: m.Pipeline.Workers},
		Repeats:        2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d results; want two", len(runs))
	}
	for k, res := range runs {
		t.Run(fmt.Sprint("message", k+1), func(t *testing.T) { checkFloorRun(t, res, members) })
	}
}

func checkFloorRun(t *testing.T, res *loadtest.PushGroupResult, members int) {
	if !res.Delivery.OK() || res.Delivery.Expected != members {
		t.Fatalf("herald delivery %v; want %d exactly once", res.Delivery, members)
	}
	f := res.Floor
	if f == nil {
		t.Fatal("no floor result")
	}
	if !f.Delivery.OK() || f.Delivery.Expected != members || f.Rejected != 0 {
		t.Fatalf("floor delivery %v, rejected %d; want %d exactly once", f.Delivery, f.Rejected, members)
	}
	for i, v := range f.Vendors {
		h := res.Vendors[i]
		if v.Vendor != h.Vendor || v.Requests != h.Requests || v.Notifications != h.Notifications || v.Rejected != 0 {
			t.Errorf("%s: floor %+v, herald %+v; want the same requests and notifications", v.Vendor, v, h)
		}
	}
	if f.Elapsed <= 0 || f.Rate <= 0 || res.FloorRatio() <= 0 {
		t.Errorf("floor elapsed %v, rate %v, ratio %v: nothing measured", f.Elapsed, f.Rate, res.FloorRatio())
	}
}
