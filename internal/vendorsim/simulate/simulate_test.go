package simulate_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/apns"
	"github.com/herald-im/herald/internal/push/fcm"
	"github.com/herald-im/herald/internal/push/honor"
	"github.com/herald-im/herald/internal/push/huawei"
	"github.com/herald-im/herald/internal/push/meizu"
	"github.com/herald-im/herald/internal/push/oppo"
	"github.com/herald-im/herald/internal/push/vivo"
	"github.com/herald-im/herald/internal/push/xiaomi"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// MustOpen starts every simulator on free ports with its files in a temporary directory.
func MustOpen(tb testing.TB) *simulate.Servers {
	tb.Helper()
	s := simulate.NewServers()
	s.Port = 0
	s.Dir = tb.TempDir()
	if err := s.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// newSender returns the real sender of v, trusting roots for APNs.
func newSender(tb testing.TB, v push.Vendor, roots *x509.CertPool) push.Sender {
	switch v {
	case push.FCM:
		return fcm.New()
	case push.APNs:
		s := apns.New()
		s.RootCAs = roots
		tb.Cleanup(func() { s.Close() })
		return s
	case push.Huawei:
		return huawei.New()
	case push.Honor:
		return honor.New()
	case push.Xiaomi:
		return xiaomi.New()
	case push.OPPO:
		return oppo.New()
	case push.Vivo:
		return vivo.New()
	case push.Meizu:
		return meizu.New()
	}
	tb.Fatalf("no sender for %s", v)
	return nil
}

// notification is what the planner would send for a chat message with c's defaults.
func notification(c *push.Certificate) *push.Notification {
	n := &push.Notification{
		Title: "Alice", Body: "Dinner at eight?", Ext: `{"conv":"c2c_alice"}`, MessageID: "m-" + c.Vendor.String(),
		Click: c.Click, ChannelID: c.ChannelID, Category: c.Category, Importance: c.Importance,
		NotifyLevel: c.NotifyLevel, NoticeMsgType: c.NoticeMsgType, TemplateID: c.TemplateID,
	}
	if c.Vendor == push.Vivo {
		n.Classification = &c.Classification
	}
	return n
}

// TestServers_EndToEnd is what a user does with `herald sim`: take each certificate from
// certificates.json, register a phone through the admin API, send with Herald's sender
// and find the notification in the phone's inbox.
func TestServers_EndToEnd(t *testing.T) {
	s := MustOpen(t)
	var summary bytes.Buffer
	if err := s.WriteSummary(&summary); err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(summary.String(), "-G ") || !strings.Contains(summary.String(), "/_sim/inbox --data-urlencode 'token=TOKEN'") {
		t.Errorf("summary does not print URL-encoding inbox commands:\n%s", summary.String())
	}
	certs, err := simulate.ReadCertificates(filepath.Join(s.Dir, simulate.CertificatesFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(certs.Vendors) != len(push.Vendors) {
		t.Fatalf("certificates.json has %d vendors, want %d", len(certs.Vendors), len(push.Vendors))
	}
	pem, err := os.ReadFile(certs.APNsCAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", certs.APNsCAFile)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true,
	}}

	for i, v := range certs.Vendors {
		t.Run(v.Vendor.String(), func(t *testing.T) {
			if v.Vendor != push.Vendors[i] {
				t.Fatalf("vendor %d is %s, want %s", i, v.Vendor, push.Vendors[i])
			}
			if !strings.Contains(summary.String(), v.URL) || !strings.Contains(summary.String(), v.PhonesURL()) {
				t.Errorf("summary does not show %s and %s:\n%s", v.URL, v.PhonesURL(), summary.String())
			}
			c := v.Certificate
			if c.Vendor != v.Vendor || c.ID != int64(i+1) {
				t.Errorf("certificate has vendor %q and ID %d, want %q and %d", c.Vendor, c.ID, v.Vendor, i+1)
			}
			if c.Endpoint.SendURL != v.URL {
				t.Errorf("Endpoint.SendURL = %q, want the simulator %q", c.Endpoint.SendURL, v.URL)
			}
			sender := newSender(t, v.Vendor, roots)
			if val, ok := sender.(push.CertificateValidator); ok {
				if err := val.ValidateCertificate(c); err != nil {
					t.Fatalf("ValidateCertificate: %v", err)
				}
			}

			var reg struct{ Token string }
			doJSON(t, client, http.MethodPost, v.PhonesURL(), fmt.Sprintf(`{"app":%q}`, v.App), &reg)
			if reg.Token == "" {
				t.Fatal("registering a phone gave no token")
			}

			n := notification(c)
			rs := sender.Send(context.Background(), c, n, []string{reg.Token})
			if len(rs) != 1 || rs[0].Outcome != push.Accepted {
				t.Fatalf("Send = %+v, want one Accepted", rs)
			}

			var inbox []vendorsim.Delivered
			doJSON(t, client, http.MethodGet, v.InboxURL(reg.Token), "", &inbox)
			if len(inbox) != 1 {
				t.Fatalf("inbox has %d notifications, want 1", len(inbox))
			}
			// The printed inbox command: curl -G URL/_sim/inbox --data-urlencode token=TOKEN
			// (tokens with '/', as Huawei's, must survive).
			var byQuery []vendorsim.Delivered
			doJSON(t, client, http.MethodGet, v.URL+vendorsim.AdminPrefix+"inbox?"+neturl.Values{"token": {reg.Token}}.Encode(), "", &byQuery)
			if len(byQuery) != 1 || byQuery[0].MessageID != inbox[0].MessageID {
				t.Fatalf("inbox by query has %d notifications, want the same 1", len(byQuery))
			}
			d := inbox[0]
			if d.Title != n.Title || d.Body != n.Body || d.Ext != n.Ext {
				t.Errorf("phone shows title %q body %q ext %q, want %q %q %q", d.Title, d.Body, d.Ext, n.Title, n.Body, n.Ext)
			}
			if d.MessageID != rs[0].MessageID {
				t.Errorf("phone has message ID %q, sender reported %q", d.MessageID, rs[0].MessageID)
			}
		})
	}
}

func doJSON(tb testing.TB, client *http.Client, method, url, body string, v any) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s %s: HTTP %d", method, url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("%s %s: decode: %v", method, url, err)
	}
}

