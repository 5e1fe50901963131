package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/apns"
	"github.com/herald-im/herald/internal/push/fcm"
	"github.com/herald-im/herald/internal/push/honor"
	"github.com/herald-im/herald/internal/push/huawei"
	"github.com/herald-im/herald/internal/push/meizu"
	"github.com/herald-im/herald/internal/push/oppo"
	"github.com/herald-im/herald/internal/push/vivo"
	"github.com/herald-im/herald/internal/push/xiaomi"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
	"github.com/herald-im/herald/protocol"
)

// Crash defaults.
const (
	DefaultCrashMembers = 20000
	DefaultKillAt       = 0.3
	DefaultCrashTimeout = 5 * time.Minute
	// DefaultCrashWorkers is the node's push_workers (the pipeline's default).
	DefaultCrashWorkers = 16
	crashAppID          = 1400000098
	crashAdmin          = "administrator"
)

// CrashConfig configures RunCrash. The zero value of each field means its default.
type CrashConfig struct {
	// Command starts a node: the program and its leading arguments (for the herald
	// binary, {path, "serve"}); the run adds the serve flags. Required.
	Command []string
	// Vendors are the simulators, running in this process, that the members' devices
	// are spread over. Required.
	Vendors []*simulate.Vendor
	// PushCAFile is the PEM CA of the APNs simulator (simulate.Servers.CAFile).
	PushCAFile string
	// Members is the group's size besides the sender, each with one offline device.
	// Default DefaultCrashMembers.
	Members int
	// KillAt is the share of the phones that have the notification when the node is
	// killed (0 < KillAt < 1). Zero or less kills it right after the send API answered.
	KillAt float64
	// Workers is the node's --push-workers. Default DefaultCrashWorkers.
	Workers int
	// Postgres and NATS, when set, are given to the node (--postgres, --nats);
	// otherwise it uses SQLite and the embedded NATS in its data dir.
	Postgres, NATS string
	// Nodes is 1 (default) or 2: with 2, a second node shares Postgres and NATS (both
	// required) and keeps running while the first is killed and restarted.
	Nodes int
	// Timeout bounds the wait for every phone after the restart. Default
	// DefaultCrashTimeout.
	Timeout time.Duration
	// Concurrency is how many devices are set up at once. Default DefaultConcurrency.
	Concurrency int
	// Dir is the node's data dir; default a temp dir, removed after.
	Dir string
	// Log receives the node's own log (both runs); default a file in the data dir,
	// kept only when the run fails.
	Log io.Writer
	// Logger reports progress. Default: discard.
	Logger *slog.Logger
}

// CrashResult is what RunCrash measured.
type CrashResult struct {
	Members int
	Nodes   int
	Workers int
	// KillAt is the share asked for; AtKill is how many phones had a copy when the
	// SIGKILL was sent (0 for a kill right after the send answered).
	KillAt float64
	AtKill int
	// Lost phones have no copy; Duplicated phones more than one; MaxCopies is the most
	// any phone got.
	Lost, Duplicated, MaxCopies int
	// SetupTime binds the devices and fills the group.
	SetupTime time.Duration
	// Complete runs from the send to the last phone's first copy; FromRestart from the
	// restarted node's first ready answer to the same.
	Complete, FromRestart time.Duration
	// Restart is how long the node took from SIGKILL to ready again.
	Restart time.Duration
	// Metric is herald_push_duplicates_possible_total of the restarted node, plus the
	// second node's (all vendors); Traced is the message's records with duplicate_possible.
	Metric, Traced int
	// Records counts the message's push records by decision and outcome at the end;
	// Unfinished counts those still queued or sending by vendor and outcome
	// ("fcm/sending"), with "+dup" for those marked duplicate_possible.
	Records, Unfinished map[string]int
	// Bound is the stated bound: Workers requests in flight, each at most the largest
	// batch of the vendors in use (MaxBatch).
	Bound, MaxBatch int
	// TimedOut: not every phone had a copy when Timeout ran out.
	TimedOut bool
	// LogPath is the node's log file when it was kept.
	LogPath string
}

