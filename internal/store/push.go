package store

import (
	"encoding/json"
	"time"
)

// Certificate is a stored vendor credential of an app (what a client names when it binds
// a device token). The push package owns the meaning of Vendor and Config; Config
// holds secrets and is never logged or returned whole.
type Certificate struct {
	ID        int64
	SDKAppID  int64
	Vendor    string
	Name      string
	Config    json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CertificateUpdate changes a certificate; nil fields are left as they are.
type CertificateUpdate struct {
	Name   *string
	Config json.RawMessage // nil = unchanged
}

// PushRecord is one device's push decision and result for one message.
type PushRecord struct {
	ID        int64
	SDKAppID  int64
	MessageID string
	UserID    string
	DeviceID  string
	// Kind says what the record is the push of: "" (KindMessage) the message's own
	// notification, KindRecall the replacement that withdraws it after a recall.
	Kind string
	// Decision names the rule that decided: "push", or why not ("sender", "not_receive",
	// "no_notify", "not_mentioned", "dnd", "no_token", "foreground", "logged_out",
	// "custom_no_desc", "disabled"). "unacked" is a push too: the device was decided
	// "foreground" but did not acknowledge the online delivery in time (or its
	// connection died first), so it was pushed as if offline.
	Decision      string
	Vendor        string
	CertificateID int64
	// Outcome is the vendor's answer for pushes ("accepted", "invalid_token", "retry_later",
	// "auth_expired", "quota_exceeded", "failed"), "expired" when its TTL ran out before
	// a vendor took it, "queued" until a try, "sending" during one, "" for skips.
	Outcome         string
	Reason          string // the vendor's code and message, or why the push failed
	VendorMessageID string
	Attempts        int
	// DuplicatePossible: a try was cut off by a crash after its request may have
	// reached the vendor, and the push was sent again.
	DuplicatePossible bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Push record kinds.
const (
	KindMessage = ""       // the message's notification
	KindRecall  = "recall" // the lock-screen replacement of a recalled message
)

// PushRecordUpdate records an attempt's result; nil fields are left as they are.
type PushRecordUpdate struct {
	Outcome         *string
	Reason          *string
	VendorMessageID *string
	Attempts        *int
	// IfSending, when set, applies the update only while the record is being sent at
	// that attempt (Outcome "sending"): the answer of a try does not overwrite a later
	// try's claim.
	IfSending *int
}

// PushRedecision is a record's new decision (RedecidePushRecord).
type PushRedecision struct {
	Decision      string
	Vendor        string
	CertificateID int64
	Outcome       string
}

// PushCount is the number of push records with one day, vendor, decision and outcome.
type PushCount struct {
	Day      time.Time // midnight UTC
	Vendor   string
	Decision string
	Outcome  string
	Count    int
}

// PushAttempt is one earlier try of a push: a try whose vendor answer did not end it
// (retry_later, quota_exceeded, auth_expired…) so that the push was queued again. The
// final answer stays on the PushRecord; a push accepted at its first try has none.
type PushAttempt struct {
	SDKAppID  int64
	RecordID  int64
	MessageID string
	UserID    string
	DeviceID  string
	Attempt   int // the record's Attempts during this try, from 1
	Time      time.Time
	Outcome   string
	Reason    string
}
