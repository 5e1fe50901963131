package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
)

// specClient calls a node's admin API and checks each request and answer against
// docs/openapi.yaml.
type specClient struct {
	t      *testing.T
	n      *node
	router routers.Router
	called map[string]bool // operation IDs called
}

func newSpecClient(t *testing.T, n *node) *specClient {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://" + n.Addr()}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specClient{t: t, n: n, router: r, called: map[string]bool{}}
}

// call makes the admin call, fails the test when the request or the answer does not
// fit the description, and decodes a 200 answer into out.
func (c *specClient) call(method, path string, body, out any) int {
	c.t.Helper()
	return c.callWant(http.StatusOK, method, path, body, out)
}

// callWant is call for an answer of status want.
func (c *specClient) callWant(want int, method, path string, body, out any) int {
	c.t.Helper()
	var data []byte
	if body != nil {
		data, _ = json.Marshal(body)
	}
	sep := "?"
	if bytes.ContainsRune([]byte(path), '?') {
		sep = "&"
	}
	u := fmt.Sprintf("http://%s%s%ssdkappid=%d&identifier=administrator&usersig=%s", c.n.Addr(), path, sep, testAppID, url.QueryEscape(sig(c.t, "administrator")))
	newReq := func() *http.Request {
		req, _ := http.NewRequest(method, u, bytes.NewReader(data))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	ctx := context.Background()
	vreq := newReq()
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		c.t.Fatalf("%s %s: not in docs/openapi.yaml: %v", method, path, err)
	}
	c.called[route.Operation.OperationID] = true
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		c.t.Errorf("%s %s: the request does not fit docs/openapi.yaml: %v", method, path, err)
	}
	res, err := http.DefaultClient.Do(newReq())
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(got)),
		Options: &openapi3filter.Options{MultiError: true},
	}); err != nil {
		c.t.Errorf("%s %s: the answer %d %s does not fit docs/openapi.yaml: %v", method, path, res.StatusCode, got, err)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			c.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	if res.StatusCode != want {
		c.t.Errorf("%s %s: %d %s, want %d", method, path, res.StatusCode, got, want)
	}
	return res.StatusCode
}

