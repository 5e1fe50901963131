package app

import (
	"net"
	"net/http"
	"time"
)

// HTTP limits of the node's server. A client that never finishes its request must not
// hold a connection (and a file descriptor) for long: descriptors are what real logins
// and /healthz need.
const (
	// DefaultBodyReadTimeout bounds reading a whole request, body included, on the
	// admin API and /v4/ (a body trickled one byte every few seconds is cut off).
	DefaultBodyReadTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection with no request in flight.
	DefaultIdleTimeout = 60 * time.Second
	// ReadHeaderTimeout bounds reading a request's header, on every route.
	ReadHeaderTimeout = 10 * time.Second
	// MaxHeaderBytes bounds a request's header.
	MaxHeaderBytes = 64 << 10
)

// httpKeepAlive is the TCP keep-alive of HTTP connections: what net.Listen sets by
// default (the first probe after 15 s idle, then every 15 s, nine in all).
var httpKeepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 15 * time.Second, Count: 9}

// readDeadline makes h's requests fail to read past d after they arrive: the deadline
// covers the whole request, body included, and a read past it fails with a timeout, so
// the handler answers an error and the server drops the connection. The body size caps
// are the APIs' own (api.MaxBodyBytes, tencent.MaxBodyBytes: 1 MiB).
func readDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not every ResponseWriter supports deadlines (a test recorder); then no bound.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		h.ServeHTTP(w, r)
	})
}

// bodyReadTimeout is c's BodyReadTimeout or the default.
func (c Config) bodyReadTimeout() time.Duration {
	if c.BodyReadTimeout > 0 {
		return c.BodyReadTimeout
	}
	return DefaultBodyReadTimeout
}
