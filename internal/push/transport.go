package push

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned (wrapped, naming the address) when a sender would dial a
// loopback, link-local, private or otherwise internal address while private endpoints
// are not allowed. A certificate's endpoint override is tenant input: without this check
// a tenant could make the node post vendor credentials to its own internal services.
var ErrPrivateAddress = errors.New("push: endpoint resolves to a private address")

// Transport is how every vendor sender reaches the network: which roots it trusts and
// whether it may dial internal addresses. The zero value trusts the system roots and
// refuses internal addresses.
type Transport struct {
	// RootCAs are the roots trusted for vendor hosts (--push-ca-file). Nil: the system's.
	RootCAs *x509.CertPool
	// AllowPrivate lets senders dial loopback, link-local and private addresses
	// (--push-allow-private-endpoints: simulators, private gateways).
	AllowPrivate bool
}

// Dialer returns a dialer whose Control hook refuses internal addresses unless
// AllowPrivate. The check runs on the address actually dialled, after DNS resolution, so
// a name that resolves to a public address first and a private one later (DNS
// rebinding) is still refused.
func (t Transport) Dialer() *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !t.AllowPrivate {
		d.Control = refusePrivate
	}
	return d
}

// TLSConfig returns a TLS client config trusting RootCAs.
func (t Transport) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: t.RootCAs, MinVersion: tls.VersionTLS12}
}

// HTTPTransport returns an HTTP/1.1 and HTTP/2 transport dialling through Dialer and
// trusting RootCAs, with maxIdlePerHost idle connections kept per host.
func (t Transport) HTTPTransport(maxIdlePerHost int) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           t.Dialer().DialContext,
		TLSClientConfig:       t.TLSConfig(),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   maxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Client returns an http.Client on HTTPTransport with the given overall timeout (0: none
// but the request's context).
func (t Transport) Client(timeout time.Duration, maxIdlePerHost int) *http.Client {
	return &http.Client{Timeout: timeout, Transport: t.HTTPTransport(maxIdlePerHost)}
}

// DialTLSContext dials addr through Dialer and runs the TLS handshake with cfg, for
// transports that take a TLS dial function (the HTTP/2-only APNs transport).
func (t Transport) DialTLSContext(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
	c, err := t.Dialer().DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// refusePrivate is a net.Dialer Control hook: it runs once the address is resolved,
// just before connect.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrPrivateAddress, address)
	}
	if IsPrivateAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// IsPrivateAddr reports whether a is not a public unicast address: loopback, private
// (RFC 1918, RFC 4193), link-local (cloud metadata at 169.254.169.254), unspecified,
// multicast, shared CGNAT space (100.64.0.0/10) or an IPv4 address mapped into IPv6.
func IsPrivateAddr(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(), a.IsMulticast(), a.IsUnspecified():
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// internalPrefixes are ranges netip has no predicate for.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 internals
}
