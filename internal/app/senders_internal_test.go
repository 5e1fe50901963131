package app

import (
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/apns"
)

// senderClient returns a sender's HTTPClient field.
func senderClient(t *testing.T, s push.Sender) *http.Client {
	t.Helper()
	f := reflect.ValueOf(s).Elem().FieldByName("HTTPClient")
	if !f.IsValid() {
		t.Fatalf("%s sender has no HTTPClient field", s.Vendor())
	}
	return f.Interface().(*http.Client)
}

// Every vendor sender trusts --push-ca-file and refuses internal addresses unless
// --push-allow-private-endpoints.
func TestBuildSenders_Transport(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	trusted := buildSenders(logger, push.Transport{RootCAs: roots, AllowPrivate: true})
	refusing := buildSenders(logger, push.Transport{RootCAs: roots})
	for v, s := range trusted {
		if v == push.APNs {
			a := s.(*apns.Sender)
			if a.RootCAs != roots || a.DialTLSContext == nil {
				t.Errorf("apns: RootCAs or DialTLSContext not set")
			}
			continue
		}
		resp, err := senderClient(t, s).Get(srv.URL)
		if err != nil {
			t.Errorf("%s: GET through a CA-file server: %v", v, err)
			continue
		}
		resp.Body.Close()
		if _, err := senderClient(t, refusing[v]).Get(srv.URL); !errors.Is(err, push.ErrPrivateAddress) {
			t.Errorf("%s: GET 127.0.0.1 without allow-private = %v, want ErrPrivateAddress", v, err)
		}
	}
}

func TestLoadConfig_PushAllowPrivateEndpoints(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := LoadConfig(nil, env(nil))
	if err != nil || c.PushAllowPrivateEndpoints {
		t.Fatalf("default: %v, %v; want off", c.PushAllowPrivateEndpoints, err)
	}
	if c, err = LoadConfig([]string{"--push-allow-private-endpoints"}, env(nil)); err != nil || !c.PushAllowPrivateEndpoints {
		t.Fatalf("flag: %v, %v", c.PushAllowPrivateEndpoints, err)
	}
	if c, err = LoadConfig(nil, env(map[string]string{"HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS": "true", "HERALD_MASTER_KEY": "k"})); err != nil || !c.PushAllowPrivateEndpoints || c.MasterKey != "k" {
		t.Fatalf("env: %+v, %v", c, err)
	}
	if _, err = LoadConfig(nil, env(map[string]string{"HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS": "maybe"})); err == nil {
		t.Fatal("env maybe: no error")
	}
}
