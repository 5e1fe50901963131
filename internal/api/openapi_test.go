package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/herald-im/herald/internal/api"
	"github.com/herald-im/herald/internal/sandbox"
)

// openAPIFile is the OpenAPI description of the admin API.
const openAPIFile = "../../docs/openapi.yaml"

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(openAPIFile)
	if err != nil {
		t.Fatalf("load %s: %v", openAPIFile, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not valid OpenAPI 3: %v", openAPIFile, err)
	}
	return doc
}

// documented returns "METHOD /path" for each operation of doc.
func documented(doc *openapi3.T) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// sandboxRoutes are the sandbox's admin calls (sandbox.Sandbox.Routes). A node started
// with --sandbox mounts them beside Handler, on its own mux (app.Main.Handler), so
// Server.Routes does not list them; docs/openapi.yaml documents them under the tag
// sandbox.
func sandboxRoutes(t *testing.T) map[string]sandbox.Handler {
	return sandbox.New(t.TempDir()).Routes()
}

// TestOpenAPI_Routes fails when docs/openapi.yaml and the admin routes drift apart:
// a route served (by the admin router or a sandbox node) but not documented, or
// documented but not served.
func TestOpenAPI_Routes(t *testing.T) {
	doc := loadOpenAPI(t)
	s := api.NewServer(nil, nil, nil)
	routes := s.Routes()
	if !slices.Contains(routes, api.CatchAll) {
		t.Errorf("the router has no catch-all %q for unknown calls", api.CatchAll)
	}
	sb := sandboxRoutes(t)
	for pattern := range sb {
		routes = append(routes, pattern)
	}
	ops := documented(doc)
	for _, r := range routes {
		if r != api.CatchAll && !slices.Contains(ops, r) {
			t.Errorf("route %q is served but not documented in %s", r, openAPIFile)
		}
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("%s documents %q, which the router does not serve", openAPIFile, op)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			_, inSandbox := sb[method+" "+path]
			if tagged := slices.Contains(op.Tags, "sandbox"); tagged != inSandbox {
				t.Errorf("%s %s: tagged sandbox %v, a sandbox route %v", method, path, tagged, inSandbox)
			}
		}
	}

	// Each documented operation, with its path parameters filled, reaches its own
	// route, not another one or the catch-all: on a mux like a sandbox node's, the
	// admin router under /v1/admin/ and the sandbox's calls beside it.
	type matcher interface {
		Handler(r *http.Request) (http.Handler, string)
	}
	mux, ok := s.Handler().(matcher)
	if !ok {
		t.Fatal("the admin handler cannot say which pattern a request matches")
	}
	node := http.NewServeMux()
	node.Handle(api.CatchAll, s.Handler())
	for pattern := range sb {
		node.Handle(pattern, http.NotFoundHandler())
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, param.ReplaceAllString(path, "1")+"?sdkappid=1", nil)
		_, pattern := node.Handler(req)
		if pattern == api.CatchAll {
			_, pattern = mux.Handler(req)
		}
		if pattern != op {
			t.Errorf("%s %s reaches %q, want %q", method, req.URL.Path, pattern, op)
		}
	}
}

// TestOpenAPI_Operations checks that each operation says what it is and how it fails,
// and that the document states the admin authentication.
func TestOpenAPI_Operations(t *testing.T) {
	doc := loadOpenAPI(t)
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/admin/") {
			t.Errorf("path %s is outside the admin API", path)
		}
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.Summary == "" || op.OperationID == "" || len(op.Tags) == 0 {
				t.Errorf("%s: want a summary, an operationId and a tag", name)
			}
			if prev := ids[op.OperationID]; prev != "" {
				t.Errorf("%s and %s share operationId %s", name, prev, op.OperationID)
			}
			ids[op.OperationID] = name
			if op.Responses.Value("200") == nil || op.Responses.Default() == nil {
				t.Errorf("%s: want a 200 answer and the default error", name)
			}
			if (method == http.MethodPatch) != (op.RequestBody != nil) && method != http.MethodPost {
				t.Errorf("%s: a request body only for POST and PATCH", name)
			}
		}
	}
	var schemes []string
	for _, req := range doc.Security {
		for k := range req {
			schemes = append(schemes, k)
		}
	}
	sort.Strings(schemes)
	if !slices.Equal(schemes, []string{"identifier", "sdkappid", "usersig"}) {
		t.Errorf("security %v: every call needs sdkappid, identifier and usersig", schemes)
	}
}
