package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/console"
)

func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// checkSecurityHeaders checks the headers every console answer carries.
func checkSecurityHeaders(t *testing.T, path string, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": console.ContentSecurityPolicy,
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", path, k, got, v)
		}
	}
}

func TestServer_Pages(t *testing.T) {
	s := console.NewServer()
	pages := map[string]string{
		"/console/":             "signin",
		"/console/certificates": "certificates",
		"/console/devices":      "devices",
		"/console/test":         "test",
		"/console/trace":        "trace",
		"/console/stats":        "stats",
		"/console/settings":     "settings",
		"/console/tags":         "tags",
		"/console/broadcasts":   "broadcasts",
		"/console/webhooks":     "webhooks",
		"/console/phones":       "phones",
	}
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	for path, name := range pages {
		t.Run(name, func(t *testing.T) {
			res, body := get(t, s, "GET", path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", path, res.StatusCode)
			}
			checkSecurityHeaders(t, path, res.Header)
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type %q", path, ct)
			}
			for _, want := range []string{
				`<body data-page="` + name + `">`,
				`<script src="/console/static/console.js" defer></script>`,
				`<link rel="stylesheet" href="/console/static/console.css">`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: no %s in the page", path, want)
				}
			}
			// No heading repeats another: the page's h1 is not an h2 below it.
			seen := map[string]bool{}
			for _, h := range regexp.MustCompile(`<h[1-3][^>]*>([^<]*)</h[1-3]>`).FindAllStringSubmatch(body, -1) {
				if seen[h[1]] {
					t.Errorf("GET %s: the heading %q appears twice", path, h[1])
				}
				seen[h[1]] = true
			}
			// The CSP forbids inline script, style and handlers; the page must not need them.
			if inlineScript.MatchString(body) || strings.Contains(body, "style=") || regexp.MustCompile(`\son[a-z]+=`).MatchString(body) {
				t.Errorf("GET %s: the page has inline script, style or an event handler attribute", path)
			}
		})
	}
}

func TestServer_SignInSaysHowToGetAUserSig(t *testing.T) {
	_, body := get(t, console.NewServer(), "GET", "/console/")
	for _, want := range []string{"herald usersig --sdkappid", "sessionStorage", `name="sdkappid"`, `name="identifier"`, `name="usersig"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the sign-in page does not contain %q", want)
		}
	}
}

func TestServer_Assets(t *testing.T) {
	s := console.NewServer()
	for _, tt := range []struct {
		path, contentType, contains string
	}{
		{"/console/static/console.js", "text/javascript; charset=utf-8", "sessionStorage"},
		{"/console/static/console.css", "text/css; charset=utf-8", "font-family"},
	} {
		res, body := get(t, s, "GET", tt.path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", tt.path, res.StatusCode)
		}
		checkSecurityHeaders(t, tt.path, res.Header)
		if ct := res.Header.Get("Content-Type"); ct != tt.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, ct, tt.contentType)
		}
		if !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: no %q in the body", tt.path, tt.contains)
		}
	}
}

// The script puts API data on the page as text only.
func TestServer_ScriptWritesNoHTML(t *testing.T) {
	_, body := get(t, console.NewServer(), "GET", "/console/static/console.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(body, bad) {
			t.Errorf("console.js uses %s", bad)
		}
	}
}

func TestServer_Errors(t *testing.T) {
	s := console.NewServer()
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/console/nope", http.StatusNotFound},
		{"GET", "/console/static/", http.StatusNotFound},
		{"GET", "/console/static/nope.js", http.StatusNotFound},
		{"GET", "/console/templates/layout.html", http.StatusNotFound},
		{"POST", "/console/", http.StatusMethodNotAllowed},
	} {
		res, body := get(t, s, tt.method, tt.path)
		if res.StatusCode != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
		}
		checkSecurityHeaders(t, tt.path, res.Header)
		if strings.Contains(body, "<a href") {
			t.Errorf("%s %s: a directory listing: %s", tt.method, tt.path, body)
		}
	}
}
