package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// messageSearcher finds recent messages for the console's message list.
type messageSearcher interface {
	SearchMessages(ctx context.Context, f store.MessageSearch) ([]*store.Message, error)
}

// searchMessages is GET /v1/admin/messages?user=&conversation=&since=&until=&limit=.
func (s *Server) searchMessages(r *http.Request, app *store.App) (any, error) {
	q := r.URL.Query()
	f := store.MessageSearch{SDKAppID: app.SDKAppID, UserID: q.Get("user")}
	if conv := q.Get("conversation"); conv != "" {
		switch {
		case strings.HasPrefix(conv, "group_") && len(conv) > len("group_"):
			f.Channel = store.GroupChannel(strings.TrimPrefix(conv, "group_"))
		case strings.HasPrefix(conv, "c2c_") && len(conv) > len("c2c_"):
			if f.UserID == "" {
				return nil, errcode.Errorf(errcode.InvalidRequest, "conversation %q: a one-to-one conversation is named from one side; give user too", conv)
			}
			f.Channel = store.C2CChannel(f.UserID, strings.TrimPrefix(conv, "c2c_"))
		default:
			return nil, errcode.Errorf(errcode.InvalidRequest, "conversation %q: use c2c_<peer> (with user) or group_<group ID>", conv)
		}
	}
	var err error
	if f.Since, err = searchTime(q.Get("since"), "since"); err != nil {
		return nil, err
	}
	if f.Until, err = searchTime(q.Get("until"), "until"); err != nil {
		return nil, err
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > store.MaxMessageSearch {
			return nil, errcode.Errorf(errcode.InvalidRequest, "limit %q: use 1 to %d", v, store.MaxMessageSearch)
		}
	}
	ms, err := s.Messages.SearchMessages(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := make([]*protocol.Message, len(ms))
	for i, m := range ms {
		out[i] = im.WireMessage(m)
	}
	return map[string]any{"messages": out}, nil
}

// searchTime parses an RFC 3339 time or Unix milliseconds; "" is zero.
func searchTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errcode.Errorf(errcode.InvalidRequest, "%s %q: use RFC 3339 (2026-01-02T15:04:05Z) or Unix milliseconds", field, v)
	}
	return t, nil
}
