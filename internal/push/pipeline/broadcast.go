package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// A broadcast (push task) is a notification pushed to every account of an audience
// (all users, users with tags, users with attributes). It is a system notification,
// not a chat message: nothing is stored in any inbox or conversation, there is no
// sender, and badges are left alone. Each device of each matching user goes through the
// device rules that fit a broadcast: logged out → skip, no token → skip, connected in
// the foreground → skip (the app is on screen), otherwise (offline or in the
// background) → push. Receive options and do-not-disturb are chat settings and do not
// apply. The records are kept under the task ID, so a task has a push trace as a
// message has.
//
// Planning pages through the audience (memberPage users at a time) and batches send
// jobs across pages as a group message does. The task's Cursor is advanced each time
// every open send job is published, so a planner that restarts goes on from there; a
// crash can repeat the pages planned since (at most maxPending targets).

// BroadcastContent is what a broadcast says: the push info's title, desc and ext, and
// its per-vendor fields (channels, categories, importance), which override the
// certificates' defaults. It is the task's Content.
type BroadcastContent = protocol.OfflinePushInfo

// QueueBroadcast stores task t (status queued) and queues its planning. It waits for
// JetStream's acknowledgement, so a queued task survives a crash.
func (p *Pipeline) QueueBroadcast(ctx context.Context, t *store.PushTask) error {
	t.Status = store.TaskQueued
	if err := p.Store.CreatePushTask(ctx, t); err != nil {
		return fmt.Errorf("create push task: %w", err)
	}
	return p.publishPlan(ctx, planJob{SDKAppID: t.SDKAppID, TaskID: t.ID}, "task:"+t.ID)
}

// handleTask plans one broadcast; on failure the job is redelivered and goes on from
// the task's cursor.
func (p *Pipeline) handleTask(msg jetstream.Msg, job planJob) {
	if err := p.planTask(p.ctx, job, msg); err != nil {
		if md, merr := msg.Metadata(); merr == nil && md.NumDelivered >= maxPlanTries {
			p.Logger.Error("give up planning broadcast", "app", job.SDKAppID, "task", job.TaskID, "tries", md.NumDelivered, "err", err)
			failed, reason, now := store.TaskFailed, err.Error(), p.Now()
			if err := p.Store.UpdatePushTask(p.ctx, job.SDKAppID, job.TaskID, store.PushTaskUpdate{Status: &failed, Reason: &reason, FinishedAt: &now}); err != nil {
				p.Logger.Warn("mark broadcast failed", "task", job.TaskID, "err", err)
			}
			msg.Term()
			return
		}
		p.Logger.Warn("plan broadcast", "app", job.SDKAppID, "task", job.TaskID, "err", err)
		msg.NakWithDelay(sendTimeout / 30)
		return
	}
	p.ack(msg)
}

