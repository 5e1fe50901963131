package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/sandbox"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/webhook"
)

// chromiumPath returns the Chromium binary to drive: $HERALD_CHROMIUM, else chromium
// (Debian's package) or another Chrome on the PATH; "" if there is none.
func chromiumPath() string {
	if p := os.Getenv("HERALD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is a headless Chromium tab on a node's console. It fails the test on any
// script exception, console error or CSP violation; the API's error answers, which the
// console shows itself, are allowed.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; each step runs under its own timeout
	base string          // http://addr/console/
	dir  string          // screenshots

	mu       sync.Mutex // protects problems
	problems []string
}

// stepTimeout bounds one browser step (a navigation, a click and what it waits for).
const stepTimeout = 30 * time.Second

// MustChromium returns the Chromium binary, or skips the test when there is none.
func MustChromium(t *testing.T) string {
	t.Helper()
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no Chromium binary (chromium) on this machine: install it (apt-get install -y chromium) to run the console's browser test; .ci/run does")
	}
	return chrome
}

// MustOpenBrowser starts headless Chromium on n's console; cleanup stops it.
func MustOpenBrowser(t *testing.T, chrome string, n *node) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
		// The machine's network is closed: no background calls to Google's hosts.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		wg.Wait()
	})
	dir := os.Getenv("HERALD_CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: "http://" + n.Addr() + "/console/", dir: dir}
	// The first call starts the browser; it must not run under a timeout.
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("start %s: %v", chrome, err)
	}
	watch(ctx, &wg, runtime.ExceptionThrown, func(ev runtime.EventExceptionThrown) {
		b.problem(fmt.Sprintf("exception: %s %s", ev.ExceptionDetails.Text, describe(ev.ExceptionDetails.Exception)))
	})
	watch(ctx, &wg, runtime.ConsoleAPICalled, func(ev runtime.EventConsoleAPICalled) {
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range ev.Args {
				args = append(args, describe(a))
			}
			b.problem("console.error: " + strings.Join(args, " "))
		}
	})
	watch(ctx, &wg, cdplog.EntryAdded, func(ev cdplog.EventEntryAdded) {
		// A CSP violation is a "security" entry; the API's 4xx answers are "network".
		if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
			b.problem(fmt.Sprintf("%s: %s", ev.Entry.Source, ev.Entry.Text))
		}
	})
	t.Logf("console screenshots in %s", dir)
	return b
}

// watch calls f with each event e of the tab until ctx ends.
func watch[E any](ctx context.Context, wg *sync.WaitGroup, e cdp.Event[E], f func(E)) {
	events := chromedp.Events(ctx, e)
	wg.Go(func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			f(ev)
		}
	})
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Value)
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// check fails the test on any page problem so far.
func (b *browser) check(what string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Fatalf("%s: the page reported %s", what, strings.Join(b.problems, "; "))
	}
}

// do runs the steps under one step timeout and fails the test on an error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	b.check(what)
}

// browserValue runs one action that returns a value.
func browserValue[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	b.check(what)
	return v
}

// text waits for the element sel and returns its text.
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	return browserValue(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// shot saves a PNG of the whole page as name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := browserValue(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// css shortens the selectors of the steps below.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func waitVisible(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(css(sel)) }
func clickOn(sel string) chromedp.Action[chromedp.Void]     { return chromedp.Click(css(sel)) }
func setValue(sel, v string) chromedp.Action[chromedp.Void] { return chromedp.SetValue(css(sel), v) }

// waitJS waits until the JavaScript expression js is true on the page.
func waitJS(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](js)(ctx, t)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", js, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}

// certRow is a JavaScript expression true once the certificates table lists name.
func certRow(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#cert-table tbody tr")].some(r => r.cells[2] && r.cells[2].textContent === %q)`, name)
}

// choose selects value in a <select> as a user would, firing its change event.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); return e.value; })()`, sel, value)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		got, err := chromedp.Evaluate[string](js)(ctx, t)
		if err != nil {
			return err
		}
		if got != value {
			return fmt.Errorf("select %s: no option %q", sel, value)
		}
		return nil
	})
}

