package simulate_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// TestServers_FCMSpeaksHTTP2: the real FCM is HTTP/2, so the simulator must answer an
// HTTP/2 client (h2c with prior knowledge on its plain-HTTP port), and still HTTP/1.1.
func TestServers_FCMSpeaksHTTP2(t *testing.T) {
	s := simulate.NewServers()
	s.Dir = t.TempDir()
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var url string
	for _, v := range s.Vendors() {
		if v.Vendor == push.FCM {
			url = v.URL
		}
	}
	h2 := &http.Transport{Protocols: new(http.Protocols)}
	h2.Protocols.SetUnencryptedHTTP2(true)
	for _, tc := range []struct {
		name  string
		rt    http.RoundTripper
		major int
	}{{"HTTP2", h2, 2}, {"HTTP1", &http.Transport{}, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", url+"/v1/projects/"+simulate.DemoProject+"/messages:send", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := tc.rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.ProtoMajor != tc.major || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %s %d, want HTTP/%d 401", resp.Proto, resp.StatusCode, tc.major)
			}
		})
	}
}
