package fcm_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	simfcm "github.com/herald-im/herald/internal/vendorsim/fcm"
)

type fixture struct {
	sim *simfcm.Server
	srv *httptest.Server
	app *simfcm.App
	key *rsa.PrivateKey
}

// MustStart starts a simulator with one app.
func MustStart(tb testing.TB) *fixture {
	tb.Helper()
	sim := simfcm.New()
	srv := httptest.NewServer(sim)
	tb.Cleanup(srv.Close)
	sim.BaseURL = srv.URL
	app, err := sim.CreateApp("proj-a")
	if err != nil {
		tb.Fatal(err)
	}
	var sa struct {
		PrivateKey string `json:"private_key"`
	}
	json.Unmarshal(app.ServiceAccount, &sa)
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{sim: sim, srv: srv, app: app, key: k.(*rsa.PrivateKey)}
}

// assertion signs claims with key and method.
func assertion(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func (f *fixture) claims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": f.app.ClientEmail, "aud": f.srv.URL + "/token",
		"scope": "https://www.googleapis.com/auth/firebase.messaging", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func (f *fixture) postToken(tb testing.TB, form url.Values) (int, map[string]any) {
	tb.Helper()
	resp, err := http.PostForm(f.srv.URL+"/token", form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// accessToken gets an access token the way the sender does, through x/oauth2/google.
func (f *fixture) accessToken(tb testing.TB) string {
	tb.Helper()
	conf, err := google.JWTConfigFromJSON(f.app.ServiceAccount, "https://www.googleapis.com/auth/firebase.messaging")
	if err != nil {
		tb.Fatal(err)
	}
	t, err := conf.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, f.srv.Client())).Token()
	if err != nil {
		tb.Fatal(err)
	}
	return t.AccessToken
}

func TestServer_Token(t *testing.T) {
	f := MustStart(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	grant := "urn:ietf:params:oauth:grant-type:jwt-bearer"
	with := func(edit func(c jwt.MapClaims)) jwt.MapClaims { c := f.claims(); edit(c); return c }
	tests := []struct {
		name      string
		form      url.Values
		status    int
		wantError string
	}{
		{"OK", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, f.claims())}}, 200, ""},
		{"OK_GoogleAudience", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, with(func(c jwt.MapClaims) { c["aud"] = "https://oauth2.googleapis.com/token" }))}}, 200, ""},
		{"ErrWrongKey", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, other, f.claims())}}, 400, "invalid_grant"},
		{"ErrWrongSignature", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, f.claims()) + "x"}}, 400, "invalid_grant"},
		{"ErrHS256", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodHS256, []byte("secret"), f.claims())}}, 400, "invalid_grant"},
		{"ErrUnknownAccount", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, with(func(c jwt.MapClaims) { c["iss"] = "x@y.iam.gserviceaccount.com" }))}}, 400, "invalid_grant"},
		{"ErrExpired", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, with(func(c jwt.MapClaims) {
			c["iat"] = time.Now().Add(-3 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-2 * time.Hour).Unix()
		}))}}, 400, "invalid_grant"},
		{"ErrTooLong", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(2 * time.Hour).Unix() }))}}, 400, "invalid_grant"},
		{"ErrAudience", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, with(func(c jwt.MapClaims) { c["aud"] = "https://example.com/token" }))}}, 400, "invalid_grant"},
		{"ErrScope", url.Values{"grant_type": {grant}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, with(func(c jwt.MapClaims) { c["scope"] = "https://www.googleapis.com/auth/drive" }))}}, 400, "invalid_scope"},
		{"ErrMissingAssertion", url.Values{"grant_type": {grant}}, 400, "invalid_request"},
		{"ErrGrantType", url.Values{"grant_type": {"client_credentials"}, "assertion": {assertion(t, jwt.SigningMethodRS256, f.key, f.claims())}}, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.sim.Stats()
			status, body := f.postToken(t, tt.form)
			if status != tt.status {
				t.Fatalf("status = %d (%v), want %d", status, body, tt.status)
			}
			after := f.sim.Stats()
			if after.AuthCalls != before.AuthCalls+1 {
				t.Errorf("auth calls moved by %d, want 1", after.AuthCalls-before.AuthCalls)
			}
			if tt.wantError == "" {
				if tok, _ := body["access_token"].(string); !strings.HasPrefix(tok, "ya29.") || body["expires_in"] != float64(3599) || body["token_type"] != "Bearer" {
					t.Errorf("body = %v, want a ya29. Bearer token for 3599 s", body)
				}
				return
			}
			if body["error"] != tt.wantError || after.Rejected != before.Rejected+1 {
				t.Errorf("body = %v, rejected %d→%d; want error %q counted", body, before.Rejected, after.Rejected, tt.wantError)
			}
		})
	}
}

