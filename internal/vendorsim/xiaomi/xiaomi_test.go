package xiaomi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
	simxiaomi "github.com/herald-im/herald/internal/vendorsim/xiaomi"
)

const pkg = "com.example.chat"

type answer struct {
	Result string `json:"result"`
	Code   int    `json:"code"`
	Reason string `json:"reason"`
	Data   struct {
		ID        string `json:"id"`
		BadRegIDs string `json:"bad_regids"`
		DayAcked  string `json:"day_acked"`
	} `json:"data"`
}

// mustServer starts a simulator with one app.
func mustServer(tb testing.TB) (*simxiaomi.Server, *httptest.Server, simxiaomi.App) {
	tb.Helper()
	sim := simxiaomi.New()
	ts := httptest.NewServer(sim)
	tb.Cleanup(ts.Close)
	return sim, ts, sim.CreateApp(pkg)
}

// validForm is a notification request the simulator accepts.
func validForm(regIDs ...string) url.Values {
	return url.Values{
		"registration_id":         {strings.Join(regIDs, ",")},
		"restricted_package_name": {pkg},
		"pass_through":            {"0"},
		"title":                   {"Alice"},
		"description":             {"hello"},
		"payload":                 {`{"k":"v"}`},
		"extra.ext":               {`{"k":"v"}`},
		"extra.notify_effect":     {"1"},
	}
}

// post sends form with auth header value auth and decodes the answer.
func post(tb testing.TB, base, path, auth, contentType string, form url.Values) (int, answer) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		tb.Fatalf("decode answer: %v", err)
	}
	return resp.StatusCode, a
}

const formType = "application/x-www-form-urlencoded;charset=UTF-8"

func TestServer_Send(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		sim, ts, app := mustServer(t)
		tok := sim.Register(pkg)
		status, a := post(t, ts.URL, "/v3/message/regid", "key="+app.AppSecret, formType, validForm(tok))
		if status != 200 || a.Result != "ok" || a.Code != 0 || !strings.HasPrefix(a.Data.ID, "scm") || a.Data.BadRegIDs != "" {
			t.Fatalf("answer %d %+v, want ok with an scm ID", status, a)
		}
		inbox := sim.Inbox(tok)
		if len(inbox) != 1 || inbox[0].Title != "Alice" || inbox[0].Ext != `{"k":"v"}` || inbox[0].MessageID != a.Data.ID {
			t.Errorf("inbox = %+v", inbox)
		}
		if st := sim.Stats(); st.Requests != 1 || st.Notifications != 1 || st.Rejected != 0 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("OK_BadRegIDs", func(t *testing.T) {
		sim, ts, app := mustServer(t)
		good, gone := sim.Register(pkg), sim.Register(pkg)
		sim.Unregister(gone)
		_, a := post(t, ts.URL, "/v3/message/regid", "key="+app.AppSecret, formType, validForm(good, gone))
		if a.Code != 0 || a.Data.BadRegIDs != gone {
			t.Errorf("answer %+v, want bad_regids %q", a, gone)
		}
	})

	t.Run("ErrDailyQuota", func(t *testing.T) {
		sim, ts, app := mustServer(t)
		sim.DailyQuota = 2
		tok := sim.Register(pkg)
		for i, want := range []int{0, 0, simxiaomi.CodeDailyQuota} {
			if _, a := post(t, ts.URL, "/v3/message/regid", "key="+app.AppSecret, formType, validForm(tok)); a.Code != want {
				t.Errorf("send %d: code %d, want %d", i, a.Code, want)
			}
		}
		// The quota resets at midnight in Beijing.
		sim.Now = func() time.Time { return time.Now().Add(24 * time.Hour) }
		if _, a := post(t, ts.URL, "/v3/message/regid", "key="+app.AppSecret, formType, validForm(tok)); a.Code != 0 {
			t.Errorf("next day: code %d, want 0", a.Code)
		}
	})

	regIDs := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = simxiaomi.NewRegID()
		}
		return ids
	}
	tests := []struct {
		name   string
		path   string
		auth   func(app simxiaomi.App) string
		ctype  string
		mutate func(f url.Values)
		want   int
	}{
		{name: "WrongKey", auth: func(simxiaomi.App) string { return "key=wrong" }, want: simxiaomi.CodeAuthFailed},
		{name: "UpperCaseKey", auth: func(a simxiaomi.App) string { return "Key=" + a.AppSecret }, want: simxiaomi.CodeAuthFailed},
		{name: "NoAuth", auth: func(simxiaomi.App) string { return "" }, want: simxiaomi.CodeAuthFailed},
		{name: "JSONBody", ctype: "application/json", want: simxiaomi.CodeParamError},
		{name: "NoRegID", mutate: func(f url.Values) { f.Del("registration_id") }, want: simxiaomi.CodeMissingParam},
		{name: "TooManyRegIDs", mutate: func(f url.Values) { f.Set("registration_id", strings.Join(regIDs(simxiaomi.MaxRegIDs+1), ",")) }, want: simxiaomi.CodeIllegalParam},
		{name: "NoPackage", mutate: func(f url.Values) { f.Del("restricted_package_name") }, want: simxiaomi.CodeMissingParam},
		{name: "OtherPackage", mutate: func(f url.Values) { f.Set("restricted_package_name", "com.other") }, want: simxiaomi.CodeIllegalPackage},
		{name: "V2TwoPackages", path: "/v2/message/regid", mutate: func(f url.Values) { f.Set("restricted_package_name", pkg+",com.other") }, want: simxiaomi.CodeIllegalParam},
		{name: "NoTitle", mutate: func(f url.Values) { f.Del("title") }, want: simxiaomi.CodeMissingParam},
		{name: "BlankTitle", mutate: func(f url.Values) { f.Set("title", "  ") }, want: simxiaomi.CodeIllegalParam},
		{name: "LongTitle", mutate: func(f url.Values) { f.Set("title", strings.Repeat("标", 50)) }, want: simxiaomi.CodeIllegalParam},
		{name: "LongDescription", mutate: func(f url.Values) { f.Set("description", strings.Repeat("a", 128)) }, want: simxiaomi.CodeIllegalParam},
		{name: "OversizedPayload", mutate: func(f url.Values) { f.Set("payload", strings.Repeat("a", simxiaomi.MaxPayloadBytes+1)) }, want: simxiaomi.CodeContentTooLong},
		{name: "NotifyIDRange", mutate: func(f url.Values) { f.Set("notify_id", "2147483648") }, want: simxiaomi.CodeIllegalParam},
		{name: "TTLNotNumber", mutate: func(f url.Values) { f.Set("time_to_live", "1h") }, want: simxiaomi.CodeIllegalParam},
		{name: "EffectWithoutIntent", mutate: func(f url.Values) { f.Set("extra.notify_effect", "2") }, want: simxiaomi.CodeIllegalParam},
		{name: "EffectWebNotURL", mutate: func(f url.Values) {
			f.Set("extra.notify_effect", "3")
			f.Set("extra.web_uri", "ftp://x")
		}, want: simxiaomi.CodeIllegalParam},
		{name: "LongJobKey", mutate: func(f url.Values) { f.Set("extra.jobkey", strings.Repeat("j", 21)) }, want: simxiaomi.CodeIllegalParam},
		{name: "TooManyExtras", mutate: func(f url.Values) {
			for i := range simxiaomi.MaxExtraPairs {
				f.Set("extra.k"+strconv.Itoa(i), "v")
			}
		}, want: simxiaomi.CodeIllegalParam},
		{name: "LongExtraValue", mutate: func(f url.Values) { f.Set("extra.ext", strings.Repeat("x", simxiaomi.MaxExtraValue+1)) }, want: simxiaomi.CodeIllegalParam},
		{name: "NoValidTarget", mutate: func(f url.Values) { f.Set("registration_id", simxiaomi.NewRegID()) }, want: simxiaomi.CodeSendFailed},
	}
	for _, tt := range tests {
		t.Run("Err"+tt.name, func(t *testing.T) {
			sim, ts, app := mustServer(t)
			tok := sim.Register(pkg)
			form := validForm(tok)
			if tt.mutate != nil {
				tt.mutate(form)
			}
			auth, ctype, path := "key="+app.AppSecret, formType, "/v3/message/regid"
			if tt.auth != nil {
				auth = tt.auth(app)
			}
			if tt.ctype != "" {
				ctype = tt.ctype
			}
			if tt.path != "" {
				path = tt.path
			}

			_, a := post(t, ts.URL, path, auth, ctype, form)

			if a.Result != "error" || a.Code != tt.want {
				t.Errorf("answer %+v, want error %d", a, tt.want)
			}
			if len(sim.Inbox(tok)) != 0 {
				t.Errorf("refused request still delivered")
			}
			if st := sim.Stats(); st.Rejected != 1 {
				t.Errorf("rejected = %d, want 1", st.Rejected)
			}
		})
	}
}

