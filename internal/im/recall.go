package im

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// DefaultRecallWindow is how long after sending a user may recall their own message:
// the commercial default of 2 minutes. The app admin may recall at any time.
const DefaultRecallWindow = 2 * time.Minute

// RecalledFunc is called after a message was recalled, with the message and the recall:
// offline push hangs here to withdraw the notification it showed.
type RecalledFunc func(ctx context.Context, m *store.Message, r *store.Recall)

// RecallParams is one recall.
type RecallParams struct {
	SDKAppID  int64
	By        string // the user recalling; the app admin for the admin API
	ByDevice  string // the recalling device, which already knows; empty for the admin API
	MessageID string
	// ByAdmin: through the admin API, any message at any time.
	ByAdmin bool
}

// Recall marks a message recalled for every device of everyone it was stored for:
// online devices get it again, marked recalled, as a message event; the others get it
// so by their next sync, since it is appended to each inbox once more; history shows it
// recalled. A user may recall their own message within RecallWindow, and the owner or an
// admin of a group any of its messages. MessageNotFound if there is no such message,
// Conflict if it was recalled already.
func (s *Service) Recall(ctx context.Context, p RecallParams) (*protocol.Message, error) {
	m, err := s.Store.FindMessageByID(ctx, p.SDKAppID, p.MessageID)
	if err != nil {
		return nil, notFound(err, errcode.MessageNotFound, "message %q does not exist (or expired)", p.MessageID)
	}
	if !p.ByAdmin {
		if err := s.mayRecall(ctx, p, m); err != nil {
			return nil, err
		}
	}
	users, err := s.storedFor(ctx, m)
	if err != nil {
		return nil, err
	}
	r := &store.Recall{MessageID: m.ID, By: p.By, At: s.Now()}
	ds, err := s.Store.RecallMessage(ctx, p.SDKAppID, r, users)
	if errors.Is(err, store.ErrConflict) {
		return nil, errcode.Errorf(errcode.Conflict, "message %q was recalled already", m.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("recall message: %w", err)
	}
	if s.Recalled != nil {
		s.Recalled(ctx, m, r)
	}
	var own *protocol.Message
	for _, d := range ds {
		w := recalledMessage(m, r, d.InboxSeq)
		if d.UserID == p.By {
			own = w
		}
		src := ""
		if d.UserID == p.By {
			src = p.ByDevice
		}
		s.route(ctx, p.SDKAppID, d.UserID, &Event{Kind: EventMessage, SourceDevice: src, Message: w})
	}
	if own == nil {
		own = recalledMessage(m, r, 0)
	}
	return own, nil
}

func (s *Service) mayRecall(ctx context.Context, p RecallParams, m *store.Message) error {
	window := s.RecallWindow
	if window == 0 {
		window = DefaultRecallWindow
	}
	if m.From == p.By {
		if s.Now().Sub(m.Time) > window {
			return errcode.Errorf(errcode.PermissionDenied, "message %q is older than the %s recall window", m.ID, window)
		}
		return nil
	}
	if m.Type == store.TypeGroup {
		mem, err := s.Store.FindGroupMember(ctx, p.SDKAppID, m.GroupID, p.By)
		if err == nil && (mem.Role == store.Owner || mem.Role == store.Admin) {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("find member: %w", err)
		}
	}
	return errcode.Errorf(errcode.PermissionDenied, "only the sender (or a group's owner or admin) can recall message %q", m.ID)
}

// storedFor returns the users whose inboxes hold m: both sides of a one-to-one
// message, the members of a group.
func (s *Service) storedFor(ctx context.Context, m *store.Message) ([]string, error) {
	if m.Type == store.TypeC2C {
		return []string{m.From, m.To}, nil
	}
	var out []string
	for after := ""; ; {
		page, err := s.Store.FindGroupMembers(ctx, m.SDKAppID, m.GroupID, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		for _, gm := range page {
			out = append(out, gm.UserID)
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].UserID
	}
	return out, nil
}

// recalledMessage is m as readers see it once recalled: its content gone.
func recalledMessage(m *store.Message, r *store.Recall, inboxSeq int64) *protocol.Message {
	w := wireMessage(m, inboxSeq)
	markRecalled(w, r)
	return w
}

func markRecalled(w *protocol.Message, r *store.Recall) {
	w.Recalled, w.RecalledBy, w.RecalledAt = true, r.By, r.At.UnixMilli()
	w.Elements, w.OfflinePushInfo, w.CloudCustomData = []protocol.Element{}, nil, ""
}

// applyRecalls marks the recalled ones among ms.
func (s *Service) applyRecalls(ctx context.Context, sdkAppID int64, ms []*protocol.Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	rs, err := s.Store.FindRecalls(ctx, sdkAppID, ids)
	if err != nil {
		return fmt.Errorf("find recalls: %w", err)
	}
	for _, m := range ms {
		if r := rs[m.ID]; r != nil {
			markRecalled(m, r)
		}
	}
	return nil
}
