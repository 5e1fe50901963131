package apns_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sideshow/apns2/token"
	"golang.org/x/net/http2"
	"software.sslmate.com/src/go-pkcs12"

	simapns "github.com/herald-im/herald/internal/vendorsim/apns"
)

type fixture struct {
	sim    *simapns.Server
	srv    *httptest.Server
	key    *simapns.Key
	priv   *ecdsa.PrivateKey
	client *http.Client
}

// MustStart starts the simulator over HTTP/2 with TLS with one app of one team.
func MustStart(tb testing.TB) *fixture {
	tb.Helper()
	sim := simapns.New()
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = sim.TLSConfig()
	srv.EnableHTTP2 = true
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	team := simapns.NewID()
	sim.CreateApp("com.example.chat", team)
	key, err := sim.CreateKey(team)
	if err != nil {
		tb.Fatal(err)
	}
	priv, err := token.AuthKeyFromBytes(key.P8)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{sim: sim, srv: srv, key: key, priv: priv, client: h2Client(sim, nil)}
}

func h2Client(sim *simapns.Server, cert *tls.Certificate) *http.Client {
	conf := &tls.Config{RootCAs: sim.RootCAs()}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http2.Transport{TLSClientConfig: conf}}
}

func sign(tb testing.TB, priv *ecdsa.PrivateKey, kid, iss string, iat time.Time) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": iss, "iat": iat.Unix()})
	t.Header["kid"] = kid
	s, err := t.SignedString(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

type answer struct {
	status    int
	reason    string
	timestamp int64
	apnsID    string
}

func (f *fixture) do(tb testing.TB, c *http.Client, method, path string, h map[string]string, body string) answer {
	tb.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		tb.Fatalf("answered over HTTP/%d, want HTTP/2", resp.ProtoMajor)
	}
	raw, _ := io.ReadAll(resp.Body)
	var b struct {
		Reason    string
		Timestamp int64
	}
	json.Unmarshal(raw, &b)
	return answer{status: resp.StatusCode, reason: b.Reason, timestamp: b.Timestamp, apnsID: resp.Header.Get("apns-id")}
}

