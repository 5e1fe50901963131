package app_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
)

// scrape GETs the node's /metrics and parses it.
func scrape(tb testing.TB, n *node) map[string]*dto.MetricFamily {
	tb.Helper()
	res, err := http.Get("http://" + n.Addr() + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("/metrics: %s", res.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		tb.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// sample returns the value of the series of name whose labels include labels
// ("k=v" pairs), and whether there is one: a counter's or gauge's value, a
// histogram's count.
func sample(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
series:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// TestMetrics_Scrape runs a node through messages online and offline, a throttled
// push that is retried, a webhook and admin calls, then reads each metric docs/metrics.md
// lists from its /metrics.
func TestMetrics_Scrape(t *testing.T) {
	n := mustOpenPushNodeWith(t, "sqlite", fastWebhooks)
	recv := newReceiver(t)
	n.MustSetCallback(t, recv)
	n.MustImport("alice", "bob", "carol")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	carol := MustLogin(t, n.node, "carol", "c1", "Windows")
	token := n.phone(push.Huawei)
	bob := MustLogin(t, n.node, "bob", "hw", "Android")
	if err := bob.SetOfflinePushConfig(ctx, n.certs[push.Huawei], token); err != nil {
		t.Fatal(err)
	}
	bob.Close()
	waitDeviceState(t, n.node, "bob", "hw", store.Offline)

	// Online: carol's session gets it.
	if _, err := alice.SendMessage(ctx, client.NewTextMessage("hi carol"), "carol", "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	carol.waitMessages(t, 1)
	// Offline, throttled once: pushed at the second try.
	n.sim(push.Huawei).Sim.Inject(vendorsim.Fault{Kind: vendorsim.Throttle, Count: 1, RetryAfter: time.Second})
	m, err := alice.SendMessage(ctx, client.NewTextMessage("eventually"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.waitInbox(t, push.Huawei, token, 1)
	if rec := n.waitRecord(t, m.ID, "hw"); rec.Outcome != "accepted" || rec.Attempts != 2 {
		t.Fatalf("record %+v, want accepted at the second try", rec)
	}
	recv.waitEvent(t, "Push.OfflinePush", "bob's push result", func(e map[string]any) bool { return true })
	// Admin calls: one send, one route with a path parameter, one unknown call (last).
	n.adminJSON("POST", "/v1/admin/messages", map[string]any{"from": "carol", "to": "alice", "elements": []map[string]string{{"type": "text", "text": "x"}}}, nil)
	n.adminJSON("GET", "/v1/admin/users/bob/devices", nil, nil)
	n.adminRaw("GET", "/v1/admin/no/such/call", nil)

	var mfs map[string]*dto.MetricFamily
	// The retry is counted once the answer is recorded, a delivery once the bus brings
	// the event: both after the calls above return.
	waitFor(t, "the retry and the deliveries counted", func() bool {
		mfs = scrape(t, n.node)
		retries, _ := sample(mfs, "herald_push_retries_total", "vendor=huawei")
		delivered, _ := sample(mfs, "herald_messages_delivered_total")
		// A request is timed once its handler returns, just after the client has the answer.
		timed, _ := sample(mfs, "herald_http_request_duration_seconds", "route=/v1/admin/", "code=404")
		return retries == 1 && delivered >= 4 && timed == 1
	})
	for _, c := range []struct {
		name   string
		labels []string
		check  func(v float64) bool
		want   string
	}{
		{"herald_gateway_sessions", nil, func(v float64) bool { return v == 2 }, "2 (alice, carol)"},
		{"herald_messages_stored_total", []string{"type=c2c"}, func(v float64) bool { return v == 3 }, "3"},
		{"herald_messages_stored_total", []string{"type=group"}, func(v float64) bool { return v == 0 }, "0"},
		// carol's and alice's own copy of the first; alice's own copy of the second; alice's of the admin's.
		{"herald_messages_delivered_total", nil, func(v float64) bool { return v >= 4 }, "at least 4"},
		{"herald_http_request_duration_seconds", []string{"route=POST /v1/admin/messages", "code=200"}, func(v float64) bool { return v == 1 }, "1 request"},
		{"herald_http_request_duration_seconds", []string{"route=GET /v1/admin/users/{id}/devices", "code=200"}, func(v float64) bool { return v == 1 }, "1 request, under its pattern"},
		{"herald_http_request_duration_seconds", []string{"route=/v1/admin/", "code=404"}, func(v float64) bool { return v == 1 }, "1 request, under the catch-all"},
		{"herald_push_retries_total", []string{"vendor=huawei"}, func(v float64) bool { return v == 1 }, "1"},
		{"herald_push_retries_total", []string{"vendor=fcm"}, func(v float64) bool { return v == 0 }, "0"},
		{"herald_push_results_total", []string{"vendor=huawei", "outcome=retry_later"}, func(v float64) bool { return v >= 1 }, "at least 1"},
		{"herald_push_results_total", []string{"vendor=huawei", "outcome=accepted"}, func(v float64) bool { return v >= 1 }, "at least 1"},
		{"herald_webhook_batches_total", []string{"outcome=delivered"}, func(v float64) bool { return v >= 1 }, "at least 1"},
		{"herald_webhook_events_total", []string{"outcome=delivered"}, func(v float64) bool { return v >= 1 }, "at least 1"},
	} {
		v, ok := sample(mfs, c.name, c.labels...)
		if !ok || !c.check(v) {
			t.Errorf("%s%v = %v (present %v), want %s", c.name, c.labels, v, ok, c.want)
		}
	}
	for _, q := range []string{"push_plan", "push_send", "webhook"} {
		for _, name := range []string{"herald_queue_depth", "herald_queue_oldest_age_seconds", "herald_queue_redelivered"} {
			if v, ok := sample(mfs, name, "queue="+q); !ok || v < 0 {
				t.Errorf("%s{queue=%q} = %v (present %v)", name, q, v, ok)
			}
		}
	}
	// Routes are patterns, never raw paths, and WebSocket sessions are not timed.
	for _, m := range mfs["herald_http_request_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && (strings.Contains(l.GetValue(), "bob") || strings.Contains(l.GetValue(), "/v1/ws")) {
				t.Errorf("route label %q", l.GetValue())
			}
		}
	}
	// Every herald_ metric served is documented.
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range mfs {
		if strings.HasPrefix(name, "herald_") && !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/metrics.md does not list %s", name)
		}
	}
	if t.Failed() {
		for _, m := range mfs["herald_http_request_duration_seconds"].GetMetric() {
			t.Logf("http series %v", m.GetLabel())
		}
	}
}
