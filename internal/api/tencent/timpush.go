package tencent

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-im/herald/internal/api"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// broadcaster queues broadcasts: the native admin API, which keeps the rate limit.
type broadcaster interface {
	Broadcast(ctx context.Context, app *store.App, req *api.BroadcastRequest) (string, error)
}

// audienceStore is what the tag and attribute commands need of the store.
type audienceStore interface {
	FindAccounts(ctx context.Context, sdkAppID int64, userIDs []string) ([]*store.Account, error)
	AddUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error
	RemoveUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error
	FindUserTags(ctx context.Context, sdkAppID int64, userID string) ([]string, error)
	SetAttrNames(ctx context.Context, sdkAppID int64, names []string) error
	FindAttrNames(ctx context.Context, sdkAppID int64) ([]string, error)
	SetUserAttrs(ctx context.Context, sdkAppID int64, userID string, attrs map[string]string) error
	FindUserAttrs(ctx context.Context, sdkAppID int64, userID string) (map[string]string, error)
}

// Condition selects a broadcast's users (tencent-im-push.md §3.5); absent, every user.
type Condition struct {
	TagsAnd  []string          `json:",omitempty"`
	TagsOr   []string          `json:",omitempty"`
	TagsNot  []string          `json:",omitempty"`
	AttrsAnd map[string]string `json:",omitempty"`
	AttrsOr  map[string]string `json:",omitempty"`
}

// TimPushRequest is the body of timpush/push (tencent-im-push.md §3.5). Herald stores no
// chat message for it whatever OnlineOnlyFlag says: a broadcast is a system
// notification (docs/push.md, "Broadcasts").
type TimPushRequest struct {
	FromAccount     string `json:"From_Account"`
	MsgRandom       int64
	MsgBody         []MsgElem
	OnlineOnlyFlag  int
	Condition       *Condition
	OfflinePushInfo *OfflinePushInfo
}

// TimPushResponse answers timpush/push with the task's ID.
type TimPushResponse struct {
	Status
	TaskID string `json:"TaskId"`
}

func (s *Server) timPush(ctx context.Context, app *store.App, body []byte) (any, error) {
	if s.Broadcaster == nil {
		return nil, &Error{Code: CodeUnknownCommand, Info: "this server does not push broadcasts"}
	}
	var req TimPushRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	var elems []protocol.Element
	var info *protocol.OfflinePushInfo
	if len(req.MsgBody) > 0 {
		var err error
		if elems, info, err = convert(req.MsgBody, req.OfflinePushInfo); err != nil {
			return nil, err
		}
	} else {
		info = pushInfo(req.OfflinePushInfo, nil)
	}
	if info == nil {
		info = &protocol.OfflinePushInfo{}
	}
	// Without a Desc the notification shows the message's text.
	if info.Desc == "" {
		for _, e := range elems {
			if e.Type == protocol.ElemText && e.Text != "" {
				info.Desc = e.Text
				break
			}
		}
	}
	br := &api.BroadcastRequest{OnlineOnly: req.OnlineOnlyFlag == 1, PushInfo: info}
	if c := req.Condition; c != nil {
		br.Condition = &store.Audience{TagsAnd: c.TagsAnd, TagsOr: c.TagsOr, TagsNot: c.TagsNot, AttrsAnd: c.AttrsAnd, AttrsOr: c.AttrsOr}
	}
	if err := br.Validate(); err != nil {
		return nil, err
	}
	id, err := s.Broadcaster.Broadcast(ctx, app, br)
	if err != nil {
		return nil, err
	}
	return TimPushResponse{Status: statusOK, TaskID: id}, nil
}

// UserTags are one user's tags in im_add_tag, im_remove_tag and im_get_tag.
type UserTags struct {
	ToAccount string `json:"To_Account"`
	Tags      []string
}

// UserAttrs are one user's attributes in im_set_attr and im_get_attr.
type UserAttrs struct {
	ToAccount string `json:"To_Account"`
	Attrs     map[string]string
}

// MaxAttrUsers is Tencent's bound on the users of one attribute or tag call.
const MaxAttrUsers = 100

// userTagsRequest is the body of im_add_tag and im_remove_tag.
type userTagsRequest struct {
	UserTags []UserTags
}

