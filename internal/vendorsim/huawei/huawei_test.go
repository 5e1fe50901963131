package huawei_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
	simhuawei "github.com/herald-im/herald/internal/vendorsim/huawei"
)

type fixture struct {
	sim   *simhuawei.Server
	url   string
	creds simhuawei.Credentials
	now   time.Time
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{sim: simhuawei.New(), now: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	f.sim.Now = func() time.Time { return f.now }
	srv := httptest.NewServer(f.sim)
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	f.creds = f.sim.CreateApp()
	return f
}

// token asks the OAuth endpoint for a token and returns the status and decoded body.
func (f *fixture) token(tb testing.TB, id, secret string) (int, map[string]any) {
	tb.Helper()
	resp, err := http.PostForm(f.url+"/oauth2/v3/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
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
	status, body := f.token(tb, f.creds.AppID, f.creds.AppSecret)
	tok, _ := body["access_token"].(string)
	if status != 200 || tok == "" || body["expires_in"] != float64(3600) {
		tb.Fatalf("token: %d %v", status, body)
	}
	return tok
}

// send posts body to the send endpoint of appID and returns the status and the answer.
func (f *fixture) send(tb testing.TB, appID, bearer, body string) (int, map[string]string) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.url+"/v1/"+appID+"/messages:send", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans map[string]string
	if err := json.Unmarshal(b, &ans); err != nil {
		tb.Fatalf("answer %s: %v", b, err)
	}
	return resp.StatusCode, ans
}

func message(tokens []string, extra string) string {
	tj, _ := json.Marshal(tokens)
	return fmt.Sprintf(`{"message":{"token":%s,"notification":{"title":"t","body":"b"},`+
		`"android":{"notification":{"click_action":{"type":3}%s}}}}`, tj, extra)
}

func TestServer_Token(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := mustFixture(t)
		f.mustToken(t)
		if st := f.sim.Stats(); st.AuthCalls != 1 || st.Rejected != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		f := mustFixture(t)
		status, body := f.token(t, f.creds.AppID, "nope")
		if status != 400 || body["error"] != float64(1101) || body["sub_error"] != float64(12304) || body["error_description"] != "invalid client_secret" {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("ErrUnknownClient", func(t *testing.T) {
		f := mustFixture(t)
		status, body := f.token(t, "424242", f.creds.AppSecret)
		if status != 400 || body["error"] != float64(1101) {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("ErrGrantType", func(t *testing.T) {
		f := mustFixture(t)
		resp, err := http.PostForm(f.url+"/oauth2/v3/token", url.Values{"grant_type": {"password"}, "client_id": {f.creds.AppID}, "client_secret": {f.creds.AppSecret}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || f.sim.Stats().Rejected != 1 {
			t.Fatalf("got %d", resp.StatusCode)
		}
	})
}

func TestServer_Send(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), message([]string{tok}, ""))
		if status != 200 || ans["code"] != "80000000" || len(ans["requestId"]) != 24 {
			t.Fatalf("got %d %v", status, ans)
		}
		if in := f.sim.Inbox(tok); len(in) != 1 || in[0].Click.Type != "open_app" || in[0].Title != "t" {
			t.Fatalf("inbox %+v", in)
		}
	})
	t.Run("OK_Partial", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), message([]string{tok, "bogus"}, ""))
		if status != 200 || ans["code"] != "80100000" {
			t.Fatalf("got %d %v", status, ans)
		}
		var p struct {
			Success, Failure int
			IllegalTokens    []string `json:"illegal_tokens"`
		}
		if err := json.Unmarshal([]byte(ans["msg"]), &p); err != nil || p.Success != 1 || p.Failure != 1 || len(p.IllegalTokens) != 1 || p.IllegalTokens[0] != "bogus" {
			t.Fatalf("msg %q: %+v %v", ans["msg"], p, err)
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
		body   string
		status int
		code   string
	}{
		{"ErrNoAuthorization", f.creds.AppID, "", message([]string{tok}, ""), 401, "80200001"},
		{"ErrUnknownBearer", f.creds.AppID, "CgB6e3x9forged", message([]string{tok}, ""), 401, "80200001"},
		{"ErrBearerOfOtherApp", other.AppID, bearer, message([]string{tok}, ""), 401, "80200001"},
		{"ErrNotJSON", f.creds.AppID, bearer, `{"message":`, 400, "80100003"},
		{"ErrUnknownField", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"type":3`, `"type":3,"intnet":"x"`, 1), 400, "80100003"},
		{"ErrDataObject", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"notification":{"title"`, `"data":{"ext":"x"},"notification":{"title"`, 1), 400, "80100003"},
		{"ErrDataNotJSONText", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"notification":{"title"`, `"data":"not json","notification":{"title"`, 1), 400, "80100001"},
		{"ErrNotifyIDString", f.creds.AppID, bearer, message([]string{tok}, `,"notify_id":"5"`), 400, "80100003"},
		{"ErrNoClickAction", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"click_action":{"type":3}`, `"channel_id":"c"`, 1), 400, "80100003"},
		{"ErrNoTitle", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"title":"t"`, `"title":""`, 1), 400, "80100003"},
		{"ErrIntentMissing", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"type":3`, `"type":1`, 1), 400, "80100003"},
		{"ErrHTTPURL", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"type":3`, `"type":2,"url":"http://x.com"`, 1), 400, "80100003"},
		{"ErrCategory", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"android":{`, `"android":{"category":"CHAT",`, 1), 400, "80100001"},
		{"ErrImportanceHigh", f.creds.AppID, bearer, message([]string{tok}, `,"importance":"HIGH"`), 400, "80100001"},
		{"ErrBadgeWithoutClass", f.creds.AppID, bearer, message([]string{tok}, `,"badge":{"set_num":3}`), 400, "80100001"},
		{"ErrTTLTooLong", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"android":{`, `"android":{"ttl":"1296001s",`, 1), 400, "80100001"},
		{"ErrCollapseKey", f.creds.AppID, bearer, strings.Replace(message([]string{tok}, ""), `"android":{`, `"android":{"collapse_key":101,`, 1), 400, "80100013"},
		{"ErrNoTokens", f.creds.AppID, bearer, message([]string{}, ""), 400, "80300010"},
		{"ErrTooManyTokens", f.creds.AppID, bearer, message(make([]string, 1001), ""), 400, "80300010"},
		{"ErrTooLarge", f.creds.AppID, bearer, message([]string{tok}, `,"tag":"`+strings.Repeat("x", 4000)+`"`), 400, "80300008"},
		{"ErrAllTokensInvalid", f.creds.AppID, bearer, message([]string{"x", "y"}, ""), 400, "80300007"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := f.sim.Stats().Rejected
			status, ans := f.send(t, tt.appID, tt.bearer, tt.body)
			if status != tt.status || ans["code"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", status, ans, tt.status, tt.code)
			}
			if f.sim.Stats().Rejected != before+1 {
				t.Fatal("rejection not counted")
			}
		})
	}
	if n := len(f.sim.Inbox(tok)); n != 0 {
		t.Fatalf("refused requests delivered %d notifications", n)
	}

	t.Run("OK_SizeExcludesTokens", func(t *testing.T) {
		// 1000 tokens of ~140 characters are far above 4096 bytes, which is fine.
		toks := make([]string, 1000)
		for i := range toks {
			toks[i] = f.sim.Register(f.creds.AppID)
		}
		if status, ans := f.send(t, f.creds.AppID, bearer, message(toks, "")); status != 200 || ans["code"] != "80000000" {
			t.Fatalf("got %d %v", status, ans)
		}
	})

	t.Run("ErrExpiredBearer", func(t *testing.T) {
		f.now = f.now.Add(time.Hour)
		status, ans := f.send(t, f.creds.AppID, bearer, message([]string{tok}, ""))
		if status != 401 || ans["code"] != "80200003" {
			t.Fatalf("got %d %v", status, ans)
		}
	})
}

func TestServer_Faults(t *testing.T) {
	f := mustFixture(t)
	tok := f.sim.Register(f.creds.AppID)
	bearer := f.mustToken(t)
	f.sim.Inject(vendorsim.Fault{Kind: vendorsim.Quota})
	req, _ := http.NewRequest(http.MethodPost, f.url+"/v1/"+f.creds.AppID+"/messages:send", strings.NewReader(message([]string{tok}, "")))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// 10:00 UTC is 18:00 in Beijing; the quota resets at midnight there.
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "21600" {
		t.Fatalf("got %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
