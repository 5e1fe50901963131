package store

import (
	"encoding/json"
	"errors"
	"time"
)

// ErrLimit is returned when a write would take a user or an app past one of the limits
// below; nothing is written.
var ErrLimit = errors.New("store: limit exceeded")

// Limits of tags and attributes (tencent-im-push.md §3.5).
const (
	// MaxUserTags bounds the tags of one user.
	MaxUserTags = 10
	// MaxAttrNames bounds the attribute names an app defines.
	MaxAttrNames = 10
)

// Audience says which accounts of an app a broadcast goes to. The zero Audience is
// every account. Each set field narrows it further (they are ANDed together):
//
//   - TagsAnd: the user has every one of these tags;
//   - TagsOr: the user has at least one of them;
//   - TagsNot: the user has none of them;
//   - AttrsAnd: every one of these attributes has the given value;
//   - AttrsOr: at least one of them has the given value.
type Audience struct {
	TagsAnd  []string          `json:"tags_and,omitempty"`
	TagsOr   []string          `json:"tags_or,omitempty"`
	TagsNot  []string          `json:"tags_not,omitempty"`
	AttrsAnd map[string]string `json:"attrs_and,omitempty"`
	AttrsOr  map[string]string `json:"attrs_or,omitempty"`
}

// IsAll reports whether a is every account.
func (a Audience) IsAll() bool {
	return len(a.TagsAnd) == 0 && len(a.TagsOr) == 0 && len(a.TagsNot) == 0 && len(a.AttrsAnd) == 0 && len(a.AttrsOr) == 0
}

// TaskStatus is where a push task is.
type TaskStatus string

// Task statuses, in the order a task goes through them.
const (
	TaskQueued   TaskStatus = "queued"   // created, not yet planned
	TaskPlanning TaskStatus = "planning" // pages of users are being planned
	TaskSending  TaskStatus = "sending"  // every user planned; pushes wait for answers
	TaskDone     TaskStatus = "done"     // every push answered (or given up)
	TaskFailed   TaskStatus = "failed"   // planning gave up; Reason says why
)

// PushTask is one broadcast: a notification pushed to every account of an Audience.
// Its push records are kept under MessageID = ID, as a message's are.
type PushTask struct {
	SDKAppID int64
	ID       string
	Audience Audience
	// Content is the notification (title, desc, ext and per-vendor fields); the push
	// pipeline owns its fields.
	Content    json.RawMessage
	OnlineOnly bool
	Status     TaskStatus
	Reason     string // why the task failed
	// Cursor is the last user ID planned: a planner that restarts goes on after it.
	Cursor string
	// Counts. Targets: accounts matched; Pushed: devices a push was queued for;
	// Accepted and Failed: the vendors' final answers (set when the task is done).
	Targets, Pushed, Accepted, Failed int
	CreatedAt                         time.Time
	FinishedAt                        time.Time // zero until done or failed
}

// PushTaskUpdate changes a task; nil fields are left as they are, and the Add fields
// are added to the counts.
type PushTaskUpdate struct {
	Status     *TaskStatus
	Reason     *string
	Cursor     *string
	Accepted   *int
	Failed     *int
	FinishedAt *time.Time
	AddTargets int
	AddPushed  int
}