func TestServer_Push_TokenAuth(t *testing.T) {
	f := MustStart(t)
	tok := f.sim.Register("com.example.chat")
	gone := f.sim.Register("com.example.chat")
	f.sim.Unregister(gone)
	otherTeam := simapns.NewID()
	f.sim.CreateApp("com.other.app", otherTeam)
	f.sim.CreateApp("com.example.second", f.key.TeamID)
	second := f.sim.Register("com.example.second")
	otherPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := sign(t, f.priv, f.key.KeyID, f.key.TeamID, time.Now())
	auth := func(jwt string) map[string]string {
		return map[string]string{"authorization": "bearer " + jwt, "apns-topic": "com.example.chat", "apns-push-type": "alert"}
	}
	with := func(k, v string) map[string]string { h := auth(good); h[k] = v; return h }
	without := func(k string) map[string]string { h := auth(good); delete(h, k); return h }
	payload := `{"aps":{"alert":{"title":"t","body":"b"}},"ext":"x"}`
	withAll := func(kv ...string) map[string]string {
		h := auth(good)
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return h
	}
	// Apple's documented shapes: a background update is {"aps":{"content-available":1}} at
	// apns-priority 5 (10 is refused); a PushKit payload is free-form, no "aps" required.
	background := `{"aps":{"content-available":1},"acme1":"bar","acme2":42}`
	voip := withAll("apns-topic", "com.example.chat.voip", "apns-push-type", "voip", "apns-priority", "10")
	tests := []struct {
		name   string
		method string
		path   string
		h      map[string]string
		body   string
		status int
		reason string
	}{
		{"OK", "POST", "/3/device/" + tok, auth(good), payload, 200, ""},
		{"OK_Background", "POST", "/3/device/" + tok, withAll("apns-push-type", "background", "apns-priority", "5"), background, 200, ""},
		{"ErrBackgroundPriority10", "POST", "/3/device/" + tok, withAll("apns-push-type", "background", "apns-priority", "10"), background, 400, "BadPriority"},
		{"ErrBackgroundDefaultPriority", "POST", "/3/device/" + tok, with("apns-push-type", "background"), background, 400, "BadPriority"},
		{"OK_VoIPWithoutAps", "POST", "/3/device/" + tok, voip, `{"caller":"alice","call_id":"c1"}`, 200, ""},
		{"ErrVoIPNotObject", "POST", "/3/device/" + tok, voip, `[1]`, 400, "BadPayload"},
		{"ErrNoAuth", "POST", "/3/device/" + tok, without("authorization"), payload, 403, "MissingProviderToken"},
		{"ErrWrongKey", "POST", "/3/device/" + tok, auth(sign(t, otherPriv, f.key.KeyID, f.key.TeamID, time.Now())), payload, 403, "InvalidProviderToken"},
		{"ErrWrongSignature", "POST", "/3/device/" + tok, auth(good[:len(good)-4] + "AAAA"), payload, 403, "InvalidProviderToken"},
		{"ErrUnknownKeyID", "POST", "/3/device/" + tok, auth(sign(t, f.priv, "ABCDEFGHIJ", f.key.TeamID, time.Now())), payload, 403, "InvalidProviderToken"},
		{"ErrWrongTeam", "POST", "/3/device/" + tok, auth(sign(t, f.priv, f.key.KeyID, otherTeam, time.Now())), payload, 403, "InvalidProviderToken"},
		{"ErrExpiredToken", "POST", "/3/device/" + tok, auth(sign(t, f.priv, f.key.KeyID, f.key.TeamID, time.Now().Add(-61*time.Minute))), payload, 403, "ExpiredProviderToken"},
		{"ErrMissingTopic", "POST", "/3/device/" + tok, without("apns-topic"), payload, 400, "MissingTopic"},
		{"ErrUnknownTopic", "POST", "/3/device/" + tok, with("apns-topic", "com.nobody"), payload, 400, "BadTopic"},
		{"ErrOtherTeamsTopic", "POST", "/3/device/" + tok, with("apns-topic", "com.other.app"), payload, 400, "TopicDisallowed"},
		{"ErrVoIPOnAppTopic", "POST", "/3/device/" + tok, with("apns-push-type", "voip"), payload, 400, "InvalidPushType"},
		{"ErrAlertOnVoIPTopic", "POST", "/3/device/" + tok, with("apns-topic", "com.example.chat.voip"), payload, 400, "InvalidPushType"},
		{"ErrPriority", "POST", "/3/device/" + tok, with("apns-priority", "7"), payload, 400, "BadPriority"},
		{"ErrExpiration", "POST", "/3/device/" + tok, with("apns-expiration", "tomorrow"), payload, 400, "BadExpirationDate"},
		{"ErrCollapseID", "POST", "/3/device/" + tok, with("apns-collapse-id", strings.Repeat("c", 65)), payload, 400, "BadCollapseId"},
		{"ErrMessageID", "POST", "/3/device/" + tok, with("apns-id", "not-a-uuid"), payload, 400, "BadMessageId"},
		{"ErrPayloadTooLarge", "POST", "/3/device/" + tok, auth(good), `{"aps":{},"ext":"` + strings.Repeat("x", 4100) + `"}`, 413, "PayloadTooLarge"},
		{"ErrPayloadEmpty", "POST", "/3/device/" + tok, auth(good), "", 400, "PayloadEmpty"},
		{"ErrNoAps", "POST", "/3/device/" + tok, auth(good), `{"ext":"x"}`, 400, "BadPayload"},
		{"ErrShortToken", "POST", "/3/device/" + tok[:63], auth(good), payload, 400, "BadDeviceToken"},
		{"ErrTwoTokens", "POST", "/3/device/" + tok + "," + gone, auth(good), payload, 400, "BadDeviceToken"},
		{"ErrNeverIssued", "POST", "/3/device/" + strings.Repeat("ab", 32), auth(good), payload, 400, "BadDeviceToken"},
		{"ErrNotForTopic", "POST", "/3/device/" + second, auth(good), payload, 400, "DeviceTokenNotForTopic"},
		{"ErrUnregistered", "POST", "/3/device/" + gone, auth(good), payload, 410, "Unregistered"},
		{"ErrMethod", "GET", "/3/device/" + tok, auth(good), "", 405, "MethodNotAllowed"},
		{"ErrPath", "POST", "/2/device/" + tok, auth(good), payload, 404, "BadPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.sim.Stats()
			a := f.do(t, f.client, tt.method, tt.path, tt.h, tt.body)
			if a.status != tt.status || a.reason != tt.reason || a.apnsID == "" {
				t.Fatalf("answer %+v, want %d %q with an apns-id", a, tt.status, tt.reason)
			}
			after := f.sim.Stats()
			if tt.status == 200 {
				if after.Notifications != before.Notifications+1 {
					t.Errorf("notifications %d→%d, want one more", before.Notifications, after.Notifications)
				}
				return
			}
			if after.Rejected != before.Rejected+1 || after.Notifications != before.Notifications {
				t.Errorf("rejected %d→%d notifications %d→%d, want one rejection and no delivery", before.Rejected, after.Rejected, before.Notifications, after.Notifications)
			}
			if tt.status == 410 && (a.timestamp < time.Now().Add(-time.Minute).UnixMilli() || a.timestamp > time.Now().UnixMilli()) {
				t.Errorf("410 timestamp %d, want now in Unix ms", a.timestamp)
			}
		})
	}
}

