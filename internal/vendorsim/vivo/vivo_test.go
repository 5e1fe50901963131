package vivo_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/vivo"
)

type simEnv struct {
	sim *vivo.Server
	url string
	app vivo.App
	now time.Time
}

func newSim(tb testing.TB) *simEnv {
	tb.Helper()
	e := &simEnv{sim: vivo.New(), now: time.Date(2025, 3, 1, 4, 0, 0, 0, time.UTC)}
	e.sim.Now = func() time.Time { return e.now }
	srv := httptest.NewServer(e.sim)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	e.app = e.sim.CreateApp("com.example.chat")
	return e
}

// post sends body as JSON and returns the HTTP status and the decoded answer.
func (e *simEnv) post(tb testing.TB, path, authToken string, body any) (int, map[string]any) {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if authToken != "" {
		req.Header.Set("authToken", authToken)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (e *simEnv) authBody(secret string, ts time.Time) map[string]any {
	ms := ts.UnixMilli()
	return map[string]any{"appId": e.app.AppID, "appKey": e.app.AppKey, "timestamp": ms, "sign": vivo.Sign(e.app.AppID, e.app.AppKey, ms, secret)}
}

func (e *simEnv) token(tb testing.TB) string {
	tb.Helper()
	_, out := e.post(tb, vivo.PathAuth, "", e.authBody(e.app.AppSecret, e.now))
	tok, _ := out["authToken"].(string)
	if out["result"] != 0.0 || tok == "" {
		tb.Fatalf("auth answered %v", out)
	}
	return tok
}

func (e *simEnv) message(regID string) map[string]any {
	return map[string]any{"appId": json.Number(e.app.AppID), "regId": regID, "notifyType": 4, "title": "Hi", "content": "Body",
		"skipType": 1, "requestId": vendorsim.RandomHex(8), "classification": 1, "category": "IM",
		"clientCustomMap": map[string]string{"ext": "x"}}
}

func wantResult(tb testing.TB, out map[string]any, code int) {
	tb.Helper()
	if got, _ := out["result"].(float64); int(got) != code {
		tb.Errorf("result = %v (%v), want %d", out["result"], out["desc"], code)
	}
}

func TestServer_Auth(t *testing.T) {
	e := newSim(t)
	t.Run("OK", func(t *testing.T) {
		tok := e.token(t)
		if len(tok) != 40 {
			t.Errorf("authToken %q, want 40 characters like vivo's", tok)
		}
		// appId also arrives as a number.
		b := e.authBody(e.app.AppSecret, e.now)
		b["appId"] = json.Number(e.app.AppID)
		_, out := e.post(t, vivo.PathAuth, "", b)
		wantResult(t, out, vivo.CodeOK)
	})
	for _, tc := range []struct {
		name string
		mod  func(b map[string]any)
		code int
	}{
		{"ErrWrongSign", func(b map[string]any) { b["sign"] = vivo.Sign(e.app.AppID, e.app.AppKey, e.now.UnixMilli(), "other") }, vivo.CodeSignWrong},
		{"ErrWrongKey", func(b map[string]any) { b["appKey"] = "nope" }, vivo.CodeAppKeyWrong},
		{"ErrUnknownApp", func(b map[string]any) { b["appId"] = "1" }, vivo.CodeAppUnknown},
		{"ErrNoAppID", func(b map[string]any) { delete(b, "appId") }, vivo.CodeAppIDEmpty},
		{"ErrNoAppKey", func(b map[string]any) { delete(b, "appKey") }, vivo.CodeAppKeyEmpty},
		{"ErrNoSign", func(b map[string]any) { delete(b, "sign") }, vivo.CodeSignEmpty},
		{"ErrNoTimestamp", func(b map[string]any) { delete(b, "timestamp") }, vivo.CodeTimestampEmpty},
		{"ErrTimestampSkew", func(b map[string]any) {
			ts := e.now.Add(-11 * time.Minute).UnixMilli()
			b["timestamp"], b["sign"] = ts, vivo.Sign(e.app.AppID, e.app.AppKey, ts, e.app.AppSecret)
		}, vivo.CodeTimestampSkew},
		{"ErrTimestampNotSigned", func(b map[string]any) { b["timestamp"] = e.now.UnixMilli() + 1 }, vivo.CodeSignWrong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.sim.Stats().Rejected
			b := e.authBody(e.app.AppSecret, e.now)
			tc.mod(b)
			status, out := e.post(t, vivo.PathAuth, "", b)
			if status != http.StatusOK || out["authToken"] != nil {
				t.Errorf("status %d, answer %v: want 200 without a token", status, out)
			}
			wantResult(t, out, tc.code)
			if e.sim.Stats().Rejected != before+1 {
				t.Errorf("rejection not counted")
			}
		})
	}
}

func TestServer_Send(t *testing.T) {
	e := newSim(t)
	tok := e.token(t)
	reg := e.sim.Register(e.app.AppID)
	if len(reg) != 23 || strings.Trim(reg, "0123456789") != "" {
		t.Errorf("regId %q, want 23 digits", reg)
	}
	t.Run("OK", func(t *testing.T) {
		_, out := e.post(t, vivo.PathSend, tok, e.message(reg))
		wantResult(t, out, vivo.CodeOK)
		in := e.sim.Inbox(reg)
		if len(in) != 1 || in[0].MessageID != out["taskId"] || in[0].Ext != "x" || in[0].Title != "Hi" {
			t.Errorf("inbox = %+v, answer %v", in, out)
		}
	})
	t.Run("DuplicateRequestID", func(t *testing.T) {
		m := e.message(reg)
		_, first := e.post(t, vivo.PathSend, tok, m)
		_, again := e.post(t, vivo.PathSend, tok, m)
		if first["taskId"] != again["taskId"] || len(e.sim.Inbox(reg)) != 2 {
			t.Errorf("a repeated requestId must be answered with the same taskId and not delivered twice: %v %v, inbox %d", first, again, len(e.sim.Inbox(reg)))
		}
	})
	for _, tc := range []struct {
		name string
		mod  func(m map[string]any)
		code int
	}{
		{"ErrNoTitle", func(m map[string]any) { delete(m, "title") }, vivo.CodeTitle},
		{"ErrLongTitle", func(m map[string]any) { m["title"] = strings.Repeat("标", 41) }, vivo.CodeTitle},
		{"ErrNoContent", func(m map[string]any) { m["content"] = "" }, vivo.CodeContent},
		{"ErrLongContent", func(m map[string]any) { m["content"] = strings.Repeat("a", 101) }, vivo.CodeContent},
		{"ErrNoRequestID", func(m map[string]any) { delete(m, "requestId") }, vivo.CodeRequestID},
		{"ErrLongRequestID", func(m map[string]any) { m["requestId"] = strings.Repeat("r", 65) }, vivo.CodeRequestID},
		{"ErrNoTarget", func(m map[string]any) { delete(m, "regId") }, vivo.CodeNoTarget},
		{"ErrNotifyType", func(m map[string]any) { m["notifyType"] = 5 }, vivo.CodeNotifyType},
		{"ErrTTLShort", func(m map[string]any) { m["timeToLive"] = 59 }, vivo.CodeTimeToLive},
		{"ErrTTLLong", func(m map[string]any) { m["timeToLive"] = 86401 }, vivo.CodeTimeToLive},
		{"ErrSkipURL", func(m map[string]any) { m["skipType"], m["skipContent"] = 2, "not a url" }, vivo.CodeSkip},
		{"ErrSkipIntent", func(m map[string]any) { m["skipType"], m["skipContent"] = 4, "com.example.Main" }, vivo.CodeSkip},
		{"ErrOversizedCustomMap", func(m map[string]any) { m["clientCustomMap"] = map[string]string{"ext": strings.Repeat("x", 1020)} }, vivo.CodeCustomMap},
		{"ErrNotifyID", func(m map[string]any) { m["notifyId"] = 0 }, vivo.CodeNotifyID},
		{"ErrCategory", func(m map[string]any) { m["category"] = "im" }, vivo.CodeCategory},
		{"ErrCategoryMismatch", func(m map[string]any) { delete(m, "classification") }, vivo.CodeCategoryMismatch},
		{"ErrAppMismatch", func(m map[string]any) { m["appId"] = 1 }, vivo.CodeAppMismatch},
		{"ErrType", func(m map[string]any) { m["title"] = 5 }, vivo.CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := e.message(reg)
			tc.mod(m)
			before := len(e.sim.Inbox(reg))
			_, out := e.post(t, vivo.PathSend, tok, m)
			wantResult(t, out, tc.code)
			if len(e.sim.Inbox(reg)) != before {
				t.Errorf("a refused message was delivered")
			}
		})
	}
	t.Run("ErrUnregistered", func(t *testing.T) {
		gone := e.sim.Register(e.app.AppID)
		e.sim.Unregister(gone)
		_, out := e.post(t, vivo.PathSend, tok, e.message(gone))
		wantResult(t, out, vivo.CodeInvalidRegID)
		if u, _ := out["invalidUser"].(map[string]any); u["status"] != 2.0 || u["userid"] != gone {
			t.Errorf("invalidUser = %v, want status 2 for %s", out["invalidUser"], gone)
		}
		_, out = e.post(t, vivo.PathSend, tok, e.message("00000000000000000000000"))
		if u, _ := out["invalidUser"].(map[string]any); u["status"] != 1.0 {
			t.Errorf("unknown regId: invalidUser = %v, want status 1", out["invalidUser"])
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		_, out := e.post(t, vivo.PathSend, "", e.message(reg))
		wantResult(t, out, vivo.CodeAuthFailed)
		_, out = e.post(t, vivo.PathSend, "forged", e.message(reg))
		wantResult(t, out, vivo.CodeAuthFailed)
	})
	t.Run("ErrExpiredToken", func(t *testing.T) {
		e.now = e.now.Add(vivo.TokenLifetime)
		defer func() { e.now = e.now.Add(-vivo.TokenLifetime) }()
		_, out := e.post(t, vivo.PathSend, tok, e.message(reg))
		wantResult(t, out, vivo.CodeAuthFailed)
	})
}

func TestServer_List(t *testing.T) {
	e := newSim(t)
	tok := e.token(t)
	regs := make([]string, 3)
	for i := range regs {
		regs[i] = e.sim.Register(e.app.AppID)
	}
	e.sim.Unregister(regs[1])
	m := e.message("")
	delete(m, "regId")
	_, saved := e.post(t, vivo.PathSaveListPayload, tok, m)
	wantResult(t, saved, vivo.CodeOK)
	taskID, _ := saved["taskId"].(string)
	list := func(regIDs []string) map[string]any {
		return map[string]any{"appId": json.Number(e.app.AppID), "regIds": regIDs, "taskId": taskID, "requestId": vendorsim.RandomHex(8), "pushMode": 0}
	}

	t.Run("OK", func(t *testing.T) {
		_, out := e.post(t, vivo.PathPushToList, tok, list(regs))
		wantResult(t, out, vivo.CodeOK)
		invalid, _ := out["invalidUsers"].([]any)
		if len(invalid) != 1 || fmt.Sprint(invalid[0]) != fmt.Sprint(map[string]any{"status": 2.0, "userid": regs[1]}) {
			t.Errorf("invalidUsers = %v, want regs[1] with status 2", out["invalidUsers"])
		}
		if len(e.sim.Inbox(regs[0])) != 1 || len(e.sim.Inbox(regs[2])) != 1 || e.sim.Inbox(regs[0])[0].Ext != "x" {
			t.Errorf("valid phones did not get the saved payload")
		}
	})
	t.Run("ErrTooManyRegIDs", func(t *testing.T) {
		many := make([]string, vivo.MaxRegIDs+1)
		for i := range many {
			many[i] = regs[0]
		}
		_, out := e.post(t, vivo.PathPushToList, tok, list(many))
		wantResult(t, out, vivo.CodeRegIDCount)
	})
	t.Run("ErrOneRegID", func(t *testing.T) {
		_, out := e.post(t, vivo.PathPushToList, tok, list(regs[:1]))
		wantResult(t, out, vivo.CodeRegIDCount)
	})
	t.Run("ErrUnknownTask", func(t *testing.T) {
		b := list(regs)
		b["taskId"] = "1"
		_, out := e.post(t, vivo.PathPushToList, tok, b)
		wantResult(t, out, vivo.CodeTaskID)
	})
	t.Run("ErrPayloadChecked", func(t *testing.T) {
		bad := e.message("")
		bad["title"] = ""
		_, out := e.post(t, vivo.PathSaveListPayload, tok, bad)
		wantResult(t, out, vivo.CodeTitle)
	})
}

func TestServer_Faults(t *testing.T) {
	e := newSim(t)
	tok := e.token(t)
	reg := e.sim.Register(e.app.AppID)
	for _, tc := range []struct {
		fault  vendorsim.Fault
		path   string
		status int
		code   int
	}{
		{vendorsim.Fault{Kind: vendorsim.ServerError}, vivo.PathSend, 500, 0},
		{vendorsim.Fault{Kind: vendorsim.Throttle}, vivo.PathSend, 200, vivo.CodeTooFast},
		{vendorsim.Fault{Kind: vendorsim.Quota}, vivo.PathSend, 200, vivo.CodeTotalExceeded},
		{vendorsim.Fault{Kind: vendorsim.Quota}, vivo.PathSaveListPayload, 200, vivo.CodeListExceeded},
		{vendorsim.Fault{Kind: vendorsim.AuthExpired}, vivo.PathSend, 200, vivo.CodeAuthFailed},
		{vendorsim.Fault{Kind: vendorsim.AuthExpired, Target: vendorsim.TargetAuth}, vivo.PathAuth, 200, vivo.CodeSignWrong},
	} {
		t.Run(string(tc.fault.Kind)+tc.path, func(t *testing.T) {
			e.sim.Inject(tc.fault)
			body := e.message(reg)
			if tc.path == vivo.PathAuth {
				body = e.authBody(e.app.AppSecret, e.now)
			}
			status, out := e.post(t, tc.path, tok, body)
			if status != tc.status {
				t.Errorf("status = %d, want %d", status, tc.status)
			}
			if tc.code != 0 {
				wantResult(t, out, tc.code)
			}
			// The fault is used up: the next request succeeds.
			_, out = e.post(t, tc.path, tok, body)
			wantResult(t, out, vivo.CodeOK)
		})
	}
}