// accountsRequest is the body of im_get_tag, im_get_attr and im_remove_all_tags.
type accountsRequest struct {
	ToAccount []string `json:"To_Account"`
}

// Tag and attribute error codes (trtc.io/document/60566 and its siblings).
const (
	CodeTooManyAccounts = 90018 // more accounts than one call takes
	CodeBadAttr         = 90033 // not one of the app's attribute names
)

// checkUsers bounds users to 1..MaxAttrUsers and splits them into those that exist
// (known) and an ErrorList entry (70107) for each that does not. When none exists the
// call fails, as batchsendmsg does; otherwise it goes on for the known ones.
func (s *Server) checkUsers(ctx context.Context, sdkAppID int64, users []string) (known map[string]bool, errs []AccountError, err error) {
	if len(users) == 0 || len(users) > MaxAttrUsers {
		return nil, nil, &Error{Code: CodeTooManyAccounts, Info: fmt.Sprintf("name 1-%d accounts", MaxAttrUsers)}
	}
	as, err := s.Audience.FindAccounts(ctx, sdkAppID, users)
	if err != nil {
		return nil, nil, fmt.Errorf("find accounts: %w", err)
	}
	known = map[string]bool{}
	for _, a := range as {
		known[a.UserID] = true
	}
	errs = []AccountError{}
	for _, u := range users {
		if !known[u] {
			errs = append(errs, AccountError{ToAccount: u, ErrorCode: CodeNoAccount})
		}
	}
	if len(known) == 0 {
		return nil, nil, &Error{Code: CodeNoAccount, Info: fmt.Sprintf("account %q was never imported", users[0])}
	}
	return known, errs, nil
}

// partial is an OK answer with the accounts that failed.
type partial struct {
	Status
	ErrorList []AccountError `json:",omitempty"`
}

func (s *Server) changeTags(add bool) command {
	return func(ctx context.Context, app *store.App, body []byte) (any, error) {
		var req userTagsRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		users := make([]string, 0, len(req.UserTags))
		for _, ut := range req.UserTags {
			users = append(users, ut.ToAccount)
		}
		known, errs, err := s.checkUsers(ctx, app.SDKAppID, users)
		if err != nil {
			return nil, err
		}
		for _, ut := range req.UserTags {
			if !known[ut.ToAccount] {
				continue
			}
			if err := api.ValidTags("Tags", ut.Tags); err != nil {
				return nil, err
			}
			var err error
			if add {
				err = s.Audience.AddUserTags(ctx, app.SDKAppID, ut.ToAccount, ut.Tags)
			} else if len(ut.Tags) > 0 {
				err = s.Audience.RemoveUserTags(ctx, app.SDKAppID, ut.ToAccount, ut.Tags)
			}
			if errors.Is(err, store.ErrLimit) {
				return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("%s would have more than %d tags", ut.ToAccount, store.MaxUserTags), Err: err}
			}
			if err != nil {
				return nil, err
			}
		}
		return partial{statusOK, errs}, nil
	}
}

func (s *Server) getTags(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req accountsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	known, errs, err := s.checkUsers(ctx, app.SDKAppID, req.ToAccount)
	if err != nil {
		return nil, err
	}
	out := make([]UserTags, 0, len(req.ToAccount))
	for _, u := range req.ToAccount {
		if !known[u] {
			continue
		}
		tags, err := s.Audience.FindUserTags(ctx, app.SDKAppID, u)
		if err != nil {
			return nil, err
		}
		if tags == nil {
			tags = []string{}
		}
		out = append(out, UserTags{ToAccount: u, Tags: tags})
	}
	return struct {
		Status
		UserTags  []UserTags
		ErrorList []AccountError `json:",omitempty"`
	}{statusOK, out, errs}, nil
}

func (s *Server) removeAllTags(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req accountsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	known, errs, err := s.checkUsers(ctx, app.SDKAppID, req.ToAccount)
	if err != nil {
		return nil, err
	}
	for _, u := range req.ToAccount {
		if !known[u] {
			continue
		}
		if err := s.Audience.RemoveUserTags(ctx, app.SDKAppID, u, nil); err != nil {
			return nil, err
		}
	}
	return partial{statusOK, errs}, nil
}

