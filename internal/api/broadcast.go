package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// broadcaster queues a broadcast: the push pipeline.
type broadcaster interface {
	QueueBroadcast(ctx context.Context, t *store.PushTask) error
}

// audienceStore is what the broadcast, tag and attribute calls need of the store.
type audienceStore interface {
	FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error)
	AddUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error
	RemoveUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error
	FindUserTags(ctx context.Context, sdkAppID int64, userID string) ([]string, error)
	SetAttrNames(ctx context.Context, sdkAppID int64, names []string) error
	FindAttrNames(ctx context.Context, sdkAppID int64) ([]string, error)
	SetUserAttrs(ctx context.Context, sdkAppID int64, userID string, attrs map[string]string) error
	FindUserAttrs(ctx context.Context, sdkAppID int64, userID string) (map[string]string, error)
	FindPushTask(ctx context.Context, sdkAppID int64, id string) (*store.PushTask, error)
	FindPushTaskIDs(ctx context.Context, sdkAppID int64, limit int) ([]string, error)
	CountPushTasks(ctx context.Context, sdkAppID int64, since time.Time) (int, error)
	CountMessagePushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushCount, error)
}

// Broadcast limits and defaults (Tencent's, tencent-im-push.md §3.5: 100 calls a day,
// at least 1 s apart; tag and attribute names and values up to 50 bytes).
const (
	// DefaultBroadcastsPerDay bounds an app's broadcasts in any 24 hours.
	DefaultBroadcastsPerDay = 100
	// DefaultBroadcastInterval is the least time between two broadcasts of an app.
	DefaultBroadcastInterval = time.Second
	// TaskPrefix starts the IDs of push tasks, which stand in for a message ID in their
	// push records.
	TaskPrefix = "task-"
	// MaxTagBytes bounds a tag, an attribute name and an attribute value.
	MaxTagBytes = 50
	// MaxBroadcastTextBytes bounds a broadcast's title, desc and ext each.
	MaxBroadcastTextBytes = 4096
)

// BroadcastRequest asks for a notification to every account of an audience (all of
// them without a condition). PushInfo carries the per-vendor fields (channel IDs,
// categories, importance, sounds); title, desc and ext override its own. A broadcast
// uses the certificates' defaults for what PushInfo leaves unset.
type BroadcastRequest struct {
	Condition  *store.Audience           `json:"condition,omitempty"`
	Title      string                    `json:"title,omitempty"`
	Desc       string                    `json:"desc"`
	Ext        string                    `json:"ext,omitempty"`
	OnlineOnly bool                      `json:"online_only,omitempty"`
	PushInfo   *protocol.OfflinePushInfo `json:"push_info,omitempty"`
}

