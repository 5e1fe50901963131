package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/redact"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// pushStore is what the push admin calls need of the store.
type pushStore interface {
	CreateCertificate(ctx context.Context, c *store.Certificate) error
	FindCertificateByID(ctx context.Context, sdkAppID, id int64) (*store.Certificate, error)
	FindCertificates(ctx context.Context, sdkAppID int64) ([]*store.Certificate, error)
	UpdateCertificate(ctx context.Context, sdkAppID, id int64, upd store.CertificateUpdate) error
	DeleteCertificate(ctx context.Context, sdkAppID, id int64) error

	FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error)
	FindDevices(ctx context.Context, f store.DeviceFilter) ([]*store.Device, error)
	FindRecvOptsOfPeer(ctx context.Context, sdkAppID int64, users []string, peer string) (map[string]store.RecvOpt, error)
	UnbindPushToken(ctx context.Context, sdkAppID, certID int64, token string) (int, error)
	FindTokenMoves(ctx context.Context, f store.TokenMoveFilter) ([]*store.TokenMove, error)

	FindMessageByID(ctx context.Context, sdkAppID int64, id string) (*store.Message, error)
	CreatePushRecords(ctx context.Context, rs []*store.PushRecord) error
	FindPushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushRecord, error)
	FindPushAttempts(ctx context.Context, sdkAppID int64, messageID string) ([]store.PushAttempt, error)
	CountPushRecords(ctx context.Context, sdkAppID int64, from, to time.Time) ([]*store.PushCount, error)
}

// Push admin limits and defaults.
const (
	// DefaultStatsDays is the span of GET /v1/admin/push/stats without from and to.
	DefaultStatsDays = 7
	// MaxStatsDays bounds the span of one stats query.
	MaxStatsDays = 31
	// TestPushTimeout bounds one vendor call of a test push.
	TestPushTimeout = 30 * time.Second
	// TestPushPrefix starts the IDs of test pushes, which stand in for a message ID in
	// their push records.
	TestPushPrefix = "test-"
	// testDecision is the decision recorded for a test push.
	testDecision = "test"
	// noCertificate is the decision when a device's certificate was deleted (the
	// pipeline records the same).
	noCertificate = "no_certificate"
)

// decisionReasons say each push decision in words, for the self-check tool.
var decisionReasons = map[string]string{
	push.Push.String():             "a message now would be pushed",
	push.SkipDisabled.String():     "the message's push info disables push",
	push.SkipSender.String():       "the device belongs to the sender",
	push.SkipNotReceive.String():   "the user does not receive messages of this conversation",
	push.SkipNoNotify.String():     "the user receives this conversation without notification",
	push.SkipNotMentioned.String(): "the user is notified only when @-mentioned",
	push.SkipDND.String():          "the user's do-not-disturb window covers now",
	push.SkipLoggedOut.String():    "the device logged out or was kicked; it gets pushes again after a login and SetOfflinePushConfig",
	push.SkipNoToken.String():      "no push token is bound: the app must call SetOfflinePushConfig with a certificate ID and the vendor token after login",
	push.SkipForeground.String():   "connected and in the foreground: messages arrive online (the app calls DoBackground when it leaves the screen)",
	push.SkipContent.String():      "a custom message without a description is not pushed",
	noCertificate:                  "the bound certificate was deleted: the app must bind a token of an existing certificate",
}

// PushStatus says whether a plain one-to-one text message sent now would be pushed to a
// device and, if not, which rule stops it.
type PushStatus struct {
	WouldPush bool   `json:"would_push"`
	Decision  string `json:"decision"`
	Reason    string `json:"reason"`
}

// DeviceStatus is one device in the self-check tool. Token is redacted.
type DeviceStatus struct {
	DeviceID      string     `json:"device_id"`
	Platform      string     `json:"platform"`
	State         string     `json:"state"`
	Background    bool       `json:"background"`
	CertificateID int64      `json:"certificate_id,omitempty"`
	Vendor        string     `json:"vendor,omitempty"`
	Token         string     `json:"token,omitempty"`
	Badge         int        `json:"badge"`
	LoginAt       time.Time  `json:"login_at"`
	LastSeen      time.Time  `json:"last_seen"`
	Push          PushStatus `json:"push"`
}

