package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// The chat administration calls beside import and send: kick, account deletion,
// profiles, group administration, recall and message import (docs/api.md).

func (s *Server) kickUser(r *http.Request, app *store.App) (any, error) {
	n, err := s.IM.Kick(r.Context(), app.SDKAppID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return map[string]int{"kicked_devices": n}, nil
}

func (s *Server) deleteUser(r *http.Request, app *store.App) (any, error) {
	return nil, s.IM.DeleteAccount(r.Context(), app.SDKAppID, r.PathValue("id"))
}

// ProfileBody is a user's profile in the admin API; Items keys are the im.Profile*
// fields (gender, birthday, location, signature, allow_type, language, level, role,
// custom_<name>).
type ProfileBody struct {
	Nickname *string           `json:"nickname,omitempty"`
	FaceURL  *string           `json:"face_url,omitempty"`
	Items    map[string]string `json:"items,omitempty"`
}

func (s *Server) getProfile(r *http.Request, app *store.App) (any, error) {
	id := r.PathValue("id")
	ps, err := s.IM.Profiles(r.Context(), app.SDKAppID, []string{id})
	if err != nil {
		return nil, err
	}
	p := ps[id]
	if p == nil {
		return nil, errcode.Errorf(errcode.UserNotFound, "account %q does not exist", id)
	}
	return ProfileBody{Nickname: &p.Nickname, FaceURL: &p.FaceURL, Items: p.Items}, nil
}

func (s *Server) setProfile(r *http.Request, app *store.App) (any, error) {
	var req ProfileBody
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return nil, s.IM.SetProfileItems(r.Context(), app.SDKAppID, r.PathValue("id"), im.ProfileChange{Nickname: req.Nickname, FaceURL: req.FaceURL, Items: req.Items})
}

func (s *Server) deleteGroup(r *http.Request, app *store.App) (any, error) {
	return nil, s.IM.DestroyGroup(r.Context(), app.SDKAppID, r.PathValue("id"))
}

// GroupPatch changes a group; absent fields stay.
type GroupPatch struct {
	Name         *string `json:"name,omitempty"`
	FaceURL      *string `json:"face_url,omitempty"`
	Introduction *string `json:"introduction,omitempty"`
	Notification *string `json:"notification,omitempty"`
	MaxMembers   *int    `json:"max_members,omitempty"`
}

func (s *Server) patchGroup(r *http.Request, app *store.App) (any, error) {
	var req GroupPatch
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	err := s.IM.ModifyGroup(r.Context(), app.SDKAppID, id, im.GroupChange{
		Name: req.Name, FaceURL: req.FaceURL, Introduction: req.Introduction, Notification: req.Notification, MaxMembers: req.MaxMembers,
	})
	if err != nil {
		return nil, err
	}
	return s.groupInfo(r, app)
}

// GroupInfoBody is a group's details in the admin API.
type GroupInfoBody struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	FaceURL      string `json:"face_url,omitempty"`
	OwnerID      string `json:"owner_id"`
	Introduction string `json:"introduction,omitempty"`
	Notification string `json:"notification,omitempty"`
	MaxMembers   int    `json:"max_members,omitempty"`
	MemberCount  int    `json:"member_count"`
	CreatedAt    int64  `json:"created_at"`
}