// planTask pages through the task's audience and queues the pushes.
func (p *Pipeline) planTask(ctx context.Context, job planJob, msg jetstream.Msg) error {
	t, err := p.Store.FindPushTask(ctx, job.SDKAppID, job.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find task: %w", err)
	}
	if t.Status != store.TaskQueued && t.Status != store.TaskPlanning {
		return nil // planned already
	}
	info := new(BroadcastContent)
	if len(t.Content) > 0 && string(t.Content) != "null" {
		if err := json.Unmarshal(t.Content, info); err != nil {
			return fmt.Errorf("decode task content: %w", err)
		}
	}
	if info.Ext == "" {
		b, _ := json.Marshal(map[string]any{"herald": map[string]any{"task_id": t.ID}})
		info.Ext = string(b)
	}
	planning := store.TaskPlanning
	if err := p.Store.UpdatePushTask(ctx, t.SDKAppID, t.ID, store.PushTaskUpdate{Status: &planning}); err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	m := &store.Message{SDKAppID: t.SDKAppID, ID: t.ID, Type: store.TypeC2C, Time: t.CreatedAt}
	pl := &planner{
		p: p, job: job, m: m, info: info, broadcast: true,
		elems: []protocol.Element{{Type: protocol.ElemText, Text: info.Desc}},
		// No sender, and chat settings do not apply: only the device rules decide.
		facts:    push.MessageFacts{IgnoreDND: true},
		replayed: map[string]*store.PushRecord{},
		deadline: p.deadline(t.CreatedAt, info),
	}
	if a, err := p.Store.FindAppByID(ctx, t.SDKAppID); err == nil {
		pl.sender = a.Name // the title when the task gives none
	}
	// Counts and the cursor move together, each time nothing is left unpublished.
	var targets int
	cursor := t.Cursor
	commit := func(last string) error {
		if pl.pending > 0 {
			return nil
		}
		upd := store.PushTaskUpdate{Cursor: &last, AddTargets: targets, AddPushed: pl.queued}
		if err := p.Store.UpdatePushTask(ctx, t.SDKAppID, t.ID, upd); err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		targets, pl.queued = 0, 0
		return nil
	}
	for {
		ids, err := p.Store.FindAudience(ctx, t.SDKAppID, t.Audience, cursor, memberPage)
		if err != nil {
			return fmt.Errorf("find audience: %w", err)
		}
		users := make(map[string]store.RecvOpt, len(ids))
		for _, id := range ids {
			users[id] = store.Receive
		}
		if err := pl.planUsers(ctx, users); err != nil {
			return err
		}
		targets += len(ids)
		if len(ids) > 0 {
			cursor = ids[len(ids)-1]
		}
		if len(ids) < memberPage {
			break
		}
		if err := commit(cursor); err != nil {
			return err
		}
		if msg != nil {
			msg.InProgress() // a large audience takes longer than AckWait
		}
	}
	if err := pl.flush(ctx); err != nil {
		return err
	}
	if err := commit(cursor); err != nil {
		return err
	}
	sending := store.TaskSending
	if err := p.Store.UpdatePushTask(ctx, t.SDKAppID, t.ID, store.PushTaskUpdate{Status: &sending}); err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	return p.finishTask(ctx, t.SDKAppID, t.ID)
}

// finishTask marks a task whose planning is over done once no push of it waits for an
// answer, with the final counts of its records.
func (p *Pipeline) finishTask(ctx context.Context, sdkAppID int64, id string) error {
	t, err := p.Store.FindPushTask(ctx, sdkAppID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find task: %w", err)
	}
	if t.Status != store.TaskSending {
		return nil
	}
	counts, err := p.Store.CountMessagePushRecords(ctx, sdkAppID, id)
	if err != nil {
		return fmt.Errorf("count task records: %w", err)
	}
	c := CountTask(counts)
	if c.Queued > 0 {
		return nil
	}
	done, now := store.TaskDone, p.Now()
	err = p.Store.UpdatePushTask(ctx, sdkAppID, id, store.PushTaskUpdate{Status: &done, Accepted: &c.Accepted, Failed: &c.Failed, FinishedAt: &now})
	if err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	return nil
}

// TaskCounts are a task's pushes by where they are.
type TaskCounts struct {
	Pushed   int // devices a push was queued for
	Queued   int // of those, still waiting for an answer
	Accepted int // accepted by the vendor
	Failed   int // refused or given up (invalid token, quota, auth, failed)
	Skipped  int // devices the rules skipped (logged out, no token, foreground)
}

// CountTask sums a task's record counts (store.CountMessagePushRecords).
func CountTask(cs []*store.PushCount) TaskCounts {
	var c TaskCounts
	for _, pc := range cs {
		if pc.Decision != push.Push.String() {
			c.Skipped += pc.Count
			continue
		}
		c.Pushed += pc.Count
		switch pc.Outcome {
		case "queued", store.OutcomeSending:
			c.Queued += pc.Count
		case push.Accepted.String():
			c.Accepted += pc.Count
		default:
			c.Failed += pc.Count
		}
	}
	return c
}