// Validate checks the request's fields.
func (r *BroadcastRequest) Validate() error {
	if r.Desc == "" && (r.PushInfo == nil || r.PushInfo.Desc == "") {
		return errcode.Errorf(errcode.InvalidRequest, "field \"desc\" is required: it is the notification's text")
	}
	for name, v := range map[string]string{"title": r.Title, "desc": r.Desc, "ext": r.Ext} {
		if len(v) > MaxBroadcastTextBytes {
			return errcode.Errorf(errcode.InvalidRequest, "field %q is over %d bytes", name, MaxBroadcastTextBytes)
		}
	}
	if c := r.Condition; c != nil {
		for name, tags := range map[string][]string{"tags_and": c.TagsAnd, "tags_or": c.TagsOr, "tags_not": c.TagsNot} {
			if err := ValidTags("condition."+name, tags); err != nil {
				return err
			}
		}
		for name, attrs := range map[string]map[string]string{"attrs_and": c.AttrsAnd, "attrs_or": c.AttrsOr} {
			for k, v := range attrs {
				if err := ValidTags("condition."+name, []string{k, v}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ValidTags checks tags (or attribute names and values) are 1 to MaxTagBytes bytes.
func ValidTags(field string, tags []string) error {
	for _, t := range tags {
		if t == "" || len(t) > MaxTagBytes {
			return errcode.Errorf(errcode.InvalidRequest, "field %q: %q must be 1 to %d bytes", field, t, MaxTagBytes)
		}
	}
	return nil
}

// broadcast queues a push task, within the app's broadcast rate limit.
func (s *Server) broadcast(r *http.Request, app *store.App) (any, error) {
	var req BroadcastRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	id, err := s.Broadcast(r.Context(), app, &req)
	if err != nil {
		return nil, err
	}
	return map[string]string{"task_id": id}, nil
}

// Broadcast checks the app's broadcast rate limit and queues req as a push task; it
// returns the task ID. The Tencent adapter calls it too.
func (s *Server) Broadcast(ctx context.Context, app *store.App, req *BroadcastRequest) (string, error) {
	if s.Broadcaster == nil {
		return "", errcode.Errorf(errcode.Unavailable, "this server does not push broadcasts")
	}
	// The limit is counted in the store, so that it holds across nodes; two calls at
	// the same instant may both pass.
	now := s.Now()
	if s.BroadcastInterval > 0 {
		n, err := s.Audience.CountPushTasks(ctx, app.SDKAppID, now.Add(-s.BroadcastInterval))
		if err != nil {
			return "", fmt.Errorf("count push tasks: %w", err)
		}
		if n > 0 {
			return "", errcode.Errorf(errcode.RateLimited, "broadcasts must be at least %s apart", s.BroadcastInterval)
		}
	}
	if s.BroadcastsPerDay > 0 {
		n, err := s.Audience.CountPushTasks(ctx, app.SDKAppID, now.Add(-24*time.Hour))
		if err != nil {
			return "", fmt.Errorf("count push tasks: %w", err)
		}
		if n >= s.BroadcastsPerDay {
			return "", errcode.Errorf(errcode.RateLimited, "at most %d broadcasts in 24 hours", s.BroadcastsPerDay)
		}
	}
	info := protocol.OfflinePushInfo{}
	if req.PushInfo != nil {
		info = *req.PushInfo
	}
	info.DisablePush = false
	info.Title, info.Desc, info.Ext = or(req.Title, info.Title), or(req.Desc, info.Desc), or(req.Ext, info.Ext)
	content, err := json.Marshal(info)
	if err != nil {
		return "", fmt.Errorf("encode content: %w", err)
	}
	t := &store.PushTask{SDKAppID: app.SDKAppID, ID: TaskPrefix + randomHex(8), Content: content, OnlineOnly: req.OnlineOnly, CreatedAt: now}
	if req.Condition != nil {
		t.Audience = *req.Condition
	}
	if err := s.Broadcaster.QueueBroadcast(ctx, t); err != nil {
		return "", fmt.Errorf("queue broadcast: %w", err)
	}
	s.Logger.Info("broadcast queued", "app", app.SDKAppID, "task", t.ID, "all", t.Audience.IsAll())
	return t.ID, nil
}

// TaskStatus is a push task as GET /v1/admin/push/tasks/{id} answers it.
type TaskStatus struct {
	TaskID     string          `json:"task_id"`
	Status     string          `json:"status"`
	Reason     string          `json:"reason,omitempty"`
	Condition  *store.Audience `json:"condition,omitempty"`
	OnlineOnly bool            `json:"online_only"`
	// Targets is the accounts matched so far; Pushed the devices a push was queued
	// for; Queued those still waiting for the vendor; Accepted and Failed the answers;
	// Skipped the devices the rules passed over (logged out, no token, foreground).
	Targets    int        `json:"targets"`
	Pushed     int        `json:"pushed"`
	Queued     int        `json:"queued"`
	Accepted   int        `json:"accepted"`
	Failed     int        `json:"failed"`
	Skipped    int        `json:"skipped"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// task answers a push task's status and counts.
// MaxTaskList bounds the tasks GET /v1/admin/push/tasks lists.
const MaxTaskList = 100

// tasks is GET /v1/admin/push/tasks?limit=N: the newest tasks with their counts.
func (s *Server) tasks(r *http.Request, app *store.App) (any, error) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxTaskList {
			return nil, errcode.Errorf(errcode.InvalidRequest, "limit %q: use 1 to %d", v, MaxTaskList)
		}
		limit = n
	}
	ids, err := s.Audience.FindPushTaskIDs(r.Context(), app.SDKAppID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*TaskStatus, 0, len(ids))
	for _, id := range ids {
		t, err := s.TaskStatus(r.Context(), app.SDKAppID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return map[string]any{"tasks": out}, nil
}

func (s *Server) task(r *http.Request, app *store.App) (any, error) {
	return s.TaskStatus(r.Context(), app.SDKAppID, r.PathValue("id"))
}

// TaskStatus returns a push task's status and counts, the pushes counted from its
// records.
func (s *Server) TaskStatus(ctx context.Context, sdkAppID int64, id string) (*TaskStatus, error) {
	t, err := s.Audience.FindPushTask(ctx, sdkAppID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errcode.Wrap(errcode.MessageNotFound, err, fmt.Sprintf("no push task %q in this app", id))
	}
	if err != nil {
		return nil, fmt.Errorf("find push task: %w", err)
	}
	counts, err := s.Audience.CountMessagePushRecords(ctx, sdkAppID, id)
	if err != nil {
		return nil, fmt.Errorf("count push records: %w", err)
	}
	c := pipeline.CountTask(counts)
	out := &TaskStatus{
		TaskID: t.ID, Status: string(t.Status), Reason: t.Reason, OnlineOnly: t.OnlineOnly, Targets: t.Targets,
		Pushed: c.Pushed, Queued: c.Queued, Accepted: c.Accepted, Failed: c.Failed, Skipped: c.Skipped, CreatedAt: t.CreatedAt,
	}
	if !t.Audience.IsAll() {
		out.Condition = &t.Audience
	}
	if !t.FinishedAt.IsZero() {
		out.FinishedAt = &t.FinishedAt
	}
	return out, nil
}

// existingUser checks a user exists: tags and attributes belong to accounts.
func (s *Server) existingUser(ctx context.Context, sdkAppID int64, userID string) error {
	_, err := s.Audience.FindAccount(ctx, sdkAppID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Wrap(errcode.UserNotFound, err, fmt.Sprintf("no user %q in this app", userID))
	}
	if err != nil {
		return fmt.Errorf("find account: %w", err)
	}
	return nil
}

// limitError turns store.ErrLimit into an invalid-request error saying the limit.
func limitError(err error, msg string) error {
	if errors.Is(err, store.ErrLimit) {
		return errcode.Wrap(errcode.InvalidRequest, err, msg)
	}
	return err
}

func (s *Server) getUserTags(r *http.Request, app *store.App) (any, error) {
	user := r.PathValue("id")
	if err := s.existingUser(r.Context(), app.SDKAppID, user); err != nil {
		return nil, err
	}
	tags, err := s.Audience.FindUserTags(r.Context(), app.SDKAppID, user)
	if err != nil {
		return nil, fmt.Errorf("find user tags: %w", err)
	}
	return map[string]any{"user_id": user, "tags": orEmpty(tags)}, nil
}

// tagsRequest adds or removes tags; All removes every tag.
type tagsRequest struct {
	Tags []string `json:"tags"`
	All  bool     `json:"all,omitempty"`
}

func (s *Server) addUserTags(r *http.Request, app *store.App) (any, error) {
	var req tagsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := ValidTags("tags", req.Tags); err != nil {
		return nil, err
	}
	user := r.PathValue("id")
	if err := s.existingUser(r.Context(), app.SDKAppID, user); err != nil {
		return nil, err
	}
	if err := s.Audience.AddUserTags(r.Context(), app.SDKAppID, user, req.Tags); err != nil {
		return nil, limitError(fmt.Errorf("add user tags: %w", err), fmt.Sprintf("a user has at most %d tags; remove some first", store.MaxUserTags))
	}
	return s.getUserTags(r, app)
}

func (s *Server) removeUserTags(r *http.Request, app *store.App) (any, error) {
	var req tagsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	tags := req.Tags
	if req.All {
		tags = nil
	} else if len(tags) == 0 {
		return nil, errcode.Errorf(errcode.InvalidRequest, "give \"tags\" to remove, or \"all\": true")
	}
	user := r.PathValue("id")
	if err := s.existingUser(r.Context(), app.SDKAppID, user); err != nil {
		return nil, err
	}
	if err := s.Audience.RemoveUserTags(r.Context(), app.SDKAppID, user, tags); err != nil {
		return nil, fmt.Errorf("remove user tags: %w", err)
	}
	return s.getUserTags(r, app)
}

func (s *Server) getAttrNames(r *http.Request, app *store.App) (any, error) {
	names, err := s.Audience.FindAttrNames(r.Context(), app.SDKAppID)
	if err != nil {
		return nil, fmt.Errorf("find attribute names: %w", err)
	}
	return map[string]any{"names": orEmpty(names)}, nil
}

func (s *Server) setAttrNames(r *http.Request, app *store.App) (any, error) {
	var req struct {
		Names []string `json:"names"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := ValidTags("names", req.Names); err != nil {
		return nil, err
	}
	if err := s.Audience.SetAttrNames(r.Context(), app.SDKAppID, req.Names); err != nil {
		return nil, limitError(fmt.Errorf("set attribute names: %w", err), fmt.Sprintf("an app has at most %d attribute names", store.MaxAttrNames))
	}
	return s.getAttrNames(r, app)
}

func (s *Server) getUserAttrs(r *http.Request, app *store.App) (any, error) {
	user := r.PathValue("id")
	if err := s.existingUser(r.Context(), app.SDKAppID, user); err != nil {
		return nil, err
	}
	attrs, err := s.Audience.FindUserAttrs(r.Context(), app.SDKAppID, user)
	if err != nil {
		return nil, fmt.Errorf("find user attributes: %w", err)
	}
	return map[string]any{"user_id": user, "attrs": attrs}, nil
}

// setUserAttrs sets attribute values; an empty value removes one.
func (s *Server) setUserAttrs(r *http.Request, app *store.App) (any, error) {
	var req struct {
		Attrs map[string]string `json:"attrs"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	for k, v := range req.Attrs {
		if err := ValidTags("attrs", []string{k}); err != nil {
			return nil, err
		}
		if len(v) > MaxTagBytes {
			return nil, errcode.Errorf(errcode.InvalidRequest, "field \"attrs\": the value of %q is over %d bytes", k, MaxTagBytes)
		}
	}
	user := r.PathValue("id")
	if err := s.existingUser(r.Context(), app.SDKAppID, user); err != nil {
		return nil, err
	}
	err := s.Audience.SetUserAttrs(r.Context(), app.SDKAppID, user, req.Attrs)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errcode.Wrap(errcode.InvalidRequest, err, "an attribute name is not one of the app's; set them with POST /v1/admin/push/attr-names")
	}
	if err != nil {
		return nil, fmt.Errorf("set user attributes: %w", err)
	}
	return s.getUserAttrs(r, app)
}

func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// isTaskID reports whether id names a push task rather than a message.
func isTaskID(id string) bool { return strings.HasPrefix(id, TaskPrefix) }