func TestServer_Push_TooManyProviderTokenUpdates(t *testing.T) {
	f := MustStart(t)
	f.sim.TokenUpdateInterval = 20 * time.Minute
	tok := f.sim.Register("com.example.chat")
	h := func(jwt string) map[string]string {
		return map[string]string{"authorization": "bearer " + jwt, "apns-topic": "com.example.chat"}
	}
	if a := f.do(t, f.client, "POST", "/3/device/"+tok, h(sign(t, f.priv, f.key.KeyID, f.key.TeamID, time.Now())), `{"aps":{}}`); a.status != 200 {
		t.Fatalf("first token: %+v", a)
	}
	a := f.do(t, f.client, "POST", "/3/device/"+tok, h(sign(t, f.priv, f.key.KeyID, f.key.TeamID, time.Now())), `{"aps":{}}`)
	if a.status != 429 || a.reason != "TooManyProviderTokenUpdates" {
		t.Errorf("second token on the same connection: %+v, want 429 TooManyProviderTokenUpdates", a)
	}
}

func TestServer_Push_CertificateAuth(t *testing.T) {
	f := MustStart(t)
	tok := f.sim.Register("com.example.chat")
	p12, err := f.sim.CreateCertificate("com.example.chat", "pw", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, leaf, _, err := pkcs12.DecodeChain(p12, "pw")
	if err != nil {
		t.Fatal(err)
	}
	c := h2Client(f.sim, &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf})
	if a := f.do(t, c, "POST", "/3/device/"+tok, nil, `{"aps":{"alert":"hi"}}`); a.status != 200 {
		t.Errorf("no topic: %+v, want 200 (the certificate's topic)", a)
	}
	if a := f.do(t, c, "POST", "/3/device/"+tok, map[string]string{"apns-topic": "com.example.chat.voip", "apns-push-type": "voip"}, `{"aps":{}}`); a.status != 200 {
		t.Errorf("voip topic: %+v, want 200", a)
	}
	if a := f.do(t, c, "POST", "/3/device/"+tok, map[string]string{"apns-topic": "com.other"}, `{"aps":{}}`); a.status != 400 || a.reason != "TopicDisallowed" {
		t.Errorf("other topic: %+v, want 400 TopicDisallowed", a)
	}
	if d := f.sim.Inbox(tok); len(d) != 2 || d[0].Body != "hi" {
		t.Errorf("inbox = %+v, want 2 notifications, the first saying hi", d)
	}
}
