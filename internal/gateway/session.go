package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// eventQueue is how many routed events a session buffers before it falls back to a
// resync from the store.
const eventQueue = 64

// session is one WebSocket connection, served by either network layer (classic.go,
// event.go): requests are answered in order, and once logged in the user's inbox is
// written in order by a delivery worker that runs only while events wait.
type session struct {
	g  *Server
	w  wire
	id string
	// unauthAddr is the source IP while the connection counts as not logged in.
	unauthAddr string
	authed     atomic.Bool // logged in once: the login deadline no longer applies

	// Set once by login, read-only afterwards.
	app      int64
	user     string
	device   string
	behind   bool // the inbox had entries past the login's start: delivery begins with a catch-up
	loggedIn atomic.Bool

	// Delivery workers (see startDelivery): at most one runs, and only while events wait.
	workMu  sync.Mutex // protects the fields below
	wctx    context.Context
	queue   []*im.Event // routed events not yet delivered; nil when empty
	resync  bool        // the worker must catch up from the store
	live    bool        // logged in: events are delivered
	working bool        // a worker runs
	stopped bool        // the session ends: no more workers
	// delivery counts the running worker (stopDelivery waits for it).
	delivery sync.WaitGroup

	endMu  sync.Mutex // protects the fields below
	endErr *protocol.Kicked
	endSet bool
	quiet  bool // replaced by the same device: do not mark the device offline
	ended  atomic.Bool

	// delivered is the highest inbox sequence written to the client; acked the highest
	// it acknowledged. Only the delivery worker writes delivered.
	delivered atomic.Int64
	acked     atomic.Int64

	// unacked are the stored messages written and not yet acknowledged, oldest first
	// (acks.go); ackWatched says the server's ack ticker is watching this session.
	ackMu      sync.Mutex
	unacked    []pendingAck
	ackWatched bool
}

// wire is a session's connection: the network layer that frames and sends.
type wire interface {
	// write sends one text message. It may return before the bytes are on the socket;
	// it fails once the connection is closed.
	write(ctx context.Context, data []byte) error
	// close sends a close frame with code and reason and ends the connection.
	close(code websocket.StatusCode, reason string)
}

func newSession(g *Server, w wire) *session {
	return &session{g: g, w: w, id: uuid.NewString()}
}

// receive answers one incoming message; text says it is a text message. It reports
// whether the session is over (a logout was answered: the caller closes).
func (s *session) receive(ctx context.Context, text bool, data []byte) (over bool) {
	if !text {
		s.replyErr(ctx, &protocol.Frame{Op: "error"}, errcode.Errorf(errcode.InvalidRequest, "frames are JSON text messages"))
		return false
	}
	var f protocol.Frame
	if err := decodeFrame(data, &f); err != nil || f.Op == "" {
		s.replyErr(ctx, &protocol.Frame{Seq: f.Seq, Op: "error"}, errcode.Errorf(errcode.InvalidRequest, "a frame is a JSON object with seq, op and data"))
		return false
	}
	wasLoggedIn := s.loggedIn.Load()
	s.handle(ctx, &f)
	if !wasLoggedIn && s.loggedIn.Load() {
		s.startDelivery(ctx)
	}
	if f.Op == protocol.OpLogout && wasLoggedIn && !s.loggedIn.Load() {
		if s.end(nil, false) { // the reply is written; now close
			s.closeEnded()
		}
		return true
	}
	return false
}

// closed cleans up after the connection is gone, whichever layer served it.
func (s *session) closed() {
	s.stopDelivery()
	s.authenticated()
	s.finish()
}

// end marks the session ending, with an optional kicked event; quiet means the device
// itself reconnected elsewhere. It reports whether this call ended it (the caller then
// closes the connection with closeEnded).
func (s *session) end(k *protocol.Kicked, quiet bool) bool {
	s.endMu.Lock()
	defer s.endMu.Unlock()
	if s.endSet {
		return false
	}
	s.endSet, s.endErr, s.quiet = true, k, quiet
	s.ended.Store(true)
	return true
}

func (s *session) closeEnded() {
	s.endMu.Lock()
	k, quiet := s.endErr, s.quiet
	s.endMu.Unlock()
	if k != nil {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		s.writeEvent(ctx, protocol.EvKicked, k)
		cancel()
		s.w.close(websocket.StatusPolicyViolation, "kicked offline")
		return
	}
	if quiet {
		s.w.close(websocket.StatusPolicyViolation, "replaced by a newer connection of this device")
		return
	}
	s.w.close(websocket.StatusNormalClosure, "logged out")
}