func (s *Server) groupInfo(r *http.Request, app *store.App) (any, error) {
	g, err := s.IM.GroupInfo(r.Context(), app.SDKAppID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return GroupInfoBody{ID: g.ID, Name: g.Name, FaceURL: g.FaceURL, OwnerID: g.OwnerID, Introduction: g.Introduction,
		Notification: g.Notification, MaxMembers: g.MaxMembers, MemberCount: g.MemberCount, CreatedAt: g.CreatedAt.UnixMilli()}, nil
}

func (s *Server) changeOwner(r *http.Request, app *store.App) (any, error) {
	var req struct {
		UserID string `json:"user_id"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return nil, s.IM.ChangeOwner(r.Context(), app.SDKAppID, r.PathValue("id"), req.UserID)
}

// MemberPatch changes one membership; absent fields stay. MuteSeconds 0 lifts a mute.
type MemberPatch struct {
	Role        *string `json:"role,omitempty"` // admin or member
	RecvOpt     *int    `json:"recv_opt,omitempty"`
	NameCard    *string `json:"name_card,omitempty"`
	MuteSeconds *int64  `json:"mute_seconds,omitempty"`
}

func (s *Server) patchMember(r *http.Request, app *store.App) (any, error) {
	var req MemberPatch
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	var c im.MemberChange
	if req.Role != nil {
		role := store.GroupRole(*req.Role)
		c.Role = &role
	}
	if req.RecvOpt != nil {
		if *req.RecvOpt < 0 || *req.RecvOpt > int(store.ReceiveNoNotifyExceptAt) {
			return nil, errcode.Errorf(errcode.InvalidRequest, "recv_opt must be 0-3")
		}
		opt := store.RecvOpt(*req.RecvOpt)
		c.RecvOpt = &opt
	}
	c.NameCard = req.NameCard
	if req.MuteSeconds != nil {
		d := time.Duration(*req.MuteSeconds) * time.Second
		c.MuteFor = &d
	}
	return nil, s.IM.ModifyMember(r.Context(), app.SDKAppID, r.PathValue("id"), r.PathValue("user"), c)
}

// MemberBody is one member in the admin member list.
type MemberBody struct {
	UserID    string `json:"user_id"`
	Role      string `json:"role"`
	RecvOpt   int    `json:"recv_opt"`
	NameCard  string `json:"name_card,omitempty"`
	MuteUntil int64  `json:"mute_until,omitempty"` // Unix ms
	JoinedAt  int64  `json:"joined_at"`
}

func (s *Server) listMembers(r *http.Request, app *store.App) (any, error) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if offset < 0 || limit < 0 || limit > 6000 {
		return nil, errcode.Errorf(errcode.InvalidRequest, "offset must be >= 0 and limit 0-6000 (0 = all)")
	}
	ms, total, err := s.IM.GroupMembers(r.Context(), app.SDKAppID, r.PathValue("id"), offset, limit)
	if err != nil {
		return nil, err
	}
	out := make([]MemberBody, 0, len(ms))
	for _, m := range ms {
		b := MemberBody{UserID: m.UserID, Role: string(m.Role), RecvOpt: int(m.RecvOpt), NameCard: m.NameCard, JoinedAt: m.JoinedAt.UnixMilli()}
		if m.MuteUntil.After(s.Now()) {
			b.MuteUntil = m.MuteUntil.UnixMilli()
		}
		out = append(out, b)
	}
	return map[string]any{"total": total, "members": out}, nil
}

func (s *Server) recallMessage(r *http.Request, app *store.App) (any, error) {
	return s.IM.Recall(r.Context(), im.RecallParams{SDKAppID: app.SDKAppID, By: app.AdminUserID, MessageID: r.PathValue("id"), ByAdmin: true})
}

// ImportRequest moves one message over from another system: stored with its time,
// not delivered online, not pushed.
type ImportRequest struct {
	protocol.SendRequest
	From   string `json:"from"`
	Time   int64  `json:"time"`   // Unix ms
	Unread bool   `json:"unread"` // counts toward the recipients' unread
}

func (s *Server) importMessage(r *http.Request, app *store.App) (any, error) {
	var req ImportRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	m, err := s.IM.Import(r.Context(), im.ImportParams{SDKAppID: app.SDKAppID, From: req.From, Request: req.SendRequest, Time: time.UnixMilli(req.Time), Unread: req.Unread})
	if err != nil {
		return nil, err
	}
	return protocol.SendResponse{Message: m}, nil
}
