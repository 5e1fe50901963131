package oppo_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
	simoppo "github.com/herald-im/herald/internal/vendorsim/oppo"
)

const pkg = "com.example.chat"

type answer struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type fixture struct {
	sim *simoppo.Server
	url string
	app simoppo.App
	now time.Time
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{sim: simoppo.New(), now: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)}
	f.sim.Now = func() time.Time { return f.now }
	ts := httptest.NewServer(f.sim)
	tb.Cleanup(ts.Close)
	f.url = ts.URL
	f.app = f.sim.CreateApp(pkg)
	return f
}

func (f *fixture) post(tb testing.TB, path string, form url.Values) answer {
	tb.Helper()
	resp, err := http.PostForm(f.url+path, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return a
}

func sign(appKey, ts, secret string) string {
	sum := sha256.Sum256([]byte(appKey + ts + secret))
	return hex.EncodeToString(sum[:])
}

func (f *fixture) authForm() url.Values {
	ts := strconv.FormatInt(f.now.UnixMilli(), 10)
	return url.Values{"app_key": {f.app.AppKey}, "timestamp": {ts}, "sign": {sign(f.app.AppKey, ts, f.app.MasterSecret)}}
}

// mustToken gets an auth_token.
func (f *fixture) mustToken(tb testing.TB) string {
	tb.Helper()
	a := f.post(tb, simoppo.AuthPath, f.authForm())
	var d struct {
		AuthToken  string `json:"auth_token"`
		CreateTime int64  `json:"create_time"`
	}
	json.Unmarshal(a.Data, &d)
	if a.Code != 0 || d.AuthToken == "" || d.CreateTime != f.now.UnixMilli() {
		tb.Fatalf("auth answer %+v", a)
	}
	return d.AuthToken
}

func validNotification() map[string]any {
	return map[string]any{
		"title": "Alice", "content": "hello", "style": 1,
		"click_action_type": 4, "click_action_activity": "com.example.chat.MainActivity",
		"action_parameters": `{"ext":"{\"k\":1}"}`, "channel_id": "im", "category": "IM", "notify_level": 2,
		"off_line": true, "off_line_ttl": 3600, "app_message_id": "m1",
	}
}

func message(tb testing.TB, target string, n map[string]any) string {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"target_type": 2, "target_value": target, "notification": n})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestServer_Auth(t *testing.T) {
	t.Run("OK_UpperCaseSign", func(t *testing.T) {
		f := mustFixture(t)
		form := f.authForm()
		form.Set("sign", strings.ToUpper(form.Get("sign")))
		if a := f.post(t, simoppo.AuthPath, form); a.Code != 0 {
			t.Errorf("answer %+v, want 0 (hex case unconfirmed, both accepted)", a)
		}
	})
	tests := []struct {
		name   string
		mutate func(f *fixture, form url.Values)
		want   int
	}{
		{"WrongSign", func(f *fixture, v url.Values) {
			v.Set("sign", sign(f.app.AppKey, v.Get("timestamp"), f.app.AppSecret)) // AppSecret instead of MasterSecret
		}, simoppo.CodeInvalidSign},
		{"UnknownAppKey", func(f *fixture, v url.Values) { v.Set("app_key", "nope") }, simoppo.CodeInvalidAppKey},
		{"MissingAppKey", func(f *fixture, v url.Values) { v.Del("app_key") }, simoppo.CodeMissingAppKey},
		{"MissingSign", func(f *fixture, v url.Values) { v.Del("sign") }, simoppo.CodeMissingSign},
		{"MissingTimestamp", func(f *fixture, v url.Values) { v.Del("timestamp") }, simoppo.CodeMissingTimestamp},
		{"OldTimestamp", func(f *fixture, v url.Values) {
			ts := strconv.FormatInt(f.now.Add(-11*time.Minute).UnixMilli(), 10)
			v.Set("timestamp", ts)
			v.Set("sign", sign(f.app.AppKey, ts, f.app.MasterSecret))
		}, simoppo.CodeInvalidTimestamp},
		{"SecondsTimestamp", func(f *fixture, v url.Values) {
			ts := strconv.FormatInt(f.now.Unix(), 10)
			v.Set("timestamp", ts)
			v.Set("sign", sign(f.app.AppKey, ts, f.app.MasterSecret))
		}, simoppo.CodeInvalidTimestamp},
	}
	for _, tt := range tests {
		t.Run("Err"+tt.name, func(t *testing.T) {
			f := mustFixture(t)
			form := f.authForm()
			tt.mutate(f, form)
			if a := f.post(t, simoppo.AuthPath, form); a.Code != tt.want {
				t.Errorf("answer %+v, want code %d", a, tt.want)
			}
			if st := f.sim.Stats(); st.AuthCalls != 1 || st.Rejected != 1 {
				t.Errorf("stats = %+v, want 1 auth call, 1 rejected", st)
			}
		})
	}
}

