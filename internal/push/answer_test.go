package push_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/push"
)

func TestReadAnswer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(strings.Repeat("x", 100)))
		}))
		t.Cleanup(srv.Close)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		resp, body, err := push.ReadAnswer(srv.Client(), req, 10)
		if err != nil {
			t.Fatalf("ReadAnswer error %v", err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" {
			t.Errorf("ReadAnswer status %d, Retry-After %q; want 503, 7", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if string(body) != strings.Repeat("x", 10) {
			t.Errorf("ReadAnswer body %q, want the first 10 bytes", body)
		}
	})
	t.Run("ErrTransport", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens any more
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		if resp, body, err := push.ReadAnswer(srv.Client(), req, 10); err == nil || resp != nil || body != nil {
			t.Errorf("ReadAnswer to a closed server = %v, %q, %v; want an error", resp, body, err)
		}
	})
}