// finish runs when the connection is gone: the device stays logged in but offline,
// unless it logged out, was kicked or reconnected elsewhere.
func (s *session) finish() {
	if s.user == "" {
		return
	}
	s.g.Hub.remove(s)
	s.endMu.Lock()
	skip := s.endSet
	s.endMu.Unlock()
	// What the device did not acknowledge is pushed, unless it logged out, was kicked
	// (no push then) or reconnected (the new session delivers it again).
	pending := s.takeAcks(time.Time{})
	if skip {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.g.IM.Disconnected(ctx, s.app, s.user, s.device, s.nodeSession(), s.delivered.Load()); err != nil {
		s.g.Logger.Warn("record disconnect", "app", s.app, "user", s.user, "device", s.device, "err", err)
	}
	s.reportUnacked(ctx, pending, true)
}

func (s *session) nodeSession() string { return s.g.NodeID + "/" + s.id }

// enqueue hands a routed event to the delivery worker without blocking.
func (s *session) enqueue(ev *im.Event) {
	if ev.Kind == im.EventKick {
		s.kick(ev)
		return
	}
	s.workMu.Lock()
	switch {
	case len(s.queue) < eventQueue:
		s.queue = append(s.queue, ev)
	case ev.Message != nil && ev.Message.InboxSeq == 0:
		s.workMu.Unlock()
		return // online-only messages are best effort by definition
	default:
		s.resync = true
	}
	s.workMu.Unlock()
	s.wake()
}

// kick ends the session when ev names its device and not this session: the reader
// loop then fails on the closed connection and cleans up.
func (s *session) kick(ev *im.Event) {
	if ev.DeviceID != s.device || ev.KeepSession == s.nodeSession() {
		return
	}
	if s.end(ev.Kicked, ev.Kicked == nil) {
		go s.closeEnded() // the hub's dispatch must not wait for the kicked client
	}
}

func (s *session) write(ctx context.Context, f *protocol.Frame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("marshal frame: %w", err)
	}
	return s.w.write(ctx, data)
}

func (s *session) writeEvent(ctx context.Context, op string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal event: %w", err)
	}
	return s.write(ctx, &protocol.Frame{Op: op, Data: data})
}

func (s *session) reply(ctx context.Context, req *protocol.Frame, v any) {
	f := &protocol.Frame{Seq: req.Seq, Op: req.Op}
	if v != nil {
		data, err := json.Marshal(v)
		if err != nil {
			s.replyErr(ctx, req, fmt.Errorf("marshal reply: %w", err))
			return
		}
		f.Data = data
	}
	s.write(ctx, f)
}

func (s *session) replyErr(ctx context.Context, req *protocol.Frame, err error) {
	code, msg := errcode.Of(err)
	if code == errcode.Internal {
		s.g.Logger.Error("request failed", "op", req.Op, "app", s.app, "user", s.user, "err", err)
	}
	s.write(ctx, &protocol.Frame{Seq: req.Seq, Op: req.Op, Code: int(code), Error: code.Name(), Message: msg})
}

// Delivery writes the user's inbox to the client in order: first what it missed, then
// live events, refilling any gap from the store. No goroutine waits for events: one is
// started when an event arrives for a logged-in session and ends when the queue is
// empty, so an idle session costs none.

// startDelivery begins delivery after login, with a catch-up from the store if the
// inbox holds entries the client has not seen.
func (s *session) startDelivery(ctx context.Context) {
	s.workMu.Lock()
	s.wctx, s.live = ctx, true
	s.resync = s.resync || s.behind
	s.workMu.Unlock()
	s.wake()
}

// wake starts a delivery worker unless one runs, delivery has not started or it has
// stopped.
func (s *session) wake() {
	s.workMu.Lock()
	defer s.workMu.Unlock()
	if !s.live || s.working || s.stopped {
		return
	}
	s.working = true
	s.delivery.Add(1)
	go s.drain(s.wctx)
}

// stopDelivery stops starting workers and waits for the running one.
func (s *session) stopDelivery() {
	s.workMu.Lock()
	s.stopped = true
	s.queue = nil
	s.workMu.Unlock()
	s.delivery.Wait()
}

