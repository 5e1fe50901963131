package push_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
)

func TestTransport_Client(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	get := func(tr push.Transport, u string) error {
		resp, err := tr.Client(5*time.Second, 1).Get(u)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	t.Run("OK", func(t *testing.T) {
		if err := get(push.Transport{RootCAs: roots, AllowPrivate: true}, srv.URL); err != nil {
			t.Fatalf("private allowed, CA trusted: %v", err)
		}
	})
	t.Run("ErrPrivateAddress", func(t *testing.T) {
		for _, u := range []string{srv.URL, "https://localhost:" + port, "https://[::1]:" + port} {
			err := get(push.Transport{RootCAs: roots}, u)
			if !errors.Is(err, push.ErrPrivateAddress) {
				t.Errorf("GET %s = %v, want ErrPrivateAddress", u, err)
			}
		}
	})
	t.Run("ErrUntrustedCA", func(t *testing.T) {
		err := get(push.Transport{AllowPrivate: true}, srv.URL)
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) {
			t.Fatalf("GET without the CA = %v, want an unknown authority error", err)
		}
	})
	t.Run("DialTLSContext", func(t *testing.T) {
		tr := push.Transport{RootCAs: roots}
		cfg := tr.TLSConfig()
		cfg.ServerName = "example.com"
		if _, err := tr.DialTLSContext(context.Background(), "tcp", srv.Listener.Addr().String(), cfg); !errors.Is(err, push.ErrPrivateAddress) {
			t.Fatalf("DialTLSContext to loopback = %v, want ErrPrivateAddress", err)
		}
		tr.AllowPrivate = true
		c, err := tr.DialTLSContext(context.Background(), "tcp", srv.Listener.Addr().String(), cfg)
		if err != nil {
			t.Fatalf("DialTLSContext allowed: %v", err)
		}
		c.Close()
	})
}

func TestIsPrivateAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"0.0.0.0", true}, {"100.64.0.1", true}, {"::1", true},
		{"fe80::1", true}, {"fd00::1", true}, {"::ffff:127.0.0.1", true}, {"::ffff:10.0.0.1", true},
		{"224.0.0.1", true}, {"64:ff9b::a00:1", true},
		{"8.8.8.8", false}, {"142.250.74.10", false}, {"2607:f8b0:4004:800::200e", false},
	} {
		if got := push.IsPrivateAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IsPrivateAddr(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestSanitizeReason(t *testing.T) {
	long := strings.Repeat("secret-internal-answer ", 100)
	got := push.SanitizeReason("oppo 11: bad\r\nX-Injected: 1\x00" + long)
	if len(got) > push.MaxReasonLen+len("…") {
		t.Errorf("len = %d, want at most %d", len(got), push.MaxReasonLen)
	}
	if strings.ContainsAny(got, "\r\n\x00") {
		t.Errorf("control characters kept: %q", got)
	}
	if !strings.HasPrefix(got, "oppo 11: bad  X-Injected: 1 ") {
		t.Errorf("got %q", got)
	}
	if s := push.SanitizeReason("fine"); s != "fine" {
		t.Errorf("SanitizeReason(fine) = %q", s)
	}
}