func TestServer_Send(t *testing.T) {
	t.Run("OK_Unicast", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(pkg)
		a := f.post(t, simoppo.UnicastPath, url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, validNotification())}})
		var d struct{ MessageID string }
		json.Unmarshal(a.Data, &d)
		if a.Code != 0 || d.MessageID == "" {
			t.Fatalf("answer %+v", a)
		}
		inbox := f.sim.Inbox(tok)
		if len(inbox) != 1 || inbox[0].Ext != `{"k":1}` || inbox[0].Click.Target != "com.example.chat.MainActivity" || inbox[0].TTL != time.Hour {
			t.Errorf("inbox = %+v", inbox)
		}
	})

	t.Run("OK_CamelCase", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(pkg)
		n := map[string]any{"title": "Alice", "content": "hi", "clickActionType": 2, "clickActionUrl": "https://e.com", "channelId": "im", "offLineTtl": 60, "notifyId": 7}
		a := f.post(t, simoppo.UnicastPath, url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}})
		if a.Code != 0 {
			t.Fatalf("answer %+v", a)
		}
		d := f.sim.Inbox(tok)[0]
		if d.Click.Type != "open_url" || d.Click.Target != "https://e.com" || d.ChannelID != "im" || d.TTL != time.Minute || d.NotifyID != "7" {
			t.Errorf("delivered %+v", d)
		}
	})

	t.Run("OK_BatchPerTargetErrors", func(t *testing.T) {
		f := mustFixture(t)
		good, gone := f.sim.Register(pkg), f.sim.Register(pkg)
		f.sim.Unregister(gone)
		msgs := "[" + message(t, good, validNotification()) + "," + message(t, gone, validNotification()) + "]"
		a := f.post(t, simoppo.BatchPath, url.Values{"auth_token": {f.mustToken(t)}, "messages": {msgs}})
		var items []struct {
			MessageID      string `json:"messageId"`
			RegistrationID string `json:"registrationId"`
			ErrorCode      int    `json:"errorCode"`
		}
		json.Unmarshal(a.Data, &items)
		if a.Code != 0 || len(items) != 2 || items[0].ErrorCode != 0 || items[0].MessageID == "" || items[1].ErrorCode != simoppo.CodeInvalidRegID || items[1].RegistrationID != gone {
			t.Errorf("answer %+v, items %+v", a, items)
		}
	})

	t.Run("ErrExpiredToken", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(pkg)
		auth := f.mustToken(t)
		f.now = f.now.Add(simoppo.DefaultTokenTTL)
		a := f.post(t, simoppo.UnicastPath, url.Values{"auth_token": {auth}, "message": {message(t, tok, validNotification())}})
		if a.Code != simoppo.CodeInvalidAuthToken || len(f.sim.Inbox(tok)) != 0 {
			t.Errorf("answer %+v, want 11 and no delivery", a)
		}
	})

	t.Run("ErrTokenOfAnotherApp", func(t *testing.T) {
		f := mustFixture(t)
		other := f.sim.Register("com.other")
		a := f.post(t, simoppo.UnicastPath, url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, other, validNotification())}})
		if a.Code != simoppo.CodeInvalidRegID {
			t.Errorf("answer %+v, want 10000", a)
		}
	})

	tests := []struct {
		name string
		form func(t *testing.T, f *fixture, tok string) url.Values
		want int
	}{
		{"MissingAuthToken", func(t *testing.T, f *fixture, tok string) url.Values {
			return url.Values{"message": {message(t, tok, validNotification())}}
		}, simoppo.CodeMissingAuthToken},
		{"UnknownAuthToken", func(t *testing.T, f *fixture, tok string) url.Values {
			return url.Values{"auth_token": {"58ad47319e8d725350a5afd5"}, "message": {message(t, tok, validNotification())}}
		}, simoppo.CodeInvalidAuthToken},
		{"MissingMessage", func(t *testing.T, f *fixture, tok string) url.Values {
			return url.Values{"auth_token": {f.mustToken(t)}}
		}, simoppo.CodeMissingArgument},
		{"MissingTitle", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			delete(n, "title")
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeMissingArgument},
		{"LongTitle", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["title"] = strings.Repeat("标", simoppo.MaxTitle+1)
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"LongContent", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["content"] = strings.Repeat("a", simoppo.MaxContent+1)
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"OversizedActionParameters", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["action_parameters"] = `{"ext":"` + strings.Repeat("x", simoppo.MaxActionParameters) + `"}`
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"ActionParametersNotJSON", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["action_parameters"] = "ext=1"
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"ClickTypeAsString", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["click_action_type"] = "4"
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"ActivityMissing", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			delete(n, "click_action_activity")
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"LevelWithoutCategory", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			delete(n, "category")
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidLevel},
		{"UnknownCategory", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["category"] = "CHAT"
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidLevel},
		{"TTLTooLong", func(t *testing.T, f *fixture, tok string) url.Values {
			n := validNotification()
			n["off_line_ttl"] = simoppo.MaxOffLineTTL + 1
			return url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, n)}}
		}, simoppo.CodeInvalidArgument},
		{"TooManyMessages", func(t *testing.T, f *fixture, tok string) url.Values {
			one := message(t, tok, validNotification())
			msgs := "[" + strings.TrimSuffix(strings.Repeat(one+",", simoppo.MaxBatch+1), ",") + "]"
			return url.Values{"auth_token": {f.mustToken(t)}, "messages": {msgs}}
		}, simoppo.CodeInvalidArgument},
		{"MessagesNotArray", func(t *testing.T, f *fixture, tok string) url.Values {
			return url.Values{"auth_token": {f.mustToken(t)}, "messages": {message(t, tok, validNotification())}}
		}, simoppo.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run("Err"+tt.name, func(t *testing.T) {
			f := mustFixture(t)
			tok := f.sim.Register(pkg)
			form := tt.form(t, f, tok)
			path := simoppo.UnicastPath
			if form.Has("messages") {
				path = simoppo.BatchPath
			}
			a := f.post(t, path, form)
			if a.Code != tt.want {
				t.Errorf("answer %+v, want code %d", a, tt.want)
			}
			if len(f.sim.Inbox(tok)) != 0 {
				t.Errorf("refused request still delivered")
			}
			if st := f.sim.Stats(); st.Rejected != 1 || st.Requests != 1 {
				t.Errorf("stats = %+v, want 1 request, 1 rejected", st)
			}
		})
	}
}