// drain delivers until nothing is queued. Workers never overlap (working), so the
// inbox is written in order.
func (s *session) drain(ctx context.Context) {
	defer s.delivery.Done()
	for {
		s.workMu.Lock()
		if s.stopped || ctx.Err() != nil || s.ended.Load() {
			s.working, s.stopped, s.queue = false, true, nil // ending: nothing more is delivered
			s.workMu.Unlock()
			return
		}
		var ev *im.Event
		resync := s.resync
		switch {
		case resync:
			s.resync = false
		case len(s.queue) > 0:
			ev = s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			if len(s.queue) == 0 {
				s.queue = nil // an idle session holds no array
			}
		default:
			// Empty: stop. enqueue queues under workMu before it wakes, so either this
			// check sees its event or its wake sees working false.
			s.working = false
			s.workMu.Unlock()
			return
		}
		s.workMu.Unlock()
		var err error
		if resync {
			err = s.catchUp(ctx, 0)
		} else {
			err = s.handleEvent(ctx, ev)
		}
		if err != nil {
			s.deliveryFailed(err)
			s.workMu.Lock()
			s.working, s.stopped, s.queue = false, true, nil
			s.workMu.Unlock()
			return
		}
	}
}

func (s *session) isEnded() bool { return s.ended.Load() }

func (s *session) deliveryFailed(err error) {
	if isClosed(err) {
		return
	}
	s.g.Logger.Warn("deliver", "app", s.app, "user", s.user, "device", s.device, "err", err)
	s.w.close(websocket.StatusInternalError, "delivery failed; reconnect")
}

func (s *session) handleEvent(ctx context.Context, ev *im.Event) error {
	switch ev.Kind {
	case im.EventConversation:
		if ev.SourceDevice == s.device {
			return nil
		}
		return s.writeEvent(ctx, protocol.EvConversation, ev.Conversation)
	case im.EventMessage:
		m := ev.Message
		if m.InboxSeq == 0 { // online-only
			if ev.SourceDevice == s.device {
				return nil
			}
			return s.writeEvent(ctx, protocol.EvMessage, m)
		}
		last := s.delivered.Load()
		switch {
		case m.InboxSeq <= last:
			return nil // already delivered by a catch-up
		case m.InboxSeq == last+1:
			// delivered moves before the write: a client may ack the moment it reads,
			// and an ack above delivered is refused. A failed write ends the session.
			s.delivered.Store(m.InboxSeq)
			if ev.SourceDevice != s.device {
				s.track(m)
				if err := s.writeEvent(ctx, protocol.EvMessage, m); err != nil {
					return err
				}
			}
			return nil
		default:
			return s.catchUp(ctx, m.InboxSeq)
		}
	}
	return nil
}

// catchUp writes stored inbox entries after the last delivered one, page by page,
// until none are left (and at least up to upTo).
func (s *session) catchUp(ctx context.Context, upTo int64) error {
	for {
		res, err := s.g.IM.Sync(ctx, s.app, s.user, s.delivered.Load(), im.MaxSyncPage)
		if err != nil {
			return err
		}
		for _, m := range res.Messages {
			s.track(m)
			s.delivered.Store(m.InboxSeq) // before the write, as in handleEvent
			if err := s.writeEvent(ctx, protocol.EvMessage, m); err != nil {
				return err
			}
		}
		if !res.More && s.delivered.Load() >= upTo {
			return nil
		}
		if !res.More && len(res.Messages) == 0 {
			return nil // upTo was deleted by retention meanwhile
		}
	}
}

// verifyLogin checks the UserSig against the app's key.
func (s *session) verifyLogin(ctx context.Context, req *protocol.LoginRequest) error {
	if err := auth.ValidUserID(req.UserID); err != nil {
		return errcode.Wrap(errcode.InvalidUserID, err, "user_id must be 1-32 bytes of A-Z a-z 0-9 _ -")
	}
	app, err := s.g.Apps.FindAppByID(ctx, req.SDKAppID)
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Errorf(errcode.UnknownApp, "no app with SDKAppID %d", req.SDKAppID)
	}
	if err != nil {
		return fmt.Errorf("find app: %w", err)
	}
	return UserSigError(auth.VerifyUserSig(app.SDKAppID, app.SecretKey, req.UserID, req.UserSig, s.g.Now()))
}

// UserSigError turns an auth error into the user-facing error for it (nil stays nil).
func UserSigError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrSigExpired):
		return errcode.Wrap(errcode.UserSigExpired, err, "the UserSig has expired; get a new one from your app server")
	case errors.Is(err, auth.ErrSigIdentifier):
		return errcode.Wrap(errcode.UserSigInvalid, err, "the UserSig was issued for another user")
	case errors.Is(err, auth.ErrSigAppID):
		return errcode.Wrap(errcode.UserSigInvalid, err, "the UserSig was issued for another SDKAppID")
	case errors.Is(err, auth.ErrSigMalformed):
		return errcode.Wrap(errcode.UserSigInvalid, err, "the UserSig is malformed")
	default:
		return errcode.Wrap(errcode.UserSigInvalid, err, "the UserSig does not verify with this app's secret key")
	}
}