// Failures lists what breaks the guarantee: a lost phone, duplicates beyond the bound
// or beyond what the node counted.
func (r *CrashResult) Failures() []string {
	var out []string
	if r.Lost > 0 {
		out = append(out, fmt.Sprintf("%d phones never got the notification", r.Lost))
	}
	if r.Duplicated > r.Bound {
		out = append(out, fmt.Sprintf("%d phones duplicated, over the bound %d", r.Duplicated, r.Bound))
	}
	if r.Duplicated > r.Traced {
		out = append(out, fmt.Sprintf("%d phones duplicated, but only %d records marked duplicate_possible", r.Duplicated, r.Traced))
	}
	if r.Duplicated > r.Metric {
		out = append(out, fmt.Sprintf("%d phones duplicated, but herald_push_duplicates_possible_total is %d", r.Duplicated, r.Metric))
	}
	return out
}

// MaxBatch returns the largest tokens-per-request of the vendors: the most pushes one
// vendor request, and so one push worker, has in flight.
func MaxBatch(vendors []push.Vendor) int {
	sizes := map[push.Vendor]int{
		push.FCM: new(fcm.Sender).MaxBatch(), push.APNs: new(apns.Sender).MaxBatch(),
		push.Huawei: new(huawei.Sender).MaxBatch(), push.Honor: new(honor.Sender).MaxBatch(),
		push.Xiaomi: new(xiaomi.Sender).MaxBatch(), push.OPPO: new(oppo.Sender).MaxBatch(),
		push.Vivo: new(vivo.Sender).MaxBatch(), push.Meizu: new(meizu.Sender).MaxBatch(),
	}
	n := 1
	for _, v := range vendors {
		n = max(n, sizes[v])
	}
	return n
}