func TestServer_Faults(t *testing.T) {
	tests := []struct {
		fault      vendorsim.Fault
		wantStatus int
		wantCode   int
		retryAfter string
	}{
		{vendorsim.Fault{Kind: vendorsim.ServerError}, 500, simxiaomi.CodeSystemError, ""},
		{vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 5 * time.Second}, 200, simxiaomi.CodeTooFrequent, "5"},
		{vendorsim.Fault{Kind: vendorsim.Quota}, 200, simxiaomi.CodeDailyQuota, ""},
		{vendorsim.Fault{Kind: vendorsim.AuthExpired}, 200, simxiaomi.CodeAuthFailed, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault.Kind), func(t *testing.T) {
			sim, ts, app := mustServer(t)
			tok := sim.Register(pkg)
			sim.Inject(tt.fault)
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v3/message/regid", strings.NewReader(validForm(tok).Encode()))
			req.Header.Set("Authorization", "key="+app.AppSecret)
			req.Header.Set("Content-Type", formType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a answer
			json.NewDecoder(resp.Body).Decode(&a)
			if resp.StatusCode != tt.wantStatus || a.Code != tt.wantCode || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("got %d code %d Retry-After %q, want %d code %d %q", resp.StatusCode, a.Code, resp.Header.Get("Retry-After"), tt.wantStatus, tt.wantCode, tt.retryAfter)
			}
		})
	}
}

func TestServer_Admin(t *testing.T) {
	sim, ts, _ := mustServer(t)
	resp, err := http.Post(ts.URL+vendorsim.AdminPrefix+"phones", "application/json", strings.NewReader(`{"app":"`+pkg+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&got)
	if state, app := sim.Lookup(got.Token); state != vendorsim.Active || app != pkg || len(got.Token) != 44 {
		t.Errorf("admin-registered token %q: state %v app %q, want an active 44-character regId", got.Token, state, app)
	}
}