func TestServer_Faults(t *testing.T) {
	tests := []struct {
		fault vendorsim.Fault
		path  string
		want  int
	}{
		{vendorsim.Fault{Kind: vendorsim.ServerError}, simoppo.UnicastPath, simoppo.CodeServiceUnavailable},
		{vendorsim.Fault{Kind: vendorsim.Throttle}, simoppo.UnicastPath, simoppo.CodeFlowControl},
		{vendorsim.Fault{Kind: vendorsim.Quota}, simoppo.UnicastPath, simoppo.CodeDailyLimit},
		{vendorsim.Fault{Kind: vendorsim.AuthExpired}, simoppo.UnicastPath, simoppo.CodeInvalidAuthToken},
		{vendorsim.Fault{Kind: vendorsim.ServerError, Target: vendorsim.TargetAuth}, simoppo.AuthPath, simoppo.CodeServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault.Kind)+"_"+string(tt.fault.Target), func(t *testing.T) {
			f := mustFixture(t)
			tok := f.sim.Register(pkg)
			form := f.authForm()
			if tt.path != simoppo.AuthPath {
				form = url.Values{"auth_token": {f.mustToken(t)}, "message": {message(t, tok, validNotification())}}
			}
			f.sim.Inject(tt.fault)
			if a := f.post(t, tt.path, form); a.Code != tt.want {
				t.Errorf("answer %+v, want code %d", a, tt.want)
			}
		})
	}
}
