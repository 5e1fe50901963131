package vendorsim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/vendorsim"
)

func TestSim_Faults(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := vendorsim.NewSim("test")
	s.Now = func() time.Time { return now }
	s.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Count: 2})
	s.Inject(vendorsim.Fault{Kind: vendorsim.AuthExpired, Target: vendorsim.TargetAuth})
	s.Inject(vendorsim.Fault{Kind: vendorsim.Throttle, Until: now.Add(time.Minute)})

	var got []vendorsim.FaultKind
	for i := 0; i < 4; i++ {
		f, ok := s.NextFault(vendorsim.TargetSend)
		if !ok {
			t.Fatalf("request %d: no fault", i)
		}
		got = append(got, f.Kind)
	}
	want := []vendorsim.FaultKind{vendorsim.ServerError, vendorsim.ServerError, vendorsim.Throttle, vendorsim.Throttle}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("send faults: got %v, want %v", got, want)
			break
		}
	}
	if f, ok := s.NextFault(vendorsim.TargetAuth); !ok || f.Kind != vendorsim.AuthExpired {
		t.Errorf("auth fault: %v %v", f, ok)
	}
	now = now.Add(2 * time.Minute)
	if f, ok := s.NextFault(vendorsim.TargetSend); ok {
		t.Errorf("the throttle window has passed, got %v", f)
	}
}

func TestSim_AdminAPI(t *testing.T) {
	s := vendorsim.NewSim("test")
	srv := httptest.NewServer(s.AdminHandler())
	defer srv.Close()

	res, err := http.Post(srv.URL+"/_sim/phones", "application/json", strings.NewReader(`{"app":"com.example"}`))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct{ Token string }
	json.NewDecoder(res.Body).Decode(&reg)
	res.Body.Close()
	if st, app := s.Lookup(reg.Token); st != vendorsim.Active || app != "com.example" {
		t.Fatalf("registered phone: %v %q", st, app)
	}
	s.Deliver(vendorsim.Delivered{Token: reg.Token, Title: "t", Ext: `{"k":1}`})
	res, _ = http.Post(srv.URL+"/_sim/phones/"+reg.Token+"/tap", "", nil)
	var tap vendorsim.ClickResult
	json.NewDecoder(res.Body).Decode(&tap)
	res.Body.Close()
	if tap.Ext != `{"k":1}` {
		t.Errorf("tap ext: %q", tap.Ext)
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/_sim/phones/"+reg.Token, nil)
	if res, _ := http.DefaultClient.Do(req); res.StatusCode != http.StatusNoContent {
		t.Errorf("unregister: %d", res.StatusCode)
	}
	if st, _ := s.Lookup(reg.Token); st != vendorsim.Unregistered {
		t.Errorf("state after unregister: %v", st)
	}
	s.Deliver(vendorsim.Delivered{Token: reg.Token, Title: "late"})
	if n := len(s.Inbox(reg.Token)); n != 1 {
		t.Errorf("an unregistered phone got a notification: inbox %d", n)
	}
	res, _ = http.Post(srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"kind":"throttle","count":1,"retry_after_s":7}`))
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("inject fault: %d", res.StatusCode)
	}
	if f, ok := s.NextFault(vendorsim.TargetSend); !ok || f.RetryAfter != 7*time.Second {
		t.Errorf("injected fault: %+v %v", f, ok)
	}
	if st := s.Stats(); st.Notifications != 1 {
		t.Errorf("stats: %+v", st)
	}
}

// TestSim_Shown: the lock screen shows each notification in place of the one it
// replaces (a shared replace key), beside those it does not; data messages are not
// shown; the inbox keeps everything.
func TestSim_Shown(t *testing.T) {
	s := vendorsim.NewSim("test")
	tok := s.Register("app")
	deliver := func(title, body string, keys ...string) {
		s.Deliver(vendorsim.Delivered{Token: tok, Title: title, Body: body, ReplaceKeys: keys})
	}
	deliver("a", "first", "notify_id:1", "tag:m1")
	deliver("b", "second", "notify_id:2")
	deliver("c", "no key")
	deliver("", "", "notify_id:1") // data only: the app's
	deliver("a", "first again", "tag:m1")
	deliver("b", "second again", "notify_id:2")
	deliver("c", "no key again")

	var got []string
	for _, d := range s.Shown(tok) {
		got = append(got, d.Body)
	}
	want := []string{"first again", "second again", "no key", "no key again"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Shown() = %q, want %q", got, want)
	}
	if n := len(s.Inbox(tok)); n != 7 {
		t.Errorf("inbox has %d notifications, want all 7", n)
	}
	if s.Shown("no-such-token") != nil {
		t.Error("Shown(unknown token) is not nil")
	}
}
