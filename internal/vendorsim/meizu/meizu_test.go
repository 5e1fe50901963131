package meizu_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/meizu"
)

type simEnv struct {
	sim *meizu.Server
	url string
	app meizu.App
}

func newSim(tb testing.TB) *simEnv {
	tb.Helper()
	e := &simEnv{sim: meizu.New()}
	srv := httptest.NewServer(e.sim)
	tb.Cleanup(srv.Close)
	e.url = srv.URL + meizu.PathPushByPushID
	e.app = e.sim.CreateApp("com.example.chat")
	return e
}

const okMessage = `{"noticeBarInfo":{"noticeMsgType":1,"title":"Hi & bye","content":"a+b=c 100%"},"clickTypeInfo":{"clickType":0,"parameters":{"ext":"x"}},"pushTimeInfo":{"offLine":1,"validTime":24}}`

// form returns a signed form for pushIds and messageJson.
func (e *simEnv) form(messageJSON string, pushIDs ...string) url.Values {
	f := url.Values{"appId": {e.app.AppID}, "pushIds": {strings.Join(pushIDs, ",")}, "messageJson": {messageJSON}}
	f.Set("sign", meizu.Sign(f, e.app.AppSecret))
	return f
}

// post sends f and returns the decoded answer.
func (e *simEnv) post(tb testing.TB, f url.Values) map[string]any {
	tb.Helper()
	res, err := http.PostForm(e.url, f)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Errorf("HTTP status %d, want 200 (Meizu answers errors in the body)", res.StatusCode)
	}
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func wantCode(tb testing.TB, out map[string]any, code string) {
	tb.Helper()
	if out["code"] != code {
		tb.Errorf("code = %#v (%v), want the string %q", out["code"], out["message"], code)
	}
}

func TestServer_Push(t *testing.T) {
	e := newSim(t)
	ids := []string{e.sim.Register(e.app.AppID), e.sim.Register(e.app.AppID), e.sim.Register(e.app.AppID), e.sim.Register(e.app.AppID)}
	if len(ids[0]) != 45 {
		t.Errorf("pushId %q, want 45 characters like Meizu's", ids[0])
	}
	e.sim.Unregister(ids[1])
	e.sim.SwitchOff(ids[2])

	out := e.post(t, e.form(okMessage, ids[0], ids[1], ids[2], ids[3], "bogus"))
	wantCode(t, out, "200")
	value, _ := json.Marshal(out["value"])
	if want := `{"110002":["` + ids[1] + `"],"110003":["bogus"],"110010":["` + ids[2] + `"]}`; string(value) != want {
		t.Errorf("value = %s, want %s", value, want)
	}
	msgID, _ := out["msgId"].(string)
	in := e.sim.Inbox(ids[0])
	if len(in) != 1 || in[0].MessageID != msgID || in[0].Title != "Hi & bye" || in[0].Body != "a+b=c 100%" || in[0].Ext != "x" || in[0].Category != "private" {
		t.Errorf("inbox = %+v", in)
	}
	if len(e.sim.Inbox(ids[2])) != 0 || len(e.sim.Inbox(ids[3])) != 1 {
		t.Errorf("a phone with notifications off must show nothing; the others one each")
	}
}

func TestServer_Push_Refused(t *testing.T) {
	e := newSim(t)
	id := e.sim.Register(e.app.AppID)
	many := make([]string, meizu.MaxPushIDs+1)
	for i := range many {
		many[i] = id
	}
	msg := func(mod func(m map[string]map[string]any)) string {
		var m map[string]map[string]any
		json.Unmarshal([]byte(okMessage), &m)
		mod(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code string
	}{
		{"ErrWrongSignature", func() url.Values { f := e.form(okMessage, id); f.Set("sign", meizu.Sign(f, "other")); return f }(), "1006"},
		{"ErrSignOverEncodedValue", func() url.Values {
			f := e.form(okMessage, id)
			f.Set("sign", meizu.Sign(url.Values{"appId": {e.app.AppID}, "pushIds": {id}, "messageJson": {url.QueryEscape(okMessage)}}, e.app.AppSecret))
			return f
		}(), "1006"},
		{"ErrTamperedAfterSigning", func() url.Values { f := e.form(okMessage, id); f.Set("pushIds", id+","+id); return f }(), "1006"},
		{"ErrUnknownApp", func() url.Values { f := e.form(okMessage, id); f.Set("appId", "1"); return f }(), "110000"},
		{"ErrMissingSign", func() url.Values { f := e.form(okMessage, id); f.Del("sign"); return f }(), "110004"},
		{"ErrMissingMessage", e.form("", id), "110004"},
		{"ErrTooManyPushIDs", e.form(okMessage, many...), "1005"},
		{"ErrOversized", e.form(msg(func(m map[string]map[string]any) {
			m["clickTypeInfo"]["parameters"] = map[string]string{"ext": strings.Repeat("x", meizu.MaxMessageJSON)}
		}), id), "1005"},
		{"ErrNoTitle", e.form(msg(func(m map[string]map[string]any) { delete(m["noticeBarInfo"], "title") }), id), "1005"},
		{"ErrLongTitle", e.form(msg(func(m map[string]map[string]any) { m["noticeBarInfo"]["title"] = strings.Repeat("标", 33) }), id), "1005"},
		{"ErrLongContent", e.form(msg(func(m map[string]map[string]any) { m["noticeBarInfo"]["content"] = strings.Repeat("a", 101) }), id), "1005"},
		{"ErrValidTime", e.form(msg(func(m map[string]map[string]any) { m["pushTimeInfo"]["validTime"] = 73 }), id), "1005"},
		{"ErrNotifyKey", e.form(msg(func(m map[string]map[string]any) { m["advanceInfo"] = map[string]any{"notifyKey": "123456789"} }), id), "1005"},
		{"ErrNotifyKeyChars", e.form(msg(func(m map[string]map[string]any) { m["advanceInfo"] = map[string]any{"notifyKey": "a.b"} }), id), "1005"},
		{"ErrCustomClick", e.form(msg(func(m map[string]map[string]any) { m["clickTypeInfo"]["clickType"] = 3 }), id), "1005"},
		{"ErrActivityMissing", e.form(msg(func(m map[string]map[string]any) { m["clickTypeInfo"]["clickType"] = 1 }), id), "1005"},
		{"ErrNotJSON", e.form("{title", id), "1005"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.sim.Stats().Rejected
			out := e.post(t, tc.form)
			wantCode(t, out, tc.code)
			if out["value"] != "" {
				t.Errorf("value = %#v, want \"\" on an error", out["value"])
			}
			if e.sim.Stats().Rejected != before+1 {
				t.Errorf("rejection not counted")
			}
		})
	}
	if n := len(e.sim.Inbox(id)); n != 0 {
		t.Errorf("refused requests delivered %d notifications", n)
	}
}

func TestServer_Faults(t *testing.T) {
	e := newSim(t)
	id := e.sim.Register(e.app.AppID)
	for _, tc := range []struct {
		kind vendorsim.FaultKind
		code string
	}{
		{vendorsim.ServerError, "1001"},
		{vendorsim.Throttle, "110010"},
		{vendorsim.Quota, "110019"},
		{vendorsim.AuthExpired, "1006"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			e.sim.Inject(vendorsim.Fault{Kind: tc.kind})
			wantCode(t, e.post(t, e.form(okMessage, id)), tc.code)
			wantCode(t, e.post(t, e.form(okMessage, id)), "200")
		})
	}
}
