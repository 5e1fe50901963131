// Package console serves Herald's admin web console under /console/ (docs/console.md):
// push certificates, device status, test push, message trace, stats, tags and attributes,
// webhooks, app settings and, on a sandbox node, simulated phones.
//
// The pages are html/template shells and a little plain JavaScript and CSS embedded in
// the binary; they carry no data. The browser signs in with the app's SDKAppID, admin
// identifier and an admin UserSig, keeps them in sessionStorage and calls the admin REST
// API (/v1/admin/...) with them, so everything the console shows or changes goes through
// the API's own authentication.
package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

// Prefix is the path the console is served under.
const Prefix = "/console/"

// ContentSecurityPolicy is sent with every console answer: scripts, styles and API calls
// come from the node itself only, with no inline script or style, and no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// page is one console page: its path under Prefix, its template and its menu label.
type page struct {
	Path  string // under Prefix; "" is the sign-in page
	Name  string // the template and the data-page attribute the script keys on
	Title string
}

// pages are the console's pages, in menu order after the sign-in page.
var pages = []page{
	{"", "signin", "Sign in"},
	{"certificates", "certificates", "Certificates"},
	{"devices", "devices", "Device status"},
	{"test", "test", "Test push"},
	{"trace", "trace", "Message trace"},
	{"stats", "stats", "Stats"},
	{"broadcasts", "broadcasts", "Broadcasts"},
	{"tags", "tags", "Tags & attributes"},
	{"webhooks", "webhooks", "Webhooks"},
	{"settings", "settings", "App settings"},
	{"phones", "phones", "Phones"},
}

// Server serves the console's pages and assets. It is safe for concurrent use.
type Server struct {
	pages  map[string][]byte // rendered pages by path under Prefix
	static http.Handler
}

// NewServer returns a console server with its pages rendered. It panics if an embedded
// template is broken, which the package's tests rule out.
func NewServer() *Server {
	s := &Server{pages: map[string][]byte{}}
	for _, p := range pages {
		t := template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+p.Name+".html"))
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, "layout", map[string]any{"Page": p, "Menu": pages[1:], "Prefix": Prefix})
		if err != nil {
			panic("console: render " + p.Name + ": " + err.Error())
		}
		s.pages[p.Path] = buf.Bytes()
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic("console: " + err.Error())
	}
	s.static = http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	return s
}

// ServeHTTP serves the page or asset under Prefix that r names, with the security
// headers on every answer; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(rest, "static/") && !strings.HasSuffix(rest, "/") {
		// Assets change with the binary; revalidating keeps an upgraded node's console current.
		h.Set("Cache-Control", "no-cache")
		s.static.ServeHTTP(w, r)
		return
	}
	body, ok := s.pages[rest]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.Write(body)
}