// userDevices answers the self-check: every device of a user with its state and
// binding, and push.Decide applied to a plain one-to-one text message (from the query's
// "from" user when given, so that the receive option for that peer counts).
func (s *Server) userDevices(r *http.Request, app *store.App) (any, error) {
	ctx := r.Context()
	userID, from := r.PathValue("id"), r.URL.Query().Get("from")
	acct, err := s.Push.FindAccount(ctx, app.SDKAppID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errcode.Wrap(errcode.UserNotFound, err, fmt.Sprintf("no user %q in this app", userID))
	}
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	opt := store.Receive
	if from != "" {
		opts, err := s.Push.FindRecvOptsOfPeer(ctx, app.SDKAppID, []string{userID}, from)
		if err != nil {
			return nil, fmt.Errorf("find receive option: %w", err)
		}
		if o, ok := opts[userID]; ok {
			opt = o
		}
	}
	devices, err := s.Push.FindDevices(ctx, store.DeviceFilter{SDKAppID: app.SDKAppID, UserID: &userID})
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	inDND := im.InDND(acct, s.Now())
	facts := push.MessageFacts{From: from}
	certs := map[int64]*push.Certificate{}
	out := make([]DeviceStatus, 0, len(devices))
	for _, d := range devices {
		ds := DeviceStatus{
			DeviceID: d.DeviceID, Platform: string(d.Platform), State: string(d.State), Background: d.Background,
			CertificateID: d.CertificateID, Token: redactToken(d.PushToken), Badge: d.Badge, LoginAt: d.LoginAt, LastSeen: d.LastSeen,
		}
		decision := push.Decide(facts, push.TargetFacts{UserID: userID, Device: d, RecvOpt: opt, InDND: inDND}).String()
		if d.CertificateID != 0 {
			c, err := s.certificate(ctx, certs, app.SDKAppID, d.CertificateID)
			if err != nil {
				return nil, err
			}
			if c == nil {
				if decision == push.Push.String() {
					decision = noCertificate
				}
			} else {
				ds.Vendor = string(c.Vendor)
			}
		}
		ds.Push = PushStatus{WouldPush: decision == push.Push.String(), Decision: decision, Reason: decisionReasons[decision]}
		out = append(out, ds)
	}
	moves, err := s.Push.FindTokenMoves(ctx, store.TokenMoveFilter{SDKAppID: app.SDKAppID, UserID: userID, Limit: MaxTokenMovesShown})
	if err != nil {
		return nil, fmt.Errorf("find token moves: %w", err)
	}
	history := make([]TokenMove, len(moves))
	for i, m := range moves {
		history[i] = TokenMove{CertificateID: m.CertificateID, Token: m.Token, FromUser: m.FromUser, FromDevice: m.FromDevice,
			ToUser: m.ToUser, ToDevice: m.ToDevice, Time: m.CreatedAt}
	}
	return map[string]any{"user_id": userID, "in_dnd": inDND, "devices": out, "token_moves": history}, nil
}

// MaxTokenMovesShown bounds the token moves the self-check lists, newest first.
const MaxTokenMovesShown = 50

// TokenMove is one push token leaving a device for another, to or from the user.
type TokenMove struct {
	CertificateID int64     `json:"certificate_id"`
	Token         string    `json:"token"` // redacted
	FromUser      string    `json:"from_user"`
	FromDevice    string    `json:"from_device"`
	ToUser        string    `json:"to_user"`
	ToDevice      string    `json:"to_device"`
	Time          time.Time `json:"time"`
}

