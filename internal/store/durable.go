package store

import (
	"context"
	"time"
)

// PushQueue is the part of Store that makes the hand-off of pushes durable: a stored
// message waits, in the store, until its push is planned, and a push record is claimed
// before its vendor request so that a crash repeats only what was really in flight.
type PushQueue interface {
	// FindPushPending returns the messages, of any app, committed at or before before
	// whose push has not been planned yet (MarkPushPlanned), oldest first, at most
	// limit. A message is pending from the moment CreateMessage commits it.
	FindPushPending(ctx context.Context, before time.Time, limit int) ([]MessageKey, error)
	// MarkPushPlanned marks messages as planned; keys that do not exist are ignored.
	MarkPushPlanned(ctx context.Context, keys []MessageKey) error

	// ClaimPushRecords marks the app's records ids as being sent at attempt (Outcome
	// "sending", Attempts = attempt), in one transaction, and says for each what it
	// found. A record is claimed when it is queued or being sent at an earlier attempt
	// (the answer to that try is being written: a job for a later attempt is queued
	// only after the vendor answered); with
	// reclaim, also when it is being sent at this attempt already (a crash left it so:
	// it is then marked DuplicatePossible). Any other record (answered, queued for a
	// later attempt) is left as it is. IDs the app has no record of are absent from
	// the map.
	//
	// reclaimBefore says which records "sending" at this attempt are taken over: those
	// claimed (UpdatedAt) before it. A job redelivered after a crash passes a time in
	// the future (take them all); a first delivery passes now minus the longest a live
	// try can take, so that only a dead node's claim is taken.
	ClaimPushRecords(ctx context.Context, sdkAppID int64, ids []int64, attempt int, reclaimBefore time.Time) (map[int64]Claim, error)

	// FindWithdrawPending returns the recalls, of any app, made at or before before
	// whose lock-screen replacements have not been planned yet (MarkWithdrawPlanned),
	// oldest first, at most limit, by the recalled message's key. A recall is pending
	// from the moment RecallMessage commits it.
	FindWithdrawPending(ctx context.Context, before time.Time, limit int) ([]MessageKey, error)
	// MarkWithdrawPlanned marks the recall of a message as planned; a key that was not
	// recalled is ignored.
	MarkWithdrawPlanned(ctx context.Context, key MessageKey) error

	// DeploymentID returns the ID that names this deployment's queues on a shared
	// NATS, generating and keeping one on first use: every node of one database gets
	// the same.
	DeploymentID(ctx context.Context) (string, error)
}

// MessageKey names one message.
type MessageKey struct {
	SDKAppID int64
	ID       string
	// IgnoreDND is the message's PushIgnoreDND, filled in by FindPushPending.
	IgnoreDND bool
}

// Claim is what ClaimPushRecords found of one record.
type Claim struct {
	// Claimed: the record is now "sending" at the attempt, for the caller to send.
	Claimed bool
	// Reclaimed: it was "sending" at this attempt already; the vendor may have it.
	Reclaimed bool
	// Busy: it is "sending" at this attempt by a claim too recent to take over.
	Busy bool
	// Outcome and Attempts are the record's before the claim.
	Outcome  string
	Attempts int
}

// OutcomeSending is the outcome of a push record while its vendor request is made.
const OutcomeSending = "sending"

// Claimable says what a claim for a try at attempt finds of a record with outcome,
// attempts and updatedAt (see ClaimPushRecords). Both stores use it, so that they
// agree.
func Claimable(outcome string, attempts int, updatedAt time.Time, attempt int, reclaimBefore time.Time) Claim {
	c := Claim{Outcome: outcome, Attempts: attempts}
	switch {
	case (outcome == "queued" || outcome == OutcomeSending) && attempts < attempt:
		// Being sent at an earlier attempt: a job for a later one exists only once the
		// vendor answered that try, whose records may not be written yet.
		c.Claimed = true
	case outcome == OutcomeSending && attempts == attempt && updatedAt.Before(reclaimBefore):
		c.Claimed, c.Reclaimed = true, true
	case outcome == OutcomeSending && attempts == attempt:
		c.Busy = true
	}
	return c
}