func TestConsole_Browser(t *testing.T) {
	chrome := MustChromium(t)
	n := MustOpenPushNode(t, "sqlite")
	b := MustOpenBrowser(t, chrome, n.node)
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	mi := n.sim(push.Xiaomi)

	// Signed out, a page sends the browser to the sign-in page; a bad UserSig is shown
	// with the API's code and message.
	b.do("open certificates signed out", chromedp.Navigate(b.base+"certificates"), waitVisible("#signin-form"))
	b.do("sign in with a bad UserSig",
		setValue(`#signin-form [name=sdkappid]`, fmt.Sprint(testAppID)),
		setValue(`#signin-form [name=usersig]`, "not-a-usersig"),
		clickOn(`#signin-form button`),
		waitVisible("#error"))
	if e := b.text("#error"); !strings.Contains(e, "Error 401") {
		t.Errorf("bad UserSig: the page says %q, want the API's code 401xx", e)
	}
	b.shot("1-signin-error")
	b.do("sign in",
		setValue(`#signin-form [name=usersig]`, sig(t, "administrator")),
		clickOn(`#signin-form button`),
		waitVisible(`#cert-table tbody tr`))
	if who := b.text("#who-text"); who != fmt.Sprintf("administrator @ %d", testAppID) {
		t.Errorf("signed in as %q", who)
	}

	// A Xiaomi certificate through the form, pointed at the simulator.
	const intent = "intent://chat#Intent;scheme=herald;component=com.example.chat/.ChatActivity;end"
	b.do("fill the Xiaomi form",
		clickOn("#cert-new"),
		waitVisible("#cert-form"),
		choose("#cert-vendor", "xiaomi"),
		waitVisible(`[name=f_app_secret]`),
		setValue(`#cert-form [name=name]`, "Mi release"),
		setValue(`[name=f_package_name]`, mi.Certificate.PackageName),
		setValue(`[name=f_app_secret]`, mi.Certificate.AppSecret),
		setValue(`[name=f_channel_id]`, "chat"),
		choose("#cert-click-type", "open_page"),
		waitVisible("#cert-click-target"),
		setValue("#cert-click-target", intent),
		clickOn("#cert-endpoint summary"),
		setValue(`[name=send_url]`, mi.URL))
	b.shot("2-certificate-form")
	b.do("save", clickOn("#cert-save"), waitJS(certRow("Mi release")))
	certID := browserValue(b, "find the new row", chromedp.Evaluate[int64](`Number([...document.querySelectorAll("#cert-table tbody tr")].find(r => r.cells[2].textContent === "Mi release").dataset.id)`))
	sc, err := n.Store.FindCertificateByID(ctx, testAppID, certID)
	if err != nil {
		t.Fatalf("the certificate the form saved: %v", err)
	}
	c, err := push.FromStored(sc)
	if err != nil {
		t.Fatal(err)
	}
	if c.Vendor != push.Xiaomi || c.AppSecret != mi.Certificate.AppSecret || c.PackageName != mi.Certificate.PackageName ||
		c.ChannelID != "chat" || c.Click != (push.ClickAction{Type: push.ClickOpenPage, Target: intent}) || c.Endpoint.SendURL != mi.URL {
		t.Errorf("stored certificate: %+v", c)
	}
	// The secret is not on the page, neither in the list nor in the edit form.
	page := browserValue(b, "page text", chromedp.Text(css("body")))
	if strings.Contains(page, mi.Certificate.AppSecret) {
		t.Errorf("the certificates page shows the app secret")
	}
	b.shot("3-certificates")
	b.do("edit",
		clickOn(fmt.Sprintf(`#cert-table tr[data-id="%d"] button`, certID)),
		waitVisible(`[name=f_app_secret]`))
	secretValue := browserValue(b, "secret value", chromedp.Value(css(`[name=f_app_secret]`)))
	secretPlaceholder := browserValue(b, "secret placeholder", chromedp.AttributeValue(css(`[name=f_app_secret]`), "placeholder")).Value
	if secretValue != "" || !strings.HasPrefix(secretPlaceholder, "****") || strings.Contains(secretPlaceholder, mi.Certificate.AppSecret) {
		t.Errorf("edit form: app secret value %q, placeholder %q; want empty and masked", secretValue, secretPlaceholder)
	}
	b.shot("4-certificate-edit")
	// Saving the edit with the secret left empty keeps it.
	// (The first save's notice may still be up: wait for the renamed row instead.)
	b.do("save the edit", setValue(`#cert-form [name=name]`, "Mi release 2"), clickOn("#cert-save"), waitJS(certRow("Mi release 2")))
	if sc, _ := n.Store.FindCertificateByID(ctx, testAppID, certID); sc == nil || sc.Name != "Mi release 2" {
		t.Errorf("edit: certificate %+v, want the new name", sc)
	} else if c, _ := push.FromStored(sc); c.AppSecret != mi.Certificate.AppSecret {
		t.Errorf("edit with the secret left empty changed the secret")
	}

	// bob's phone binds a token of that certificate, then the app is killed; bob's
	// desktop stays connected in the foreground without a token.
	token := n.phone(push.Xiaomi)
	// The phone's previous user held the token: it moves to bob, on record.
	n.MustImport("zoe")
	prev := MustLogin(t, n.node, "zoe", "old-mi", "Android")
	if err := prev.SetOfflinePushConfig(ctx, certID, token); err != nil {
		t.Fatal(err)
	}
	prev.Close()
	phone := MustLogin(t, n.node, "bob", "mi", "Android")
	if err := phone.SetOfflinePushConfig(ctx, certID, token); err != nil {
		t.Fatal(err)
	}
	phone.Close()
	waitDeviceState(t, n.node, "bob", "mi", store.Offline)
	MustLogin(t, n.node, "bob", "desk", "Windows")

	b.do("device status",
		chromedp.Navigate(b.base+"devices"),
		waitVisible("#devices-form"),
		setValue(`#devices-form [name=user]`, "bob"),
		clickOn(`#devices-form button`),
		waitVisible(`#devices-table tr[data-device="mi"]`))
	row := b.text(`#devices-table tr[data-device="mi"]`)
	for _, want := range []string{"offline", fmt.Sprintf("#%d Xiaomi", certID), "push", token[:4]} {
		if !strings.Contains(row, want) {
			t.Errorf("device status of mi: %q, want %q in it", row, want)
		}
	}
	if strings.Contains(row, token) {
		t.Errorf("device status shows the whole token")
	}
	if desk := b.text(`#devices-table tr[data-device="desk"]`); !strings.Contains(desk, "no_token") {
		t.Errorf("device status of desk: %q, want no_token", desk)
	}
	if moves := b.text(`#moves-table tbody`); !strings.Contains(moves, "zoe / old-mi") || !strings.Contains(moves, "bob / mi") || strings.Contains(moves, token) {
		t.Errorf("token moves on the devices page: %q, want zoe / old-mi to bob / mi, token redacted", moves)
	}
	b.shot("5-devices")

	// Test push from the device's row: the simulator accepts it.
	b.do("test push",
		clickOn(`#devices-table tr[data-device="mi"] a.button`),
		waitVisible("#test-form"),
		clickOn(`#test-form button`),
		waitVisible(`#test-table tr[data-device="mi"] td.outcome`))
	if out := b.text(`#test-table tr[data-device="mi"] td.outcome`); out != "accepted" {
		t.Errorf("test push outcome %q, want accepted", out)
	}
	if got := n.waitInbox(t, push.Xiaomi, token, 1); len(got) != 1 {
		t.Errorf("the phone got %d notifications, want the test push", len(got))
	}
	b.shot("6-test-push")

	// The trace of a real message: the phone was pushed, the desktop was not.
	var sent struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": []map[string]string{{"type": "text", "text": "hello bob"}}}, &sent)
	n.waitRecord(t, sent.Message.ID, "mi")
	b.do("trace",
		chromedp.Navigate(b.base+"trace"),
		waitVisible("#trace-form"),
		setValue(`#trace-form [name=id]`, sent.Message.ID),
		clickOn(`#trace-form button`),
		waitVisible(`#trace-table tr[data-device="mi"]`))
	if row := b.text(`#trace-table tr[data-device="mi"]`); !strings.Contains(row, "push") || !strings.Contains(row, "accepted") || !strings.Contains(row, "Xiaomi") {
		t.Errorf("trace of mi: %q, want push, Xiaomi, accepted", row)
	}
	if row := b.text(`#trace-table tr[data-device="desk"]`); !strings.Contains(row, "no_token") {
		t.Errorf("trace of desk: %q, want no_token", row)
	}
	b.shot("7-trace")

	// Stats: today's Xiaomi pushes (the test and the message) and the skipped desktop.
	b.do("stats", chromedp.Navigate(b.base+"stats"), waitVisible(`#stats-push tbody tr`))
	if s := b.text("#stats-push tbody"); !strings.Contains(s, "Xiaomi") {
		t.Errorf("stats: %q, want a Xiaomi row", s)
	}
	if s := b.text("#stats-skip tbody"); !strings.Contains(s, "no_token") {
		t.Errorf("stats, not pushed: %q, want no_token", s)
	}
	b.shot("8-stats")

	// App settings.
	b.do("settings",
		chromedp.Navigate(b.base+"settings"),
		waitVisible("#settings-form"),
		setValue(`#settings-form [name=retention_days]`, "14"),
		clickOn(`#settings-form button`),
		waitVisible("#settings-saved"))
	var settings struct {
		RetentionDays int `json:"retention_days"`
	}
	n.admin("GET", "/v1/admin/app/settings", nil, &settings)
	if settings.RetentionDays != 14 {
		t.Errorf("retention after saving: %d days, want 14", settings.RetentionDays)
	}
	b.shot("9-settings")

	// An API error on a page: its code and message.
	b.do("unknown user",
		chromedp.Navigate(b.base+"devices?user=nobody"),
		waitVisible("#error"))
	if e := b.text("#error"); !strings.Contains(e, "40401") || !strings.Contains(e, "nobody") {
		t.Errorf("unknown user: the page says %q", e)
	}
	b.shot("10-error")
}

