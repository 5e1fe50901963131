// Package fcm simulates Firebase Cloud Messaging HTTP v1 (vendors.md §1): Google's OAuth
// token endpoint for service accounts (POST /token, the JWT-bearer grant) and
// POST /v1/projects/{project}/messages:send, on one server.
//
// The token endpoint verifies the assertion's RS256 signature against the public key of
// the service account CreateApp generated, and checks iss, aud, scope, iat and exp. It
// issues short-lived access tokens ("ya29.…"); messages:send refuses an unknown or expired
// one with 401 UNAUTHENTICATED and one of another project with 403 PERMISSION_DENIED.
// Messages are decoded strictly (unknown fields, wrong types and bad enums are 400
// INVALID_ARGUMENT), limited to 4096 bytes without the token, and answered with FCM's
// google.rpc error shapes: UNREGISTERED (404) for an uninstalled app, SENDER_ID_MISMATCH
// (403) for a token of another project, INVALID_ARGUMENT (400) for a token FCM never
// issued.
package fcm

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
)

// Defaults of a Server made by New.
const (
	// DefaultTokenLifetime is the expires_in of issued access tokens (vendors.md §1.1).
	DefaultTokenLifetime = 3599 * time.Second
	// GoogleTokenURL is the real token_uri; assertions addressed to it are accepted too.
	GoogleTokenURL = "https://oauth2.googleapis.com/token"
)

// Limits the simulator enforces (vendors.md §1.1, §1.2).
const (
	maxPayloadBytes   = 4096
	maxAssertionLife  = time.Hour
	clockSkew         = 5 * time.Minute
	scopeMessaging    = "https://www.googleapis.com/auth/firebase.messaging"
	scopeCloudPlatorm = "https://www.googleapis.com/auth/cloud-platform"
	grantJWTBearer    = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// App is one simulated Firebase project with a service account.
type App struct {
	ProjectID   string
	ClientEmail string
	// ServiceAccount is the service-account JSON to put in push.Certificate.ServiceAccount;
	// its token_uri points at the simulator.
	ServiceAccount []byte

	key *rsa.PublicKey
}

// Server is the FCM simulator. Set BaseURL before CreateApp. Its methods are safe for
// concurrent use.
type Server struct {
	*vendorsim.Sim
	// BaseURL is where the server is reachable (e.g. an httptest URL); CreateApp writes
	// BaseURL+"/token" into service accounts.
	BaseURL string
	// TokenLifetime is how long issued access tokens live. Default: DefaultTokenLifetime.
	TokenLifetime time.Duration

	mu       sync.Mutex      // protects the maps below
	apps     map[string]*App // by project ID
	accounts map[string]*App // by client_email
	tokens   map[string]issued

	mux *http.ServeMux
}

// issued is an access token the simulator handed out.
type issued struct {
	projectID string
	expires   time.Time
}

// New returns an FCM simulator whose phones get tokens in FCM's registration-token format.
func New() *Server {
	s := &Server{
		Sim:           vendorsim.NewSim("fcm"),
		TokenLifetime: DefaultTokenLifetime,
		apps:          map[string]*App{},
		accounts:      map[string]*App{},
		tokens:        map[string]issued{},
	}
	s.Sim.NewToken = func(string) string { return NewRegistrationToken() }
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /token", s.handleToken)
	s.mux.HandleFunc("POST /v1/projects/{project}/messages:send", s.handleSend)
	s.mux.Handle(vendorsim.AdminPrefix, s.AdminHandler())
	return s
}

// ServeHTTP serves the token endpoint, messages:send and the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// NewRegistrationToken returns a token shaped like an FCM registration token: a 22-character
// instance ID, ":APA91b" and 134 base64url characters.
func NewRegistrationToken() string {
	b := make([]byte, 16+101)
	rand.Read(b)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(b[:16])[:22] + ":APA91b" + enc.EncodeToString(b[16:])[:134]
}

// CreateApp creates a Firebase project with a service account (a new RSA key) and returns
// it. Register phones with s.Register(app.ProjectID).
func (s *Server) CreateApp(projectID string) (*App, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	app := &App{
		ProjectID:   projectID,
		ClientEmail: "firebase-adminsdk-" + vendorsim.RandomHex(3) + "@" + projectID + ".iam.gserviceaccount.com",
		key:         &key.PublicKey,
	}
	app.ServiceAccount, err = json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  projectID,
		"private_key_id":              vendorsim.RandomHex(20),
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                app.ClientEmail,
		"client_id":                   "1" + vendorsim.RandomHex(10),
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   strings.TrimSuffix(s.BaseURL, "/") + "/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal service account: %w", err)
	}
	s.mu.Lock()
	s.apps[projectID] = app
	s.accounts[app.ClientEmail] = app
	s.mu.Unlock()
	return app, nil
}

func (s *Server) tokenLifetime() time.Duration {
	if s.TokenLifetime <= 0 {
		return DefaultTokenLifetime
	}
	return s.TokenLifetime
}

// Errors are written by one of these two functions, which also count the rejection.

// writeOAuthError writes a Google OAuth error ({"error":…,"error_description":…}).
func (s *Server) writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	s.CountRejected()
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// rpcError is a google.rpc status answer of FCM (vendors.md §1.4).
type rpcError struct {
	status     int
	rpcStatus  string // INVALID_ARGUMENT, NOT_FOUND, …
	message    string
	fcmCode    string // details[FcmError].errorCode; empty for none
	details    []map[string]any
	retryAfter time.Duration
}

func (s *Server) writeRPCError(w http.ResponseWriter, e rpcError) {
	s.CountRejected()
	details := []map[string]any{}
	if e.fcmCode != "" {
		details = append(details, map[string]any{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": e.fcmCode})
	}
	details = append(details, e.details...)
	body := map[string]any{"code": e.status, "message": e.message, "status": e.rpcStatus}
	if len(details) > 0 {
		body["details"] = details
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(e.retryAfter.Seconds())))
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
