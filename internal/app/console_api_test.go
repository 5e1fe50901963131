package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// get makes an admin GET with query q besides the credentials.
func (n *node) get(path string, q url.Values, out any) int {
	n.tb.Helper()
	q.Set("sdkappid", fmt.Sprint(testAppID))
	q.Set("identifier", "administrator")
	q.Set("usersig", sig(n.tb, "administrator"))
	res, err := http.Get("http://" + n.Addr() + path + "?" + q.Encode())
	if err != nil {
		n.tb.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		n.tb.Fatalf("decode GET %s: %v", path, err)
	}
	return res.StatusCode
}

// TestConsoleAPI_MessageSearch: GET /v1/admin/messages finds messages by user,
// conversation and time, and names the bad parameter.
func TestConsoleAPI_MessageSearch(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("alice", "bob", "carol")
	send := func(from, to, text string) string {
		var sent struct{ Message struct{ ID string } }
		if st := n.admin("POST", "/v1/admin/messages", map[string]any{"from": from, "to": to, "elements": []map[string]string{{"type": "text", "text": text}}}, &sent); st != 200 {
			t.Fatalf("send: status %d", st)
		}
		return sent.Message.ID
	}
	m1 := send("alice", "bob", "one")
	m2 := send("bob", "carol", "two")
	m3 := send("carol", "alice", "three")
	type answer struct {
		Code     int
		Messages []struct{ ID string }
	}
	ids := func(a answer) []string {
		out := []string{}
		for _, m := range a.Messages {
			out = append(out, m.ID)
		}
		return out
	}
	for _, test := range []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"All", url.Values{}, []string{m3, m2, m1}},
		{"User", url.Values{"user": {"bob"}}, []string{m2, m1}},
		{"Conversation", url.Values{"user": {"alice"}, "conversation": {"c2c_carol"}}, []string{m3}},
		{"Until", url.Values{"until": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}}, []string{}},
		{"Limit", url.Values{"limit": {"1"}}, []string{m3}},
	} {
		t.Run(test.name, func(t *testing.T) {
			var a answer
			if st := n.get("/v1/admin/messages", test.query, &a); st != 200 {
				t.Fatalf("status %d code %d", st, a.Code)
			}
			if got := ids(a); fmt.Sprint(got) != fmt.Sprint(test.want) {
				t.Errorf("GET /v1/admin/messages?%s got %v, want %v", test.query.Encode(), got, test.want)
			}
		})
	}
	for _, q := range []string{"conversation=c2c_bob", "conversation=bob", "since=yesterday", "limit=0", "limit=201"} {
		t.Run("Err_"+q, func(t *testing.T) {
			var a answer
			v, _ := url.ParseQuery(q)
			if st := n.get("/v1/admin/messages", v, &a); st != 400 || a.Code != 40001 {
				t.Errorf("GET /v1/admin/messages?%s: status %d code %d, want 400 40001", q, st, a.Code)
			}
		})
	}
}

// TestConsoleAPI_Lists: tasks, certificate health and the webhook log answer empty
// lists on a new app, and refuse a bad limit.
func TestConsoleAPI_Lists(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	for _, path := range []string{"/v1/admin/push/tasks", "/v1/admin/push/certificates/health", "/v1/admin/app/webhook-deliveries"} {
		var a map[string]any
		if st := n.admin("GET", path, nil, &a); st != 200 {
			t.Errorf("GET %s: status %d", path, st)
		}
		for _, v := range a {
			if l, ok := v.([]any); !ok || len(l) != 0 {
				t.Errorf("GET %s = %v, want one empty list", path, a)
			}
		}
		var e struct{ Code int }
		if st := n.get(path, url.Values{"limit": {"0"}}, &e); path != "/v1/admin/push/certificates/health" && (st != 400 || e.Code != 40001) {
			t.Errorf("GET %s?limit=0: status %d code %d, want 400 40001", path, st, e.Code)
		}
	}
	// Without --sandbox, the sandbox's calls say how to get one.
	var e struct{ Code int }
	if st := n.admin("GET", "/v1/admin/sandbox/phones", nil, &e); st != 404 || e.Code != 40002 {
		t.Errorf("GET /v1/admin/sandbox/phones without a sandbox: status %d code %d, want 404 40002", st, e.Code)
	}
}