func TestServer_Send(t *testing.T) {
	f := MustStart(t)
	access := f.accessToken(t)
	tok := f.sim.Register("proj-a")
	if !strings.Contains(tok, ":APA91b") || len(tok) < 150 {
		t.Fatalf("token %q does not look like an FCM registration token", tok)
	}
	b, _ := f.sim.CreateApp("proj-b")
	foreign := f.sim.Register(b.ProjectID)
	gone := f.sim.Register("proj-a")
	f.sim.Unregister(gone)
	msg := func(token string, extra string) string {
		return `{"message":{"token":"` + token + `","notification":{"title":"t","body":"b"}` + extra + `}}`
	}
	tests := []struct {
		name      string
		project   string
		auth      string
		body      string
		status    int
		rpcStatus string
		errorCode string
	}{
		{"OK", "proj-a", access, msg(tok, `,"data":{"ext":"x"},"android":{"priority":"HIGH","ttl":"60s","notification":{"channel_id":"c","notification_count":2}}`), 200, "", ""},
		// The Firebase Admin SDKs (Go, Node, Java) send android.priority in lower case:
		// messaging.AndroidConfig{Priority: "high"} is marshalled as is.
		{"OK_AdminSDKPriorityHigh", "proj-a", access, msg(tok, `,"android":{"priority":"high","ttl":"3600s"}`), 200, "", ""},
		{"OK_AdminSDKPriorityNormal", "proj-a", access, msg(tok, `,"android":{"priority":"normal"}`), 200, "", ""},
		{"ErrNoAuth", "proj-a", "", msg(tok, ""), 401, "UNAUTHENTICATED", ""},
		{"ErrUnknownAccessToken", "proj-a", "ya29.forged", msg(tok, ""), 401, "UNAUTHENTICATED", ""},
		{"ErrOtherProject", "proj-b", access, msg(foreign, ""), 403, "PERMISSION_DENIED", ""},
		{"ErrUnknownField", "proj-a", access, msg(tok, `,"badge":1`), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrDataNotString", "proj-a", access, msg(tok, `,"data":{"n":1}`), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrPriority", "proj-a", access, msg(tok, `,"android":{"priority":"URGENT"}`), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrTTL", "proj-a", access, msg(tok, `,"android":{"ttl":"60"}`), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrTooBig", "proj-a", access, msg(tok, `,"data":{"ext":"`+strings.Repeat("x", 4100)+`"}`), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrNoTarget", "proj-a", access, `{"message":{"notification":{"title":"t"}}}`, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrTwoTargets", "proj-a", access, `{"message":{"token":"` + tok + `","topic":"news"}}`, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrManyTokens", "proj-a", access, `{"message":{"token":["` + tok + `","` + gone + `"]}}`, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrMalformedToken", "proj-a", access, msg("abc", ""), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrNeverIssued", "proj-a", access, msg(simfcm.NewRegistrationToken(), ""), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"ErrUnregistered", "proj-a", access, msg(gone, ""), 404, "NOT_FOUND", "UNREGISTERED"},
		{"ErrSenderIDMismatch", "proj-a", access, msg(foreign, ""), 403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.sim.Stats()
			req, _ := http.NewRequest("POST", f.srv.URL+"/v1/projects/"+tt.project+"/messages:send", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", "Bearer "+tt.auth)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d %s, want %d", resp.StatusCode, raw, tt.status)
			}
			after := f.sim.Stats()
			if tt.status == 200 {
				var ok struct{ Name string }
				json.Unmarshal(raw, &ok)
				if !strings.HasPrefix(ok.Name, "projects/proj-a/messages/") || after.Notifications != before.Notifications+1 {
					t.Errorf("answer %s, notifications %d→%d; want a message name and one delivery", raw, before.Notifications, after.Notifications)
				}
				return
			}
			var eb struct {
				Error struct {
					Code    int
					Status  string
					Details []struct {
						ErrorCode string `json:"errorCode"`
					}
				}
			}
			json.Unmarshal(raw, &eb)
			code := ""
			if len(eb.Error.Details) > 0 {
				code = eb.Error.Details[0].ErrorCode
			}
			if eb.Error.Code != tt.status || eb.Error.Status != tt.rpcStatus || code != tt.errorCode {
				t.Errorf("error = %s, want status %s errorCode %q", raw, tt.rpcStatus, tt.errorCode)
			}
			if after.Rejected != before.Rejected+1 || after.Notifications != before.Notifications {
				t.Errorf("rejected %d→%d, notifications %d→%d; want one rejection, no delivery", before.Rejected, after.Rejected, before.Notifications, after.Notifications)
			}
		})
	}
}

func TestServer_Send_ExpiredAccessToken(t *testing.T) {
	f := MustStart(t)
	access := f.accessToken(t)
	tok := f.sim.Register("proj-a")
	now := time.Now()
	f.sim.Now = func() time.Time { return now.Add(time.Hour) }
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/projects/proj-a/messages:send", strings.NewReader(`{"message":{"token":"`+tok+`"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || !strings.Contains(string(raw), `"UNAUTHENTICATED"`) {
		t.Errorf("answer %d %s, want 401 UNAUTHENTICATED", resp.StatusCode, raw)
	}
}