// noOverflow is a JavaScript expression true when the page is no wider than the window.
const noOverflow = `document.documentElement.scrollWidth <= window.innerWidth`

// TestConsole_Sandbox drives the pages a sandbox node adds or that the issue asked for:
// it opens the printed console link (signed in by its fragment), adds phones through the
// Phones page, sends a message and sees it land on the lock screens live, taps it for
// the ext; then the certificate rate, the stats chart and why-not-pushed breakdown, the
// message search and trace timeline, tags and attributes, webhooks, and every page at
// 390 px without horizontal overflow.
func TestConsole_Sandbox(t *testing.T) {
	chrome := MustChromium(t)
	c := MustConfig(t, "sqlite")
	c.Sandbox = true
	// The webhook step saves a callback URL and sends at once: no cached "no callback".
	n := mustOpenNodeWith(t, c, func(m *app.Main) {
		m.ConfigureWebhooks = func(w *webhook.Notifier) { w.AppTTL = 10 * time.Millisecond }
	})
	b := MustOpenBrowser(t, chrome, n)
	ctx := ctxT(t)
	info, err := app.ReadSandboxInfo(c.DataDir)
	if err != nil {
		t.Fatal(err)
	}

	b.do("open the printed console link", chromedp.Navigate(info.ConsoleURL), waitVisible("#phone-form"), waitVisible("#sandbox-banner"))
	if loc := browserValue(b, "location", chromedp.Location()); strings.Contains(loc, "usersig") {
		t.Errorf("the address still holds the UserSig: %s", loc)
	}
	if h1 := b.text("h1"); h1 != "Phones" {
		t.Errorf("h1 %q", h1)
	}
	b.do("add a Huawei phone of bob, app killed",
		choose(`#phone-form [name=vendor]`, "huawei"),
		setValue(`#phone-form [name=user]`, "bob"),
		choose(`#phone-form [name=state]`, "killed"),
		clickOn(`#phone-form button`),
		waitVisible(`.phone[data-phone="sandbox-huawei-1"]`))
	b.do("add an iPhone of bob in the background",
		choose(`#phone-form [name=vendor]`, "apns"),
		choose(`#phone-form [name=state]`, "background"),
		clickOn(`#phone-form button`),
		waitVisible(`.phone[data-phone="sandbox-apns-2"]`))
	if _, err := n.Sandbox.CreatePhone(ctx, sandbox.PhoneSpec{Vendor: push.Xiaomi, UserID: "carol", State: sandbox.Foreground}); err != nil {
		t.Fatal(err)
	}
	// Huawei is down for two requests: bob's Huawei push is tried three times, and the
	// trace timeline below shows the two earlier tries.
	for _, v := range n.Sandbox.Simulators() {
		if v.Vendor == push.Huawei {
			v.Sim.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Count: 2})
		}
	}
	b.do("send bob a message from the page",
		setValue(`#phone-send [name=to]`, "bob"),
		clickOn(`#phone-send button`),
		waitVisible(`.phone[data-phone="sandbox-huawei-1"] button.note`),
		waitVisible(`.phone[data-phone="sandbox-apns-2"] button.note`))
	note := b.text(`.phone[data-phone="sandbox-apns-2"] button.note`)
	for _, want := range []string{"alice", "Dinner at eight?", "badge 1", "sound default"} {
		if !strings.Contains(note, want) {
			t.Errorf("iPhone lock screen %q, want %q on it", note, want)
		}
	}
	if s := b.text(`.phone[data-phone="sandbox-huawei-1"] button.note`); !strings.Contains(s, "Dinner at eight?") {
		t.Errorf("Huawei lock screen %q", s)
	}
	// carol's app is in the foreground: the message arrives online, not as a notification.
	n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "carol", "elements": []map[string]string{{"type": "text", "text": "see you"}}}, nil)
	b.do("carol's phone shows it in the app", waitJS(`[...document.querySelectorAll('.phone[data-phone="sandbox-xiaomi-3"] .online li')].some(li => li.textContent.includes("see you"))`))
	b.shot("phones")
	b.do("tap the Huawei notification",
		clickOn(`.phone[data-phone="sandbox-huawei-1"] button.note`),
		waitVisible("#tap-result"))
	if ext := b.text("#tap-ext"); ext != `{"conv":"c2c_alice"}` {
		t.Errorf("tap shows ext %q", ext)
	}
	if what := b.text("#tap-what"); !strings.Contains(what, sandbox.ClickIntent) {
		t.Errorf("tap says %q, want the intent", what)
	}
	b.shot("phones-tap")

	// The certificate form's rate per second.
	hw := n.Sandbox.CertificateID(push.Huawei)
	b.do("certificates", chromedp.Navigate(b.base+"certificates"), waitJS(certRow("sandbox huawei")))
	b.do("edit the rate",
		clickOn(fmt.Sprintf(`#cert-table tr[data-id="%d"] button`, hw)),
		waitVisible(`#cert-form [name=rate_per_second]`),
		setValue(`#cert-form [name=rate_per_second]`, "50"),
		clickOn("#cert-save"),
		waitJS(fmt.Sprintf(`(() => { const r = document.querySelector('#cert-table tr[data-id="%d"]'); return !!r && r.textContent.includes("50"); })()`, hw)))
	if sc, err := n.Store.FindCertificateByID(ctx, testAppID, hw); err != nil {
		t.Fatal(err)
	} else if cert, _ := push.FromStored(sc); cert.RatePerSecond != 50 {
		t.Errorf("rate_per_second after the form: %v, want 50", cert.RatePerSecond)
	}
	// Health: Huawei accepted a push; Xiaomi's credentials are refused on a test push.
	for _, v := range n.Sandbox.Simulators() {
		if v.Vendor == push.Xiaomi {
			v.Sim.Inject(vendorsim.Fault{Kind: vendorsim.AuthExpired, Count: 10})
		}
	}
	var test struct {
		Results []struct{ Outcome string }
	}
	n.admin("POST", "/v1/admin/push/test", map[string]string{"user_id": "carol"}, &test)
	if len(test.Results) != 1 || test.Results[0].Outcome != "auth_expired" {
		t.Fatalf("test push to carol: %+v, want auth_expired", test.Results)
	}
	mi := n.Sandbox.CertificateID(push.Xiaomi)
	b.do("certificate health", chromedp.Navigate(b.base+"certificates"),
		waitVisible(fmt.Sprintf(`#cert-health tr[data-id="%d"]`, mi)))
	success := browserValue(b, "Huawei last success", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('#cert-health tr[data-id="%d"]').cells[1].textContent`, hw)))
	if auth := browserValue(b, "Huawei auth", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('#cert-health tr[data-id="%d"]').cells[3].textContent`, hw))); success == "—" || auth != "ok" {
		t.Errorf("Huawei health: last success %q, auth %q; want a time and ok", success, auth)
	}
	if row := b.text(fmt.Sprintf(`#cert-health tr[data-id="%d"]`, mi)); !strings.Contains(row, "auth_expired") || !strings.Contains(row, "refused") {
		t.Errorf("Xiaomi health %q, want the auth_expired error and auth refused", row)
	}
	b.shot("certificates-rate")

	// Stats: a bar per day by outcome, and the foreground skip in the breakdown.
	b.do("stats", chromedp.Navigate(b.base+"stats"), waitVisible(`#stats-chart svg rect[data-outcome="accepted"]`), waitVisible(`#stats-reasons .bar-row[data-decision="foreground"]`))
	b.do("only APNs", clickOn(`#stats-vendors button[data-vendor="apns"]`), waitVisible(`#stats-chart svg rect[data-outcome="accepted"]`))
	b.shot("stats-chart")

	// Message search by user, then the trace timeline of the message found.
	b.do("search bob's messages",
		chromedp.Navigate(b.base+"trace"),
		waitVisible("#msg-search"),
		setValue(`#msg-search [name=user]`, "bob"),
		clickOn(`#msg-search button`),
		waitVisible(`#msg-table tbody tr`))
	if row := b.text(`#msg-table tbody tr`); !strings.Contains(row, "alice") || !strings.Contains(row, "Dinner at eight?") {
		t.Errorf("message search row %q", row)
	}
	b.do("open its trace",
		clickOn(`#msg-table tbody tr a`),
		waitVisible(`#trace-timelines li.timeline[data-device="sandbox-huawei-1"]`))
	tl := b.text(`#trace-timelines li.timeline[data-device="sandbox-huawei-1"]`)
	for _, want := range []string{"Decided: push", "Queued", "Try 1: retry_later", "Try 2: retry_later", "3 attempts", "Final: accepted"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline %q, want %q", tl, want)
		}
	}
	// The tries sit between "Queued" and the final answer, in order.
	order := browserValue(b, "timeline steps", chromedp.Evaluate[string](`[...document.querySelectorAll('#trace-timelines li.timeline[data-device="sandbox-huawei-1"] li.step')].map(li => li.querySelector("strong").textContent.split(":")[0]).join("|")`))
	if want := "Decided|Queued|Try 1|Try 2|3 attempts|Final"; order != want {
		t.Errorf("timeline steps %q, want %q", order, want)
	}
	b.shot("trace-timeline")

	// Tags and attributes.
	b.do("tags",
		chromedp.Navigate(b.base+"tags"),
		waitVisible("#attr-names-form"),
		setValue(`#attr-names-form [name=names]`, "city"),
		clickOn(`#attr-names-form button`),
		waitJS(`document.querySelector("#attr-names-form [name=names]").value === "city" && document.querySelector(".flash") !== null`),
		setValue(`#tags-form [name=user]`, "bob"),
		clickOn(`#tags-form button`),
		waitVisible(`#attrs-form [name=a_city]`),
		setValue(`#tags-add [name=tags]`, "vip, beta"),
		clickOn(`#tags-add button`),
		waitVisible(`#tags-list [data-tag="vip"]`),
		setValue(`#attrs-form [name=a_city]`, "sz"),
		clickOn(`#attrs-save`),
		waitJS(`[...document.querySelectorAll(".flash")].some(f => f.textContent.includes("attributes of bob"))`))
	var tags struct{ Tags []string }
	n.admin("GET", "/v1/admin/users/bob/tags", nil, &tags)
	var attrs struct{ Attrs map[string]string }
	n.admin("GET", "/v1/admin/users/bob/attrs", nil, &attrs)
	if strings.Join(tags.Tags, ",") != "beta,vip" || attrs.Attrs["city"] != "sz" {
		t.Errorf("bob after the tags page: tags %v attrs %v", tags.Tags, attrs.Attrs)
	}
	b.shot("tags")

	// A broadcast to the vip tag: its task reaches bob's two phones.
	b.do("broadcast",
		chromedp.Navigate(b.base+"broadcasts"),
		waitVisible("#bc-form"),
		setValue(`#bc-form [name=desc]`, "50% off today"),
		setValue(`#bc-form [name=tags_and]`, "vip"),
		clickOn(`#bc-form button`),
		waitJS(`(() => { const r = document.querySelector("#bc-table tbody tr"); return !!r && r.cells[2].textContent.startsWith("done") && r.cells[7].textContent === "2"; })()`))
	if row := b.text("#bc-table tbody tr"); !strings.Contains(row, "all of vip") {
		t.Errorf("broadcast row %q, want its audience", row)
	}
	b.shot("broadcasts")

	// Webhooks: the first callback URL makes the signing secret, shown once; a push
	// then posts Push.OfflinePush, which the delivery log shows delivered.
	hooks := make(chan string, 16)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hooks <- r.URL.Query().Get("CallbackCommand")
		w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":0}`))
	}))
	defer cb.Close()
	b.do("webhooks",
		chromedp.Navigate(b.base+"webhooks"),
		waitVisible("#webhook-form"),
		setValue(`#webhook-form [name=callback_url]`, cb.URL+"/herald-callback"),
		clickOn(`#webhook-form button[type=submit]`),
		waitVisible("#webhook-saved"))
	if s := b.text("#webhook-secret-value"); len(s) != 64 {
		t.Errorf("the new secret shown: %q", s)
	}
	n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": []map[string]string{{"type": "text", "text": "webhook?"}}}, nil)
	select {
	case cmd := <-hooks:
		if cmd == "" {
			t.Errorf("a webhook without a CallbackCommand")
		}
	case <-time.After(stepTimeout):
		t.Fatal("no webhook reached the callback URL")
	}
	b.do("the delivery log", waitJS(`(() => { document.querySelector("#webhook-refresh").click(); return !!document.querySelector('#webhook-log tr[data-result="delivered"]'); })()`))
	// The refresh clicks above may still re-render the log: read it in one evaluation.
	if row := browserValue(b, "delivery log row", chromedp.Evaluate[string](`document.querySelector('#webhook-log tr[data-result="delivered"]').textContent`)); !strings.Contains(row, "200") {
		t.Errorf("delivery log row %q, want HTTP 200", row)
	}
	b.shot("webhooks")

	// 390 px wide: no page scrolls sideways.
	b.do("narrow", chromedp.EmulateViewport(390, 844))
	for _, p := range []struct{ path, wait, shot string }{
		{"devices?user=bob", `#devices-table tr[data-device="sandbox-huawei-1"]`, "devices-390"},
		{"phones", `.phone[data-phone="sandbox-huawei-1"] button.note`, "phones-390"},
		{"stats", `#stats-chart svg`, "stats-390"},
		{"certificates", `#cert-table tbody tr`, "certificates-390"},
		{"trace", "#msg-search", ""},
		{"test", "#test-form", ""},
		{"tags", "#tags-form", ""},
		{"broadcasts", "#bc-table tbody tr", "broadcasts-390"},
		{"webhooks", "#webhook-form", ""},
		{"settings", "#settings-form", ""},
	} {
		b.do("narrow "+p.path, chromedp.Navigate(b.base+p.path), waitVisible(p.wait))
		if !browserValue(b, "overflow "+p.path, chromedp.Evaluate[bool](noOverflow)) {
			w := browserValue(b, "width", chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
			t.Errorf("%s at 390 px is %d px wide", p.path, w)
		}
		if p.shot != "" {
			b.shot(p.shot)
		}
	}
}
