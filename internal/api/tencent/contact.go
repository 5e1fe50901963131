package tencent

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/herald-im/herald/internal/store"
)

// ContactPage is how many conversations one recentcontact/get_list call answers.
const ContactPage = 100

// Conversation types of recentcontact (tencentcloud.com/document/product/1047/43087).
const (
	sessionC2C   = 1
	sessionGroup = 2
)

// assistEmpty is the AssistFlags bit asking for conversations without messages too.
const assistEmpty = 1 << 1

// SessionItem is one conversation of recentcontact/get_list.
type SessionItem struct {
	Type      int
	ToAccount string `json:"To_Account,omitempty"`
	GroupID   string `json:"GroupId,omitempty"`
	MsgTime   int64  // the last message's time, in seconds
	TopFlag   int    // 1 pinned: Herald pins none
}

// GetListResponse is recentcontact/get_list's answer.
type GetListResponse struct {
	Status
	SessionItem   []SessionItem
	CompleteFlag  int   // 1: this is the last page
	TimeStamp     int64 // pass back with StartIndex for the next page
	StartIndex    int
	TopTimeStamp  int64
	TopStartIndex int
}

// getList answers recentcontact/get_list (tencentcloud.com/document/product/1047/43087):
// From_Account's conversations, newest message first, ContactPage at a time. The first
// call passes TimeStamp and StartIndex 0; the answer's TimeStamp and StartIndex ask for
// the next page. TimeStamp is the time of the first page: a conversation whose last
// message comes later moves above the cursor and is listed by a new first page, not by
// this paging. Herald pins no conversation, so TopFlag is 0 and TopTimeStamp and
// TopStartIndex come back as sent. With AssistFlags bit 2 (value 2) conversations
// without a message are listed too.
func (s *Server) getList(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		FromAccount   string `json:"From_Account"`
		TimeStamp     int64
		StartIndex    int
		TopTimeStamp  int64
		TopStartIndex int
		AssistFlags   int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("From_Account", req.FromAccount); err != nil {
		return nil, err
	}
	if req.TimeStamp < 0 || req.StartIndex < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: "TimeStamp and StartIndex cannot be negative (0 for the first page)"}
	}
	if as, err := s.Store.FindAccounts(ctx, app.SDKAppID, []string{req.FromAccount}); err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	} else if len(as) == 0 {
		return nil, &Error{Code: CodeNoAccount, Info: fmt.Sprintf("account %q was never imported", req.FromAccount)}
	}
	cs, err := s.IM.Store.FindConversations(ctx, app.SDKAppID, req.FromAccount)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	snapshot := req.TimeStamp
	if snapshot == 0 {
		snapshot = s.Now().Unix()
	}
	var items []SessionItem
	for _, c := range cs {
		it := SessionItem{Type: sessionC2C, ToAccount: c.PeerID}
		if c.Type == store.TypeGroup {
			it = SessionItem{Type: sessionGroup, GroupID: c.GroupID}
		}
		switch {
		case c.LastMessage != nil:
			it.MsgTime = c.LastMessage.Time.Unix()
		case req.AssistFlags&assistEmpty == 0:
			continue
		default:
			it.MsgTime = c.UpdatedAt.Unix()
		}
		if it.MsgTime > snapshot {
			continue // after the first page: not this paging's
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b SessionItem) int {
		return cmp.Or(cmp.Compare(b.MsgTime, a.MsgTime), cmp.Compare(a.ToAccount+a.GroupID, b.ToAccount+b.GroupID))
	})
	from := min(req.StartIndex, len(items))
	to := min(from+ContactPage, len(items))
	res := GetListResponse{Status: statusOK, SessionItem: items[from:to], TimeStamp: snapshot, StartIndex: to,
		TopTimeStamp: req.TopTimeStamp, TopStartIndex: req.TopStartIndex}
	if to == len(items) {
		res.CompleteFlag = 1
	}
	if res.SessionItem == nil {
		res.SessionItem = []SessionItem{}
	}
	return res, nil
}
