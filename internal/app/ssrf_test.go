package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/herald-im/herald/internal/push"
)

// TestPush_PrivateEndpointRefused: a tenant points a certificate's endpoint at an
// internal service and runs a test push. Without --push-allow-private-endpoints the node
// never connects; with it, the service's answer comes back only as a bounded reason.
func TestPush_PrivateEndpointRefused(t *testing.T) {
	const secret = "internal-service-secret-answer"
	var hits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"code":10017,"reason":"` + strings.Repeat(secret+" ", 4000) + `"}`))
	}))
	defer internal.Close()

	for _, allow := range []bool{false, true} {
		sims := MustOpenSims(t)
		cfg := MustConfig(t, "sqlite")
		cfg.PushCAFile = sims.CAFile()
		cfg.PushAllowPrivateEndpoints = allow
		n := MustOpenNode(t, cfg)
		var mi *push.Certificate
		for _, v := range sims.Vendors() {
			if v.Vendor == push.Xiaomi {
				c := *v.Certificate
				mi = &c
			}
		}
		mi.ID, mi.SDKAppID = 0, testAppID
		mi.Endpoint.SendURL = internal.URL
		sc, err := mi.ToStored()
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Store.CreateCertificate(context.Background(), sc); err != nil {
			t.Fatal(err)
		}
		n.MustImport("bob")
		dev := MustLogin(t, n, "bob", "mi", "Android")
		if err := dev.SetOfflinePushConfig(ctxT(t), sc.ID, "some-token"); err != nil {
			t.Fatal(err)
		}
		var test struct {
			Results []struct{ Outcome, Reason string }
		}
		before := hits.Load()
		n.adminJSON("POST", "/v1/admin/push/test", map[string]any{"user_id": "bob"}, &test)
		if len(test.Results) != 1 {
			t.Fatalf("allow=%v: results %+v", allow, test.Results)
		}
		r := test.Results[0]
		if len(r.Reason) > push.MaxReasonLen+len("…") {
			t.Errorf("allow=%v: reason of %d bytes", allow, len(r.Reason))
		}
		// Saving such an endpoint through the admin API is refused too, naming the field.
		body := map[string]any{"vendor": "xiaomi", "name": "internal", "package_name": mi.PackageName, "app_secret": "s",
			"endpoint": map[string]any{"send_url": internal.URL}}
		if !allow {
			if e := n.adminErr("POST", "/v1/admin/push/certificates", body, 400, 40001); !strings.Contains(e.Message, "endpoint.send_url") {
				t.Errorf("refusal %q does not name the field", e.Message)
			}
			body["endpoint"] = map[string]any{"send_url": "http://[::ffff:169.254.169.254]/"}
			n.adminErr("POST", "/v1/admin/push/certificates", body, 400, 40001)
			if hits.Load() != before {
				t.Errorf("the node connected to the internal service")
			}
			if r.Outcome == "accepted" || !strings.Contains(r.Reason, "private address") || strings.Contains(r.Reason, secret) {
				t.Errorf("refused push: %+v", r)
			}
		} else if hits.Load() == before {
			t.Errorf("allowed: the node never reached the endpoint (%+v)", r)
		}
	}
}