// TestOpenAPI_RealCalls makes every documented admin call against a running node and
// checks requests and answers against docs/openapi.yaml.
func TestOpenAPI_RealCalls(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	c := newSpecClient(t, n.node)
	ctx := ctxT(t)
	text := []map[string]string{{"type": "text", "text": "hi"}}

	c.call("POST", "/v1/admin/accounts/import", map[string]any{"accounts": []map[string]string{{"user_id": "alice", "nickname": "Alice"}, {"user_id": "bob"}, {"user_id": "carol"}}}, nil)
	c.call("GET", "/v1/admin/app/settings", nil, nil)
	c.call("POST", "/v1/admin/app/settings", map[string]any{"retention_days": 7, "device_policy": "per_platform"}, nil)
	c.call("POST", "/v1/admin/app/callback-secret", nil, nil)
	c.call("GET", "/v1/admin/app/webhook-deliveries?limit=10", nil, nil)

	c.call("POST", "/v1/admin/groups", map[string]any{"group_id": "g1", "name": "G", "owner_id": "alice", "member_ids": []string{"bob"}}, nil)
	c.call("GET", "/v1/admin/groups/g1", nil, nil)
	c.call("GET", "/v1/admin/groups/g1/info", nil, nil)
	c.call("PATCH", "/v1/admin/groups/g1", map[string]any{"name": "G2", "introduction": "about"}, nil)
	c.call("POST", "/v1/admin/groups/g1/members", map[string]any{"user_ids": []string{"carol"}}, nil)
	c.call("GET", "/v1/admin/groups/g1/members?offset=0&limit=10", nil, nil)
	c.call("POST", "/v1/admin/groups/g1/members/role", map[string]any{"user_id": "bob", "role": "admin"}, nil)
	c.call("PATCH", "/v1/admin/groups/g1/members/carol", map[string]any{"name_card": "C", "mute_seconds": 0}, nil)
	c.call("POST", "/v1/admin/groups/g1/messages", map[string]any{"from": "alice", "elements": text}, nil)
	c.call("POST", "/v1/admin/groups/g1/owner", map[string]any{"user_id": "bob"}, nil)
	c.call("POST", "/v1/admin/groups/g1/members/remove", map[string]any{"user_ids": []string{"carol"}}, nil)
	c.call("DELETE", "/v1/admin/groups/g1", nil, nil)

	var sent struct{ Message struct{ ID string } }
	c.call("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": text, "offline_push_info": map[string]any{"title": "t", "desc": "d"}}, &sent)
	c.call("POST", "/v1/admin/messages/batch", map[string]any{"from": "alice", "to_users": []string{"bob", "carol"}, "elements": text}, nil)
	c.call("POST", "/v1/admin/messages/import", map[string]any{"from": "bob", "to": "alice", "elements": text, "time": time.Now().Add(-time.Hour).UnixMilli()}, nil)
	c.call("GET", "/v1/admin/push/messages/"+sent.Message.ID+"/trace", nil, nil)
	var found struct{ Messages []struct{ ID string } }
	c.call("GET", fmt.Sprintf("/v1/admin/messages?user=alice&conversation=c2c_bob&since=%d&limit=10", time.Now().Add(-time.Minute).UnixMilli()), nil, &found)
	if len(found.Messages) != 2 || found.Messages[1].ID != sent.Message.ID {
		t.Errorf("message search: %+v, want the batch message, then the message to bob", found.Messages)
	}
	c.callWant(http.StatusBadRequest, "GET", "/v1/admin/messages?conversation=c2c_bob", nil, nil)
	c.call("POST", "/v1/admin/messages/"+sent.Message.ID+"/recall", nil, nil)

	c.call("POST", "/v1/admin/users/bob/profile", map[string]any{"nickname": "Bob", "items": map[string]string{"gender": "male"}}, nil)
	c.call("GET", "/v1/admin/users/bob/profile", nil, nil)
	var e struct{ Code int }
	c.callWant(http.StatusNotFound, "GET", "/v1/admin/users/nobody/profile", nil, &e)
	c.call("POST", "/v1/admin/users/bob/tags", map[string]any{"tags": []string{"vip", "beta"}}, nil)
	c.call("GET", "/v1/admin/users/bob/tags", nil, nil)
	c.call("POST", "/v1/admin/users/bob/tags/remove", map[string]any{"tags": []string{"beta"}}, nil)
	c.call("POST", "/v1/admin/push/attr-names", map[string]any{"names": []string{"city"}}, nil)
	c.call("GET", "/v1/admin/push/attr-names", nil, nil)
	c.call("POST", "/v1/admin/users/bob/attrs", map[string]any{"attrs": map[string]string{"city": "sz"}}, nil)
	c.call("GET", "/v1/admin/users/bob/attrs", nil, nil)

	var cert struct{ ID int64 }
	c.call("POST", "/v1/admin/push/certificates", certBody(t, n.sim(push.Huawei), "spec"), &cert)
	c.call("GET", "/v1/admin/push/certificates", nil, nil)
	c.call("GET", fmt.Sprintf("/v1/admin/push/certificates/%d", cert.ID), nil, nil)
	c.call("PATCH", fmt.Sprintf("/v1/admin/push/certificates/%d", cert.ID), map[string]any{"name": "spec 2"}, nil)
	bob := MustLogin(t, n.node, "bob", "hw", "Android")
	if err := bob.SetOfflinePushConfig(ctx, cert.ID, n.phone(push.Huawei)); err != nil {
		t.Fatal(err)
	}
	c.call("GET", "/v1/admin/users/bob/devices?from=alice", nil, nil)
	c.call("POST", "/v1/admin/push/test", map[string]any{"user_id": "bob", "title": "T", "body": "B"}, nil)
	var health struct {
		Certificates []struct {
			CertificateID int64  `json:"certificate_id"`
			Auth          string `json:"auth"`
		}
	}
	c.call("GET", "/v1/admin/push/certificates/health", nil, &health)
	if !slices.ContainsFunc(health.Certificates, func(h struct {
		CertificateID int64  `json:"certificate_id"`
		Auth          string `json:"auth"`
	}) bool {
		return h.CertificateID == cert.ID && h.Auth == "ok"
	}) {
		t.Errorf("certificate health %+v: want certificate %d with auth ok after the test push", health.Certificates, cert.ID)
	}
	var task struct {
		TaskID string `json:"task_id"`
	}
	c.call("POST", "/v1/admin/push/broadcast", map[string]any{"condition": map[string]any{"tags_and": []string{"vip"}}, "title": "Sale", "desc": "Today"}, &task)
	c.call("GET", "/v1/admin/push/tasks/"+task.TaskID, nil, nil)
	var tasks struct {
		Tasks []struct {
			TaskID string `json:"task_id"`
		}
	}
	c.call("GET", "/v1/admin/push/tasks?limit=5", nil, &tasks)
	if len(tasks.Tasks) != 1 || tasks.Tasks[0].TaskID != task.TaskID {
		t.Errorf("task list %+v, want the one broadcast %s", tasks.Tasks, task.TaskID)
	}
	c.call("GET", "/v1/admin/push/stats", nil, nil)
	// A push retried once: its trace's tries are checked against the description too.
	bob.Close()
	waitDeviceState(t, n.node, "bob", "hw", store.Offline)
	n.sim(push.Huawei).Sim.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Count: 1})
	var retried struct{ Message struct{ ID string } }
	c.call("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": text, "offline_push_info": map[string]any{"title": "t", "desc": "d"}}, &retried)
	if rec := n.waitRecord(t, retried.Message.ID, "hw"); rec.Outcome != "accepted" || rec.Attempts != 2 {
		t.Errorf("retried push: %+v, want accepted at the second attempt", rec)
	}
	var trace struct {
		Records []struct {
			Tries []struct{ Attempt int }
		}
	}
	c.call("GET", "/v1/admin/push/messages/"+retried.Message.ID+"/trace", nil, &trace)
	if len(trace.Records) != 1 || len(trace.Records[0].Tries) != 1 || trace.Records[0].Tries[0].Attempt != 1 {
		t.Errorf("trace of the retried push %+v, want one earlier try", trace)
	}
	c.call("POST", "/v1/admin/users/bob/kick", nil, nil)
	c.call("DELETE", fmt.Sprintf("/v1/admin/push/certificates/%d", cert.ID), nil, nil)
	c.call("DELETE", "/v1/admin/users/carol", nil, nil)
	if e.Code != 40401 {
		t.Errorf("an unknown user's profile: code %d, want 40401", e.Code)
	}

	// Every documented operation was called; the sandbox's by TestOpenAPI_SandboxCalls.
	c.checkCalled(false)
}