// certificate returns certificate id from cache, reading it on first use; nil if it
// does not exist.
func (s *Server) certificate(ctx context.Context, cache map[int64]*push.Certificate, sdkAppID, id int64) (*push.Certificate, error) {
	if c, ok := cache[id]; ok {
		return c, nil
	}
	sc, err := s.Push.FindCertificateByID(ctx, sdkAppID, id)
	if errors.Is(err, store.ErrNotFound) {
		cache[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find certificate: %w", err)
	}
	c, err := push.FromStored(sc)
	if err != nil {
		return nil, err
	}
	cache[id] = c
	return c, nil
}

func redactToken(t string) string {
	if t == "" {
		return ""
	}
	return redact.Token(t)
}

// TestPushRequest asks for a test push to a user's devices (one, when DeviceID is set).
type TestPushRequest struct {
	UserID   string `json:"user_id"`
	DeviceID string `json:"device_id,omitempty"`
	Title    string `json:"title,omitempty"`
	Body     string `json:"body,omitempty"`
}

// Test push defaults.
const (
	DefaultTestTitle = "Herald test push"
	DefaultTestBody  = "If you can read this, offline push works for this device."
)

// TestPushResult is the vendor's answer for one device of a test push. Outcome is a
// push.Outcome name, or "not_sent" when the device has nothing to push to.
type TestPushResult struct {
	DeviceID        string `json:"device_id"`
	Platform        string `json:"platform"`
	CertificateID   int64  `json:"certificate_id,omitempty"`
	Vendor          string `json:"vendor,omitempty"`
	Token           string `json:"token,omitempty"`
	Outcome         string `json:"outcome"`
	Reason          string `json:"reason,omitempty"`
	VendorMessageID string `json:"vendor_message_id,omitempty"`
	Unbound         bool   `json:"unbound,omitempty"` // the vendor said the token is invalid, and it was unbound
}

// testPush sends a notification now, synchronously, to every bound device of the user
// (or the one named), ignoring the chat rules; it records each answer under a test ID
// (decision "test") and unbinds a token the vendor calls invalid.
func (s *Server) testPush(r *http.Request, app *store.App) (any, error) {
	var req TestPushRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.UserID == "" {
		return nil, errcode.Errorf(errcode.InvalidRequest, "field \"user_id\" is required")
	}
	ctx := r.Context()
	if _, err := s.Push.FindAccount(ctx, app.SDKAppID, req.UserID); errors.Is(err, store.ErrNotFound) {
		return nil, errcode.Wrap(errcode.UserNotFound, err, fmt.Sprintf("no user %q in this app", req.UserID))
	} else if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	devices, err := s.Push.FindDevices(ctx, store.DeviceFilter{SDKAppID: app.SDKAppID, UserID: &req.UserID})
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	if req.DeviceID != "" {
		var one []*store.Device
		for _, d := range devices {
			if d.DeviceID == req.DeviceID {
				one = append(one, d)
			}
		}
		if len(one) == 0 {
			return nil, errcode.Errorf(errcode.InvalidRequest, "field \"device_id\": user %q has no device %q", req.UserID, req.DeviceID)
		}
		devices = one
	}
	id := TestPushPrefix + randomHex(8)
	title, body := or(req.Title, DefaultTestTitle), or(req.Body, DefaultTestBody)
	msg := &store.Message{SDKAppID: app.SDKAppID, ID: id, Type: store.TypeC2C, From: app.AdminUserID, To: req.UserID, Time: s.Now()}
	elems := []protocol.Element{{Type: protocol.ElemText, Text: body}}
	info := &protocol.OfflinePushInfo{Title: title, Desc: body, Ext: `{"herald":{"test":true}}`}

	certs := map[int64]*push.Certificate{}
	results := make([]TestPushResult, 0, len(devices))
	var records []*store.PushRecord
	for _, d := range devices {
		res := TestPushResult{DeviceID: d.DeviceID, Platform: string(d.Platform), CertificateID: d.CertificateID, Token: redactToken(d.PushToken), Outcome: "not_sent"}
		var c *push.Certificate
		if d.PushToken != "" && d.CertificateID != 0 {
			if c, err = s.certificate(ctx, certs, app.SDKAppID, d.CertificateID); err != nil {
				return nil, err
			}
		}
		sender := push.Sender(nil)
		if c != nil {
			res.Vendor = string(c.Vendor)
			sender = s.Senders[c.Vendor]
		}
		switch {
		case d.PushToken == "" || d.CertificateID == 0:
			res.Reason = decisionReasons[push.SkipNoToken.String()]
		case c == nil:
			res.Reason = decisionReasons[noCertificate]
		case sender == nil:
			res.Reason = "this server has no sender for " + string(c.Vendor)
		default:
			n := push.Compose(push.ComposeInput{Message: msg, Elements: elems, PushInfo: info, SenderName: app.AdminUserID, Recipient: req.UserID, Certificate: c})
			sctx, cancel := context.WithTimeout(ctx, TestPushTimeout)
			rs := sender.Send(sctx, c, n, []string{d.PushToken})
			cancel()
			if len(rs) != 1 {
				rs = push.Results([]string{d.PushToken}, push.Failed, 0, "the sender answered for the wrong number of tokens")
			}
			res.Outcome, res.Reason, res.VendorMessageID = rs[0].Outcome.String(), push.SanitizeReason(rs[0].Reason), rs[0].MessageID
			if rs[0].Outcome == push.InvalidToken {
				if _, err := s.Push.UnbindPushToken(ctx, app.SDKAppID, c.ID, d.PushToken); err != nil {
					return nil, fmt.Errorf("unbind token: %w", err)
				}
				res.Unbound = true
			}
			s.Logger.Info("test push", "app", app.SDKAppID, "user", req.UserID, "device", d.DeviceID, "vendor", c.Vendor,
				"certificate", c.ID, "token", redact.Token(d.PushToken), "outcome", res.Outcome, "reason", res.Reason)
			records = append(records, &store.PushRecord{
				SDKAppID: app.SDKAppID, MessageID: id, UserID: req.UserID, DeviceID: d.DeviceID, Decision: testDecision,
				Vendor: string(c.Vendor), CertificateID: c.ID, Outcome: res.Outcome, Reason: res.Reason,
				VendorMessageID: res.VendorMessageID, Attempts: 1,
			})
		}
		results = append(results, res)
	}
	if len(records) > 0 {
		if err := s.Push.CreatePushRecords(ctx, records); err != nil {
			return nil, fmt.Errorf("record test push: %w", err)
		}
	}
	return map[string]any{"push_id": id, "results": results}, nil
}

// TraceRecord is one device's push record in a message's trace.
type TraceRecord struct {
	UserID   string `json:"user_id"`
	DeviceID string `json:"device_id"`
	// Kind is "recall" for the lock-screen replacement of a recalled message's
	// notification, absent for the message's own notification.
	Kind            string `json:"kind,omitempty"`
	Decision        string `json:"decision"`
	Vendor          string `json:"vendor,omitempty"`
	CertificateID   int64  `json:"certificate_id,omitempty"`
	Outcome         string `json:"outcome,omitempty"`
	Reason          string `json:"reason,omitempty"`
	VendorMessageID string `json:"vendor_message_id,omitempty"`
	Attempts        int    `json:"attempts"`
	// DuplicatePossible: a try was cut off by a crash after its request may have
	// reached the vendor, and the push was sent again; the phone may show it twice.
	DuplicatePossible bool      `json:"duplicate_possible"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	// Tries are the earlier tries that did not end the push (the vendor asked to retry,
	// or refused for quota or auth, and it was queued again), oldest first; the last
	// try's answer is Outcome and Reason. Empty for a push answered at its first try.
	Tries []TraceTry `json:"tries"`
}

// TraceTry is one earlier try of a push: when the vendor answered and what.
type TraceTry struct {
	Attempt int       `json:"attempt"`
	Time    time.Time `json:"time"`
	Outcome string    `json:"outcome"`
	Reason  string    `json:"reason,omitempty"`
}

// trace answers a message's push records: every device considered, the rule that
// decided, and the vendor's answer. A test push's ID (TestPushPrefix) works too.
func (s *Server) trace(r *http.Request, app *store.App) (any, error) {
	ctx, id := r.Context(), r.PathValue("message_id")
	m, err := s.Push.FindMessageByID(ctx, app.SDKAppID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("find message: %w", err)
	}
	rs, err := s.Push.FindPushRecords(ctx, app.SDKAppID, id)
	if err != nil {
		return nil, fmt.Errorf("find push records: %w", err)
	}
	if m == nil && isTaskID(id) {
		if _, err := s.Audience.FindPushTask(ctx, app.SDKAppID, id); err == nil {
			m = &store.Message{ID: id} // a broadcast's trace: its records are under the task ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("find push task: %w", err)
		}
	}
	if m == nil && !(strings.HasPrefix(id, TestPushPrefix) && len(rs) > 0) {
		return nil, errcode.Errorf(errcode.MessageNotFound, "no message %q in this app (or retention deleted it)", id)
	}
	disabled := false
	if m != nil && len(m.PushInfo) > 0 {
		var info protocol.OfflinePushInfo
		if json.Unmarshal(m.PushInfo, &info) == nil {
			disabled = info.DisablePush
		}
	}
	tries, err := s.traceTries(ctx, app.SDKAppID, id, rs)
	if err != nil {
		return nil, err
	}
	out := make([]TraceRecord, 0, len(rs))
	for _, r := range rs {
		out = append(out, TraceRecord{
			UserID: r.UserID, DeviceID: r.DeviceID, Kind: r.Kind, Decision: r.Decision, Vendor: r.Vendor, CertificateID: r.CertificateID,
			Outcome: r.Outcome, Reason: r.Reason, VendorMessageID: r.VendorMessageID, Attempts: r.Attempts,
			DuplicatePossible: r.DuplicatePossible, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			Tries: append([]TraceTry{}, tries[r.ID]...),
		})
	}
	return map[string]any{"message_id": id, "push_disabled": disabled, "records": out}, nil
}

// traceTries returns the earlier tries of a message's pushes by record ID. A message
// none of whose pushes was retried (the usual case) costs no look-up: only records
// tried more than once, or queued again after their first try, can have any.
func (s *Server) traceTries(ctx context.Context, sdkAppID int64, id string, rs []*store.PushRecord) (map[int64][]TraceTry, error) {
	if !slices.ContainsFunc(rs, func(r *store.PushRecord) bool { return r.Attempts > 1 || r.Attempts == 1 && r.Outcome == "queued" }) {
		return nil, nil
	}
	as, err := s.Push.FindPushAttempts(ctx, sdkAppID, id)
	if err != nil {
		return nil, fmt.Errorf("find push attempts: %w", err)
	}
	out := make(map[int64][]TraceTry)
	for _, a := range as {
		out[a.RecordID] = append(out[a.RecordID], TraceTry{Attempt: a.Attempt, Time: a.Time, Outcome: a.Outcome, Reason: a.Reason})
	}
	return out, nil
}

// StatsCount is the number of push records of one day, vendor, decision and outcome.
type StatsCount struct {
	Day      string `json:"day"` // YYYY-MM-DD, UTC
	Vendor   string `json:"vendor,omitempty"`
	Decision string `json:"decision"`
	Outcome  string `json:"outcome,omitempty"`
	Count    int    `json:"count"`
}

// stats answers the push record counts of the days from..to (UTC, both included).
func (s *Server) stats(r *http.Request, app *store.App) (any, error) {
	q := r.URL.Query()
	today := s.Now().UTC().Truncate(24 * time.Hour)
	to, err := parseDay(q.Get("to"), "to", today)
	if err != nil {
		return nil, err
	}
	from, err := parseDay(q.Get("from"), "from", to.AddDate(0, 0, -(DefaultStatsDays-1)))
	if err != nil {
		return nil, err
	}
	if from.After(to) {
		return nil, errcode.Errorf(errcode.InvalidRequest, "from %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if days := int(to.Sub(from)/(24*time.Hour)) + 1; days > MaxStatsDays {
		return nil, errcode.Errorf(errcode.InvalidRequest, "from..to spans %d days; ask for at most %d", days, MaxStatsDays)
	}
	counts, err := s.Push.CountPushRecords(r.Context(), app.SDKAppID, from, to.AddDate(0, 0, 1))
	if err != nil {
		return nil, fmt.Errorf("count push records: %w", err)
	}
	out := make([]StatsCount, 0, len(counts))
	total := 0
	for _, c := range counts {
		out = append(out, StatsCount{Day: c.Day.UTC().Format(time.DateOnly), Vendor: c.Vendor, Decision: c.Decision, Outcome: c.Outcome, Count: c.Count})
		total += c.Count
	}
	return map[string]any{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "total": total, "counts": out}, nil
}

// parseDay parses a YYYY-MM-DD query value as midnight UTC, or returns def for "".
func parseDay(s, name string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errcode.Wrap(errcode.InvalidRequest, err, fmt.Sprintf("query parameter %q: %q is not a date like 2026-11-01", name, s))
	}
	return t, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
