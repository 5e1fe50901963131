package gateway

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/errcode"
)

// Defaults of the limits on connections that have not logged in: each holds a
// descriptor, so a client that never logs in must not keep it, and one address must
// not take them all.
const (
	// DefaultLoginTimeout is how long a new connection has to log in.
	DefaultLoginTimeout = 10 * time.Second
	// DefaultMaxUnauthPerAddr bounds the connections of one source address that have not
	// logged in yet. Real clients log in within milliseconds of connecting, so even many
	// phones behind one NAT seldom have more than a few waiting at once; a proxy on the
	// same host (every client from 127.0.0.1) or a load generator may have hundreds.
	DefaultMaxUnauthPerAddr = 256
)

// sourceAddr is the IP a request came from. Behind a proxy that is the proxy's: the
// limit then applies to it as a whole (headers such as X-Forwarded-For are not
// trusted, as any client can set them).
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// admit counts a new unauthenticated connection from addr, or refuses it when addr
// has MaxUnauthPerAddr already.
func (g *Server) admit(addr string) bool {
	if g.MaxUnauthPerAddr <= 0 {
		return true
	}
	g.unauthMu.Lock()
	defer g.unauthMu.Unlock()
	if g.unauth[addr] >= g.MaxUnauthPerAddr {
		return false
	}
	if g.unauth == nil {
		g.unauth = map[string]int{}
	}
	g.unauth[addr]++
	return true
}

// release uncounts an unauthenticated connection of addr (it logged in or ended).
func (g *Server) release(addr string) {
	if g.MaxUnauthPerAddr <= 0 {
		return
	}
	g.unauthMu.Lock()
	defer g.unauthMu.Unlock()
	if g.unauth[addr]--; g.unauth[addr] <= 0 {
		delete(g.unauth, addr)
	}
}

// refuseBusy answers an upgrade from an address with too many connections waiting to
// log in, before the upgrade, so the connection ends at once.
func refuseBusy(w http.ResponseWriter, limit int) {
	code := errcode.RateLimited
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(code.HTTPStatus())
	json.NewEncoder(w).Encode(map[string]any{
		"code": int(code), "error": code.Name(),
		"message": "too many connections from this address have not logged in (at most " + strconv.Itoa(limit) + "); log in right after connecting",
	})
}

// authenticated releases the connection's unauthenticated slot, once.
func (s *session) authenticated() {
	s.authed.Store(true)
	if s.unauthAddr != "" {
		s.g.release(s.unauthAddr)
		s.unauthAddr = ""
	}
}