func TestServers_Open(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// Each vendor gets the next port after Port, in the order of push.Vendors.
		first := freePortRun(t, len(push.Vendors))
		s := simulate.NewServers()
		s.Port = first
		s.Dir = t.TempDir()
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i, v := range s.Vendors() {
			want := net.JoinHostPort("127.0.0.1", strconv.Itoa(first+i))
			if !strings.HasSuffix(v.URL, "://"+want) {
				t.Errorf("%s listens at %s, want %s", v.Vendor, v.URL, want)
			}
		}
		for _, f := range []string{simulate.CertificatesFile, simulate.APNsCAFile, simulate.FCMServiceAccountFile, simulate.APNsKeyFile} {
			if _, err := os.Stat(filepath.Join(s.Dir, f)); err != nil {
				t.Errorf("Open did not write %s: %v", f, err)
			}
		}
	})
	t.Run("ErrPortInUse", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s := simulate.NewServers()
		s.Port = ln.Addr().(*net.TCPAddr).Port
		s.Dir = t.TempDir()
		if err := s.Open(); err == nil {
			s.Close()
			t.Fatal("Open on a port in use succeeded")
		}
		if vs := s.Vendors(); len(vs) != 0 {
			t.Errorf("Open failed but left %d simulators", len(vs))
		}
	})
}

// freePortRun finds n consecutive free ports on 127.0.0.1 and returns the first.
func freePortRun(tb testing.TB, n int) int {
	tb.Helper()
	// Look below Linux's ephemeral range (32768–60999), where the other tests' client
	// connections and :0 listeners take their ports, so a run of n stays free.
	for try := 0; try < 200; try++ {
		first := 20000 + rand.IntN(12000-n)
		ok := true
		for p := first; p < first+n && ok; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return first
		}
	}
	tb.Fatalf("no %d consecutive free ports", n)
	return 0
}
