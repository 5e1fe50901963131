package honor_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
	simhonor "github.com/herald-im/herald/internal/vendorsim/honor"
)

type fixture struct {
	sim   *simhonor.Server
	url   string
	creds simhonor.Credentials
	now   time.Time
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{sim: simhonor.New(), now: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	f.sim.Now = func() time.Time { return f.now }
	srv := httptest.NewServer(f.sim)
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	f.creds = f.sim.CreateApp()
	return f
}

func (f *fixture) token(tb testing.TB, path, id, secret string) (int, map[string]any) {
	tb.Helper()
	resp, err := http.PostForm(f.url+path, url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, body
}

func (f *fixture) mustToken(tb testing.TB) string {
	tb.Helper()
	status, body := f.token(tb, "/auth/token", f.creds.ClientID, f.creds.ClientSecret)
	tok, _ := body["access_token"].(string)
	if status != 200 || tok == "" || body["expires_in"] != float64(3600) || body["token_type"] != "Bearer" {
		tb.Fatalf("token: %d %v", status, body)
	}
	return tok
}

// send posts body to appID's send endpoint; timestamp "" leaves the header out.
func (f *fixture) send(tb testing.TB, appID, bearer, timestamp, body string) (int, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.url+"/api/v1/"+appID+"/sendMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if timestamp != "" {
		req.Header.Set("timestamp", timestamp)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans map[string]any
	if err := json.Unmarshal(b, &ans); err != nil {
		tb.Fatalf("answer %s: %v", b, err)
	}
	return resp.StatusCode, ans
}

func message(tokens []string, extra string) string {
	tj, _ := json.Marshal(tokens)
	return fmt.Sprintf(`{"token":%s,"notification":{"title":"t","body":"b"},`+
		`"android":{"notification":{"clickAction":{"type":3}%s}}}`, tj, extra)
}

func TestServer_Token(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := mustFixture(t)
		f.mustToken(t)
		if status, body := f.token(t, "/auth/realms/developer/protocol/openid-connect/token", f.creds.ClientID, f.creds.ClientSecret); status != 200 || body["access_token"] == nil {
			t.Fatalf("older path: %d %v", status, body)
		}
		if st := f.sim.Stats(); st.AuthCalls != 2 || st.Rejected != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	for _, tt := range []struct{ name, id, secret string }{
		{"ErrWrongSecret", "", "nope"},
		{"ErrUnknownClient", "cli-unknown", ""},
		{"ErrAppIDAsClientID", "app", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFixture(t)
			id, secret := f.creds.ClientID, f.creds.ClientSecret
			if tt.id == "app" {
				id = f.creds.AppID
			} else if tt.id != "" {
				id = tt.id
			}
			if tt.secret != "" {
				secret = tt.secret
			}
			status, body := f.token(t, "/auth/token", id, secret)
			if status != 401 || body["error"] != "unauthorized_client" {
				t.Fatalf("got %d %v", status, body)
			}
		})
	}
}

func TestServer_Send(t *testing.T) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	t.Run("OK", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		gone := f.sim.Register(f.creds.AppID)
		f.sim.Unregister(gone)
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), now, message([]string{tok, gone, "bogus"}, ""))
		data, _ := ans["data"].(map[string]any)
		if status != 200 || ans["code"] != float64(200) || data["sendResult"] != true || data["requestId"] == "" {
			t.Fatalf("got %d %v", status, ans)
		}
		if exp, _ := data["expireTokens"].([]any); len(exp) != 2 || exp[0] != gone || exp[1] != "bogus" {
			t.Fatalf("expireTokens %v", data["expireTokens"])
		}
		if in := f.sim.Inbox(tok); len(in) != 1 || in[0].Click.Type != "open_app" || in[0].Title != "t" {
			t.Fatalf("inbox %+v", in)
		}
	})

	f := mustFixture(t)
	tok := f.sim.Register(f.creds.AppID)
	bearer := f.mustToken(t)
	other := f.sim.CreateApp()
	for _, tt := range []struct {
		name   string
		appID  string
		bearer string
		ts     string
		body   string
		status int
		code   float64
	}{
		{"ErrNoAuthorization", f.creds.AppID, "", now, message([]string{tok}, ""), 401, 80200001},
		{"ErrUnknownBearer", f.creds.AppID, "forged", now, message([]string{tok}, ""), 401, 80200001},
		{"ErrBearerOfOtherApp", other.AppID, bearer, now, message([]string{tok}, ""), 401, 80200001},
		{"ErrNoTimestamp", f.creds.AppID, bearer, "", message([]string{tok}, ""), 400, 80100001},
		{"ErrTimestampText", f.creds.AppID, bearer, "yesterday", message([]string{tok}, ""), 400, 80100001},
		{"ErrNotJSON", f.creds.AppID, bearer, now, `{"token":`, 400, 80100003},
		{"ErrSnakeCase", f.creds.AppID, bearer, now, strings.Replace(message([]string{tok}, ""), `"clickAction"`, `"click_action"`, 1), 400, 80100003},
		{"ErrDataObject", f.creds.AppID, bearer, now, strings.Replace(message([]string{tok}, ""), `"notification":{"title"`, `"data":{"ext":"x"},"notification":{"title"`, 1), 400, 80100003},
		{"ErrNotifyIDString", f.creds.AppID, bearer, now, message([]string{tok}, `,"notifyId":"5"`), 400, 80100003},
		{"ErrNoClickAction", f.creds.AppID, bearer, now, strings.Replace(message([]string{tok}, ""), `"clickAction":{"type":3}`, `"tag":"x"`, 1), 400, 80100003},
		{"ErrNoBody", f.creds.AppID, bearer, now, strings.Replace(message([]string{tok}, ""), `"body":"b"`, `"body":""`, 1), 400, 80100003},
		{"ErrIntentMissing", f.creds.AppID, bearer, now, strings.Replace(message([]string{tok}, ""), `"type":3`, `"type":1`, 1), 400, 80100003},
		{"ErrImportanceHigh", f.creds.AppID, bearer, now, message([]string{tok}, `,"importance":"HIGH"`), 400, 80100001},
		{"ErrBadgeWithoutClass", f.creds.AppID, bearer, now, message([]string{tok}, `,"badge":{"setNum":3}`), 400, 80100001},
		{"ErrTTLTooLong", f.creds.AppID, bearer, now, strings.Replace(message([]string{tok}, ""), `"android":{`, `"android":{"ttl":"1296001s",`, 1), 400, 80100001},
		{"ErrNoTokens", f.creds.AppID, bearer, now, message([]string{}, ""), 400, 80300010},
		{"ErrTooManyTokens", f.creds.AppID, bearer, now, message(make([]string, 1001), ""), 400, 80300010},
		{"ErrTooLarge", f.creds.AppID, bearer, now, message([]string{tok}, `,"tag":"`+strings.Repeat("x", 4000)+`"`), 400, 80300008},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := f.sim.Stats().Rejected
			status, ans := f.send(t, tt.appID, tt.bearer, tt.ts, tt.body)
			if status != tt.status || ans["code"] != tt.code {
				t.Fatalf("got %d %v, want %d %v", status, ans, tt.status, tt.code)
			}
			if f.sim.Stats().Rejected != before+1 {
				t.Fatal("rejection not counted")
			}
		})
	}
	if n := len(f.sim.Inbox(tok)); n != 0 {
		t.Fatalf("refused requests delivered %d notifications", n)
	}

	t.Run("ErrExpiredBearer", func(t *testing.T) {
		f.now = f.now.Add(time.Hour)
		status, ans := f.send(t, f.creds.AppID, bearer, now, message([]string{tok}, ""))
		if status != 401 || ans["code"] != float64(80200003) {
			t.Fatalf("got %d %v", status, ans)
		}
	})
}

func TestServer_Faults(t *testing.T) {
	f := mustFixture(t)
	tok := f.sim.Register(f.creds.AppID)
	bearer := f.mustToken(t)
	for _, tt := range []struct {
		fault      vendorsim.Fault
		status     int
		retryAfter string
	}{
		{vendorsim.Fault{Kind: vendorsim.Quota}, 503, "21600"}, // 18:00 in Beijing: 6 h to midnight
		{vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 9 * time.Second}, 503, "9"},
		{vendorsim.Fault{Kind: vendorsim.ServerError}, 500, ""},
		{vendorsim.Fault{Kind: vendorsim.AuthExpired}, 401, ""},
	} {
		t.Run(string(tt.fault.Kind), func(t *testing.T) {
			f.sim.Inject(tt.fault)
			req, _ := http.NewRequest(http.MethodPost, f.url+"/api/v1/"+f.creds.AppID+"/sendMessage", strings.NewReader(message([]string{tok}, "")))
			req.Header.Set("Authorization", "Bearer "+bearer)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("timestamp", "1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Fatalf("got %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		})
	}
}