// RunCrash kills a real node with SIGKILL in the middle of a group fan-out and checks
// what the restarted node makes of it: every phone gets the notification, and no more
// phones get it twice than the stated bound and than the node counted.
//
// It starts a node (c.Command), registers the simulators' certificates and c.Members
// offline devices with it, sends one group message through the admin API, kills the
// node once c.KillAt of the phones have it, starts it again on the same data, and
// waits until every phone has a copy and no push is queued or sending.
func RunCrash(ctx context.Context, c CrashConfig) (res *CrashResult, err error) {
	if len(c.Command) == 0 {
		return nil, errors.New("crash: no command to start a node")
	}
	if len(c.Vendors) == 0 {
		return nil, errors.New("crash: no vendors")
	}
	if c.Members <= 0 {
		c.Members = DefaultCrashMembers
	}
	if c.KillAt >= 1 {
		return nil, fmt.Errorf("crash: kill at %.2f: use a share below 1 (0: right after the send)", c.KillAt)
	}
	if c.Workers <= 0 {
		c.Workers = DefaultCrashWorkers
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultCrashTimeout
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Nodes <= 0 {
		c.Nodes = 1
	}
	if c.Nodes > 2 || c.Nodes == 2 && (c.Postgres == "" || c.NATS == "") {
		return nil, errors.New("crash: two nodes need a shared Postgres and NATS; more than two are not supported")
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	res = &CrashResult{Members: c.Members, Nodes: c.Nodes, Workers: c.Workers, KillAt: max(c.KillAt, 0)}
	var vs []push.Vendor
	for _, v := range c.Vendors {
		vs = append(vs, v.Vendor)
	}
	res.MaxBatch = MaxBatch(vs)
	res.Bound = c.Workers * res.MaxBatch

	dir := c.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "herald-crash-"); err != nil {
			return nil, fmt.Errorf("temp dir: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	logw := c.Log
	if logw == nil {
		f, err := os.CreateTemp("", "herald-crash-*.log")
		if err != nil {
			return nil, fmt.Errorf("log file: %w", err)
		}
		defer func() {
			f.Close()
			switch {
			case err != nil:
				err = fmt.Errorf("%w (the node's log: %s)", err, f.Name())
			case res != nil && len(res.Failures()) > 0:
				res.LogPath = f.Name()
			default:
				os.Remove(f.Name())
			}
		}()
		logw = f
	}
	key := auth.NewSecretKey()
	newNode := func(name string) (*node, error) {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		n := &node{
			cmd: c.Command, addr: addr, log: logw,
			args: []string{"--listen", addr, "--data", filepath.Join(dir, name), "--push-workers", strconv.Itoa(c.Workers), "--node-id", "crash-" + name, "--log-level", "warn"},
			// The certificates point at the simulators on loopback.
			env: []string{"HERALD_SDKAPPID=" + strconv.Itoa(crashAppID), "HERALD_SECRET_KEY=" + key, "HERALD_PUSH_ALLOW_PRIVATE_ENDPOINTS=true"},
		}
		if c.PushCAFile != "" {
			n.args = append(n.args, "--push-ca-file", c.PushCAFile)
		}
		if c.Postgres != "" {
			n.args = append(n.args, "--postgres", c.Postgres)
		}
		if c.NATS != "" {
			n.args = append(n.args, "--nats", c.NATS)
		}
		return n, n.start(ctx)
	}
	n, err := newNode("a")
	defer n.stop()
	if err != nil {
		return nil, err
	}
	addr := n.addr
	admin := &adminClient{base: "http://" + addr, appID: crashAppID, key: key}
	admins := []*adminClient{admin}
	if c.Nodes == 2 {
		// Started after the first has migrated the shared database.
		b, err := newNode("b")
		defer b.stop()
		if err != nil {
			return nil, err
		}
		admins = append(admins, &adminClient{base: "http://" + b.addr, appID: crashAppID, key: key})
	}

	start := time.Now()
	vendors, err := registerSims(ctx, admin, c.Vendors)
	if err != nil {
		return nil, err
	}
	t := Target{URL: "ws://" + addr + "/v1/ws", SDKAppID: crashAppID, Key: key}
	prefix := t.prefix() + "k"
	users := make([]string, c.Members)
	for i := range users {
		users[i] = fmt.Sprintf("%s_m%d", prefix, i)
	}
	phones, err := bindOffline(ctx, t, vendors, users, c.Concurrency, func(int) int { return 0 })
	if err != nil {
		return nil, err
	}
	owner := prefix + "_owner"
	groupID, err := admin.createGroup(ctx, owner, users)
	if err != nil {
		return nil, err
	}
	res.SetupTime = time.Since(start)
	logger.Info("crash: group ready", "members", c.Members, "took", res.SetupTime.Round(time.Millisecond))

	before := simCounts(vendors)
	body := "crash " + prefix
	t0 := time.Now()
	msgID, err := admin.sendGroup(ctx, groupID, owner, body)
	if err != nil {
		return nil, err
	}
	if c.KillAt > 0 {
		want := int64(c.KillAt * float64(c.Members))
		deadline := time.Now().Add(c.Timeout)
		for notificationsSince(vendors, before) < want {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return nil, fmt.Errorf("crash: %d of %d phones reached before the kill in %s", notificationsSince(vendors, before), want, c.Timeout)
			}
			time.Sleep(time.Millisecond)
		}
	}
	killed := time.Now()
	if err := n.kill(); err != nil {
		return nil, err
	}
	res.AtKill, _, _ = copies(phones, body)
	logger.Info("crash: node killed", "phones_with_copy", res.AtKill, "after_send", killed.Sub(t0).Round(time.Millisecond))

	if err := n.start(ctx); err != nil {
		return nil, fmt.Errorf("restart: %w", err)
	}
	restarted := time.Now()
	res.Restart = restarted.Sub(killed)
	logger.Info("crash: node restarted", "took", res.Restart.Round(time.Millisecond))

	deadline := restarted.Add(c.Timeout)
	for {
		have, _, _ := copies(phones, body)
		if have == len(phones) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			res.TimedOut = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every phone has a copy; a push still sending or queued could add a second one.
	for {
		res.Records, res.Unfinished, res.Traced, err = admin.trace(ctx, msgID)
		if err != nil {
			return nil, err
		}
		if res.Records["push/queued"]+res.Records["push/sending"] == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, a := range admins {
		m, err := a.duplicatesMetric(ctx)
		if err != nil {
			return nil, err
		}
		res.Metric += m
	}
	have, dup, most := copies(phones, body)
	res.Lost, res.Duplicated, res.MaxCopies = len(phones)-have, dup, most
	if last := lastFirstCopy(phones, body); !last.IsZero() {
		res.Complete, res.FromRestart = last.Sub(t0), max(last.Sub(restarted), 0)
	}
	return res, nil
}

// copies counts the phones with at least one copy of the group notification body, those
// with more than one, and the most copies on one phone.
func copies(phones []*phone, body string) (have, dup, most int) {
	for _, p := range phones {
		n := 0
		for _, d := range p.vendor.Sim.Inbox(p.token) {
			if isGroupBody(d.Body, body) {
				n++
			}
		}
		if n > 0 {
			have++
		}
		if n > 1 {
			dup++
		}
		most = max(most, n)
	}
	return have, dup, most
}

// lastFirstCopy is when the last phone got its first copy.
func lastFirstCopy(phones []*phone, body string) time.Time {
	var last time.Time
	for _, p := range phones {
		for _, d := range p.vendor.Sim.Inbox(p.token) {
			if isGroupBody(d.Body, body) {
				if d.ReceivedAt.After(last) {
					last = d.ReceivedAt
				}
				break
			}
		}
	}
	return last
}

// isGroupBody: a group notification's body is "sender: text".
func isGroupBody(got, text string) bool {
	_, t, ok := strings.Cut(got, ": ")
	return ok && t == text || got == text
}

// node is one `herald serve` child process, started again on the same flags.
type node struct {
	cmd, args, env []string
	addr           string
	log            io.Writer
	proc           *exec.Cmd
	exited         chan error
}

// start runs the node and waits until it answers ready.
func (n *node) start(ctx context.Context) error {
	cmd := exec.Command(n.cmd[0], append(append([]string(nil), n.cmd[1:]...), n.args...)...)
	cmd.Env = append(os.Environ(), n.env...)
	cmd.Stdout, cmd.Stderr = n.log, n.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	n.proc, n.exited = cmd, make(chan error, 1)
	go func() { n.exited <- cmd.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-n.exited:
			n.proc = nil
			return fmt.Errorf("node exited before it was ready: %v", err)
		default:
		}
		if r, err := http.Get("http://" + n.addr + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			n.stop()
			return errors.New("node not ready within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() error {
	if n.proc == nil {
		return errors.New("no node to kill")
	}
	if err := n.proc.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill node: %w", err)
	}
	<-n.exited
	n.proc = nil
	return nil
}

// stop ends the node with SIGTERM, then SIGKILL after 40 s (its shutdown grace).
func (n *node) stop() {
	if n == nil || n.proc == nil {
		return
	}
	n.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(40 * time.Second):
		n.proc.Process.Kill()
		<-n.exited
	}
	n.proc = nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// adminClient calls a node's admin REST API as the app's admin.
type adminClient struct {
	base  string
	appID int64
	key   string
}

func (a *adminClient) call(ctx context.Context, method, path string, in, out any) error {
	sig, err := auth.GenUserSig(a.appID, a.key, crashAdmin, time.Hour, time.Now())
	if err != nil {
		return err
	}
	q := url.Values{"sdkappid": {strconv.FormatInt(a.appID, 10)}, "identifier": {crashAdmin}, "usersig": {sig}}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, method, a.base+path+"?"+q.Encode(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// registerSims creates each simulator's demo certificate in the node.
func registerSims(ctx context.Context, a *adminClient, sims []*simulate.Vendor) ([]*PushVendor, error) {
	var out []*PushVendor
	for _, v := range sims {
		b, err := json.Marshal(v.Certificate)
		if err != nil {
			return nil, err
		}
		fields := map[string]any{}
		if err := json.Unmarshal(b, &fields); err != nil {
			return nil, err
		}
		fields["vendor"], fields["name"] = string(v.Vendor), "crash "+string(v.Vendor)
		var got struct {
			ID int64 `json:"id"`
		}
		if err := a.call(ctx, http.MethodPost, "/v1/admin/push/certificates", fields, &got); err != nil {
			return nil, fmt.Errorf("%s certificate: %w", v.Vendor, err)
		}
		out = append(out, &PushVendor{Vendor: v.Vendor, CertificateID: got.ID, App: v.App, Sim: v.Sim})
	}
	return out, nil
}

// createGroup imports the owner and creates a group of members, maxPerCall at a time.
func (a *adminClient) createGroup(ctx context.Context, owner string, members []string) (string, error) {
	if err := a.call(ctx, http.MethodPost, "/v1/admin/accounts/import", map[string]any{"accounts": []map[string]string{{"user_id": owner}}}, nil); err != nil {
		return "", err
	}
	first := min(len(members), maxPerCall)
	var g protocol.Group
	req := map[string]any{"owner_id": owner, "name": "crash " + owner, "member_ids": members[:first]}
	if err := a.call(ctx, http.MethodPost, "/v1/admin/groups", req, &g); err != nil {
		return "", err
	}
	for i := first; i < len(members); i += maxPerCall {
		req := map[string]any{"user_ids": members[i:min(i+maxPerCall, len(members))]}
		if err := a.call(ctx, http.MethodPost, "/v1/admin/groups/"+url.PathEscape(g.ID)+"/members", req, nil); err != nil {
			return "", err
		}
	}
	return g.ID, nil
}

// sendGroup sends a text message to the group as from and returns its ID.
func (a *adminClient) sendGroup(ctx context.Context, groupID, from, text string) (string, error) {
	req := map[string]any{"from": from, "elements": []protocol.Element{{Type: protocol.ElemText, Text: text}}}
	var got protocol.SendResponse
	if err := a.call(ctx, http.MethodPost, "/v1/admin/groups/"+url.PathEscape(groupID)+"/messages", req, &got); err != nil {
		return "", err
	}
	if got.Message == nil || got.Message.ID == "" {
		return "", errors.New("send: the answer has no message ID")
	}
	return got.Message.ID, nil
}

// trace reads the message's push trace: its records by "decision/outcome", and how many
// are marked duplicate_possible. A trace without that field is an error: the count
// would read as zero.
func (a *adminClient) trace(ctx context.Context, msgID string) (counts, unfinished map[string]int, dups int, err error) {
	var got struct {
		Records []map[string]any `json:"records"`
	}
	if err := a.call(ctx, http.MethodGet, "/v1/admin/push/messages/"+url.PathEscape(msgID)+"/trace", nil, &got); err != nil {
		return nil, nil, 0, err
	}
	counts, unfinished = map[string]int{}, map[string]int{}
	for _, r := range got.Records {
		d, _ := r["decision"].(string)
		o, _ := r["outcome"].(string)
		v, _ := r["vendor"].(string)
		counts[d+"/"+o]++
		dp, ok := r["duplicate_possible"].(bool)
		if !ok {
			return nil, nil, 0, errors.New("trace: a record has no duplicate_possible field")
		}
		if dp {
			dups++
		}
		if o == "queued" || o == "sending" {
			k := v + "/" + o
			if dp {
				k += "+dup"
			}
			unfinished[k]++
		}
	}
	return counts, unfinished, dups, nil
}

// duplicatesMetric sums herald_push_duplicates_possible_total over its vendors.
func (a *adminClient) duplicatesMetric(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	return sumMetric(string(b), "herald_push_duplicates_possible_total"), nil
}

// sumMetric adds up the samples of one metric in the Prometheus text format.
func sumMetric(text, name string) int {
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
		}
	}
	return int(sum)
}

// ReadLoad returns the load averages of /proc/loadavg ("1.52 1.80 1.75", over 1, 5 and
// 15 minutes), for benchmark reports on a shared machine.
func ReadLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}
