package api

import "net/http"

// router is a ServeMux that remembers the patterns registered on it, so that the
// routes served can be listed (Routes) and checked against docs/openapi.yaml.
type router struct {
	*http.ServeMux
	patterns []string
}

func newRouter() *router { return &router{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern, as ServeMux.Handle does, and records the pattern.
func (r *router) Handle(pattern string, h http.Handler) {
	r.patterns = append(r.patterns, pattern)
	r.ServeMux.Handle(pattern, h)
}

// CatchAll is the pattern of the admin API's answer to a call it does not know
// (40002 unknown_op, HTTP 404); Routes lists it too.
const CatchAll = "/v1/admin/"

// Routes returns the patterns Handler serves ("POST /v1/admin/messages", …), in the
// order they are registered. docs/openapi.yaml documents each but CatchAll.
func (s *Server) Routes() []string {
	return append([]string(nil), s.Handler().(*router).patterns...)
}