// setAttrName replaces the app's attribute names; AttrNames is keyed "0".."9".
func (s *Server) setAttrName(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct{ AttrNames map[string]string }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(req.AttrNames))
	for _, n := range req.AttrNames {
		names = append(names, n)
	}
	if err := api.ValidTags("AttrNames", names); err != nil {
		return nil, err
	}
	err := s.Audience.SetAttrNames(ctx, app.SDKAppID, names)
	if errors.Is(err, store.ErrLimit) {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("an app has at most %d attribute names", store.MaxAttrNames), Err: err}
	}
	if err != nil {
		return nil, err
	}
	return statusOK, nil
}

// getAttrName answers the app's attribute names keyed "0".., in name order.
func (s *Server) getAttrName(ctx context.Context, app *store.App, body []byte) (any, error) {
	names, err := s.Audience.FindAttrNames(ctx, app.SDKAppID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, n := range names {
		out[fmt.Sprint(i)] = n
	}
	return struct {
		Status
		AttrNames map[string]string
	}{statusOK, out}, nil
}

func (s *Server) setAttr(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct{ UserAttrs []UserAttrs }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	users := make([]string, 0, len(req.UserAttrs))
	for _, ua := range req.UserAttrs {
		users = append(users, ua.ToAccount)
		// An empty value removes the attribute; a value is at most 50 bytes.
		for name, v := range ua.Attrs {
			if len(v) > api.MaxTagBytes {
				return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("UserAttrs: the value of %q for To_Account %q is %d bytes; at most %d",
					name, ua.ToAccount, len(v), api.MaxTagBytes)}
			}
		}
	}
	known, errs, err := s.checkUsers(ctx, app.SDKAppID, users)
	if err != nil {
		return nil, err
	}
	for _, ua := range req.UserAttrs {
		if !known[ua.ToAccount] {
			continue
		}
		err := s.Audience.SetUserAttrs(ctx, app.SDKAppID, ua.ToAccount, ua.Attrs)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Code: CodeBadAttr, Info: "an attribute name is not one of the app's (set them with set_attr_name first)", Err: err}
		}
		if err != nil {
			return nil, err
		}
	}
	return partial{statusOK, errs}, nil
}

func (s *Server) getAttr(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req accountsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	known, errs, err := s.checkUsers(ctx, app.SDKAppID, req.ToAccount)
	if err != nil {
		return nil, err
	}
	out := make([]UserAttrs, 0, len(req.ToAccount))
	for _, u := range req.ToAccount {
		if !known[u] {
			continue
		}
		attrs, err := s.Audience.FindUserAttrs(ctx, app.SDKAppID, u)
		if err != nil {
			return nil, err
		}
		out = append(out, UserAttrs{ToAccount: u, Attrs: attrs})
	}
	return struct {
		Status
		UserAttrs []UserAttrs
		ErrorList []AccountError `json:",omitempty"`
	}{statusOK, out, errs}, nil
}

// removeAttr answers timpush/remove_attr (trtc.io/document/60566): UserAttrs name the
// attributes to remove, by name only.
func (s *Server) removeAttr(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		UserAttrs []struct {
			ToAccount string `json:"To_Account"`
			Attrs     []string
		}
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	users := make([]string, 0, len(req.UserAttrs))
	for _, ua := range req.UserAttrs {
		users = append(users, ua.ToAccount)
	}
	known, errs, err := s.checkUsers(ctx, app.SDKAppID, users)
	if err != nil {
		return nil, err
	}
	for _, ua := range req.UserAttrs {
		if !known[ua.ToAccount] {
			continue
		}
		if len(ua.Attrs) == 0 {
			return nil, &Error{Code: CodeBadAttr, Info: "Attrs must name at least one attribute to remove"}
		}
		attrs := make(map[string]string, len(ua.Attrs))
		for _, a := range ua.Attrs {
			attrs[a] = "" // an empty value removes it
		}
		err := s.Audience.SetUserAttrs(ctx, app.SDKAppID, ua.ToAccount, attrs)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Code: CodeBadAttr, Info: "an attribute name is not one of the app's (set them with set_attr_name first)", Err: err}
		}
		if err != nil {
			return nil, err
		}
	}
	return partial{statusOK, errs}, nil
}
