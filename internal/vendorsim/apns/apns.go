// Package apns simulates Apple's HTTP/2 provider API (vendors.md §2): POST
// /3/device/{token} over TLS, with a certificate authority of its own that signs the
// server certificate and the push certificates it issues.
//
// Token auth: the ES256 provider token is verified against the public key of a .p8 made by
// CreateKey (403 InvalidProviderToken for a bad signature, unknown key or wrong team; 403
// ExpiredProviderToken when its iat is more than an hour old). When TokenUpdateInterval is
// set, a connection whose provider token changes sooner than that is refused with 429
// TooManyProviderTokenUpdates. Certificate auth: the TLS client certificate must be one
// CreateCertificate issued; it covers its bundle ID and the bundle's ".voip" topic.
//
// Requests are checked as APNs checks them: apns-topic (required with token auth, 400
// MissingTopic, BadTopic, TopicDisallowed), apns-push-type against the topic (400
// InvalidPushType: voip goes to the ".voip" topic and only there), apns-priority,
// apns-expiration, apns-collapse-id (64 bytes), apns-id (a UUID), the device token (64
// hex digits, else 400 BadDeviceToken; a token of another bundle is 400
// DeviceTokenNotForTopic; an uninstalled app is 410 Unregistered with a timestamp in Unix
// milliseconds) and the payload (JSON with an "aps" dictionary; 413 PayloadTooLarge above
// 4096 bytes).
package apns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/herald-im/herald/internal/vendorsim"
)

// App is one simulated iOS app: its bundle ID and the team that owns it.
type App struct {
	BundleID string
	TeamID   string
}

// Key is a token-auth signing key as Apple's developer site hands it out.
type Key struct {
	KeyID  string
	TeamID string
	P8     []byte // the .p8: PKCS#8 EC P-256 private key in PEM

	pub *ecdsa.PublicKey
}

// Server is the APNs simulator. Serve it with TLSConfig (e.g. httptest's TLS field with
// EnableHTTP2) and give clients RootCAs. Its methods are safe for concurrent use.
type Server struct {
	*vendorsim.Sim
	// TokenUpdateInterval, when positive, refuses a provider token that replaces another
	// on the same connection sooner than this with 429 TooManyProviderTokenUpdates. Apple
	// asks for at least 20 minutes. Default 0: not checked.
	TokenUpdateInterval time.Duration

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	tlsCrt tls.Certificate

	mu       sync.Mutex         // protects the maps below
	apps     map[string]*App    // by bundle ID
	keys     map[string]*Key    // by key ID
	certs    map[string]string  // push certificate serial → bundle ID
	verified map[string]*bearer // provider tokens already verified
	conns    map[string]*bearer // remote address → the connection's provider token

	admin http.Handler
}

// bearer is a verified provider token.
type bearer struct {
	raw      string
	teamID   string
	issuedAt time.Time
	since    time.Time // when the connection started using it
}

// New returns an APNs simulator with a new certificate authority. It panics only if the
// system's random source fails.
func New() *Server {
	s := &Server{
		Sim:      vendorsim.NewSim("apns"),
		apps:     map[string]*App{},
		keys:     map[string]*Key{},
		certs:    map[string]string{},
		verified: map[string]*bearer{},
		conns:    map[string]*bearer{},
	}
	var err error
	s.caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("apns sim: generate CA key: %v", err))
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Herald APNs Simulator CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &s.caKey.PublicKey, s.caKey)
	if err != nil {
		panic(fmt.Sprintf("apns sim: create CA: %v", err))
	}
	s.caCert, _ = x509.ParseCertificate(der)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "api.sandbox.push.apple.com"},
		DNSNames:     []string{"localhost", "api.push.apple.com", "api.sandbox.push.apple.com"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, s.caCert, &srvKey.PublicKey, s.caKey)
	if err != nil {
		panic(fmt.Sprintf("apns sim: create server certificate: %v", err))
	}
	s.tlsCrt = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	s.admin = s.AdminHandler()
	return s
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// TLSConfig returns the server's TLS configuration: HTTP/2 only, its certificate, and
// client certificates verified against its CA when given.
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.caCert)
	return &tls.Config{
		Certificates: []tls.Certificate{s.tlsCrt},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS12,
	}
}

// RootCAs returns a pool with the simulator's CA, for apns.Sender.RootCAs.
func (s *Server) RootCAs() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.caCert)
	return pool
}

// CACertPEM returns the simulator's CA certificate in PEM, for clients that load trusted
// roots from a file (curl --cacert, SSL_CERT_FILE).
func (s *Server) CACertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.caCert.Raw})
}

// CreateApp registers an app (bundle ID) of a team. Register phones with
// s.Register(bundleID).
func (s *Server) CreateApp(bundleID, teamID string) *App {
	app := &App{BundleID: bundleID, TeamID: teamID}
	s.mu.Lock()
	s.apps[bundleID] = app
	s.mu.Unlock()
	return app
}

// NewID returns a random 10-character Apple key or team ID.
func NewID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// CreateKey makes a token-auth key of teamID and returns its .p8, key ID and team ID.
func (s *Server) CreateKey(teamID string) (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	k := &Key{KeyID: NewID(), TeamID: teamID, P8: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), pub: &priv.PublicKey}
	s.mu.Lock()
	s.keys[k.KeyID] = k
	s.mu.Unlock()
	return k, nil
}

// CreateCertificate issues a push certificate for bundleID, valid from now for validFor,
// and exports it with its private key as a .p12 protected by password (the legacy
// 3DES encryption Keychain uses).
func (s *Server) CreateCertificate(bundleID, password string, validFor time.Duration) ([]byte, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	now := s.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{
			CommonName: "Apple Push Services: " + bundleID,
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: []int{0, 9, 2342, 19200300, 100, 1, 1}, Value: bundleID}}, // UID
		},
		NotBefore:   now.Add(-time.Minute),
		NotAfter:    now.Add(validFor),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.caCert, &priv.PublicKey, s.caKey)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	p12, err := pkcs12.Legacy.Encode(priv, cert, nil, password)
	if err != nil {
		return nil, fmt.Errorf("encode p12: %w", err)
	}
	s.mu.Lock()
	s.certs[cert.SerialNumber.String()] = bundleID
	s.mu.Unlock()
	return p12, nil
}

// ServeHTTP serves POST /3/device/{token} and the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, vendorsim.AdminPrefix):
		s.admin.ServeHTTP(w, r)
	case !strings.HasPrefix(r.URL.Path, "/3/device/"):
		s.reject(w, http.StatusNotFound, "BadPath", "")
	case r.Method != http.MethodPost:
		s.reject(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "")
	default:
		s.handlePush(w, r)
	}
}