// checkCalled fails the test for each documented operation not called: those tagged
// sandbox, or all the others.
func (c *specClient) checkCalled(sandbox bool) {
	c.t.Helper()
	doc, _ := openapi3.NewLoader().LoadFromFile("../../docs/openapi.yaml")
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if slices.Contains(op.Tags, "sandbox") == sandbox && !c.called[op.OperationID] {
				c.t.Errorf("%s %s (%s) was not called", method, path, op.OperationID)
			}
		}
	}
}

// TestOpenAPI_SandboxCalls makes every documented sandbox call against a node started
// with --sandbox, which mounts them beside the admin router, and checks requests and
// answers against docs/openapi.yaml.
func TestOpenAPI_SandboxCalls(t *testing.T) {
	cfg := MustConfig(t, "sqlite")
	cfg.Sandbox = true
	n := MustOpenNode(t, cfg)
	c := newSpecClient(t, n)

	var info struct {
		Simulators []struct{ Vendor string }
	}
	c.call("GET", "/v1/admin/sandbox", nil, &info)
	if len(info.Simulators) != 8 {
		t.Errorf("sandbox: %d simulators, want 8", len(info.Simulators))
	}
	// A phone on every vendor, each of its own user (one Android device per user by
	// default), so that each simulator's notification is checked against the
	// description.
	var phones []struct{ ID, State string }
	var users []string
	for _, v := range info.Simulators {
		var ph struct{ ID, State string }
		users = append(users, "bob_"+v.Vendor)
		c.call("POST", "/v1/admin/sandbox/phones", map[string]any{"vendor": v.Vendor, "user_id": users[len(users)-1], "state": "background"}, &ph)
		phones = append(phones, ph)
	}
	c.callWant(http.StatusBadRequest, "POST", "/v1/admin/sandbox/phones", map[string]any{"vendor": "huawei", "user_id": "bad\nid"}, nil)
	var list struct{ Phones []struct{ ID string } }
	c.call("GET", "/v1/admin/sandbox/phones", nil, &list)
	if len(list.Phones) != len(phones) {
		t.Errorf("%d phones listed, want %d", len(list.Phones), len(phones))
	}
	c.callWant(http.StatusNotFound, "GET", "/v1/admin/sandbox/phones/nophone", nil, nil)

	c.call("POST", "/v1/admin/accounts/import", map[string]any{"accounts": []map[string]string{{"user_id": "alice"}}}, nil)
	c.call("POST", "/v1/admin/messages/batch", map[string]any{"from": "alice", "to_users": users,
		"elements":          []map[string]string{{"type": "text", "text": "Dinner at eight?"}},
		"offline_push_info": map[string]any{"title": "alice", "desc": "Dinner at eight?", "ext": `{"open":"chat"}`}}, nil)
	for _, ph := range phones {
		c.call("GET", "/v1/admin/sandbox/phones/"+ph.ID, nil, nil)
		var notes struct {
			Notifications []struct{ Title, Body string }
		}
		for deadline := time.Now().Add(10 * time.Second); len(notes.Notifications) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			c.call("GET", "/v1/admin/sandbox/phones/"+ph.ID+"/notifications", nil, &notes)
		}
		if len(notes.Notifications) != 1 || notes.Notifications[0].Body != "Dinner at eight?" {
			t.Errorf("%s lock screen %+v, want the message", ph.ID, notes.Notifications)
			continue
		}
		var tap struct{ Ext string }
		c.call("POST", "/v1/admin/sandbox/phones/"+ph.ID+"/notifications/0/tap", nil, &tap)
		if tap.Ext != `{"open":"chat"}` {
			t.Errorf("%s tap: ext %q", ph.ID, tap.Ext)
		}
	}
	ph := phones[0]
	c.callWant(http.StatusNotFound, "POST", "/v1/admin/sandbox/phones/"+ph.ID+"/notifications/5/tap", nil, nil)

	c.call("PATCH", "/v1/admin/sandbox/phones/"+ph.ID, map[string]any{"state": "killed"}, &ph)
	if ph.State != "killed" {
		t.Errorf("after PATCH: state %q, want killed", ph.State)
	}
	c.call("DELETE", "/v1/admin/sandbox/phones/"+ph.ID, nil, nil)
	c.checkCalled(true)
}
