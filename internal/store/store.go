// Package store holds Herald's persistent vocabulary — apps, accounts, devices, messages,
// conversations, groups, push certificates and push records — and the Store interface
// that the sqlite and postgres sub-packages implement. The conformance suite in storetest runs against both.
//
// Every record is keyed by its app (SDKAppID): one server hosts many apps and no query
// crosses from one to another.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors returned by every Store implementation.
var (
	// ErrNotFound is returned when the record asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a record with the same key already exists, e.g. a
	// message with the same (sender, ClientMsgID).
	ErrConflict = errors.New("store: conflict")
)

// Store is the whole persistence API. Implementations are safe for concurrent use; every
// method that writes more than one row does so in one transaction.
type Store interface {
	// Apps.
	// CreateApp stores a new app; zero CreatedAt, Retention, AdminUserID and DevicePolicy
	// take their defaults (now, 7 days, "administrator", OnePerPlatform).
	CreateApp(ctx context.Context, a *App) error                        // ErrConflict if the SDKAppID exists
	FindAppByID(ctx context.Context, sdkAppID int64) (*App, error)      // ErrNotFound
	FindApps(ctx context.Context) ([]*App, error)                       // all apps, by SDKAppID
	UpdateApp(ctx context.Context, sdkAppID int64, upd AppUpdate) error // ErrNotFound

	// Accounts. CreateAccounts inserts new accounts and updates nickname/face URL of
	// existing ones (import is idempotent).
	CreateAccounts(ctx context.Context, as []*Account) error
	FindAccount(ctx context.Context, sdkAppID int64, userID string) (*Account, error) // ErrNotFound
	// FindAccounts returns the accounts that exist among userIDs, in no particular order.
	FindAccounts(ctx context.Context, sdkAppID int64, userIDs []string) ([]*Account, error)
	UpdateAccount(ctx context.Context, sdkAppID int64, userID string, upd AccountUpdate) error // ErrNotFound

	// Devices. A device is one (app, user, device ID); UpsertDevice creates it or
	// replaces its platform, state and login time (and LastSeen, NodeID, Background),
	// keeping its sequence marks and push binding (CertificateID, PushToken, Badge).
	UpsertDevice(ctx context.Context, d *Device) error
	FindDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) (*Device, error) // ErrNotFound
	FindDevices(ctx context.Context, f DeviceFilter) ([]*Device, error)
	UpdateDevice(ctx context.Context, sdkAppID int64, userID, deviceID string, upd DeviceUpdate) error // ErrNotFound
	DeleteDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) error                   // ErrNotFound
	// LoginDevices records logins, in order, in one transaction, as PlanLogins plans
	// them over the users' stored devices: it creates missing accounts (an existing one
	// is not written), logs out the devices each login displaces and upserts each
	// login's device. It returns one result per login.
	LoginDevices(ctx context.Context, logins []*Login) ([]*LoginResult, error)
	// DisconnectDevices records, in one transaction, that connections of devices ended,
	// in order, as PlanDisconnects plans them over the stored devices. It returns each
	// one's device as it was before it, nil for a device that does not exist.
	DisconnectDevices(ctx context.Context, ds []*Disconnect) ([]*Device, error)

	// Messages. CreateMessage assigns m.Seq (the next number in m's channel) and, for
	// each delivery, the next number in that user's inbox (Delivery.InboxSeq); it stores
	// the message, appends it to each inbox and updates each user's conversation (last
	// message, and unread when Delivery.Unread) in one transaction. It returns
	// ErrConflict, storing nothing, when m.ClientMsgID is set and the sender already has
	// a message with that ID (or when m.ID exists). An empty m.ID or zero m.Time is
	// filled in; m.Time is kept at millisecond precision. A user's conversation is
	// created by the first message stored for them, read up to the message before it.
	CreateMessage(ctx context.Context, m *Message, ds []Delivery) error
	FindMessageByID(ctx context.Context, sdkAppID int64, id string) (*Message, error)                      // ErrNotFound
	FindMessageByClientID(ctx context.Context, sdkAppID int64, from, clientMsgID string) (*Message, error) // ErrNotFound
	// FindMessages returns messages of one channel, newest first, for history paging.
	FindMessages(ctx context.Context, f MessageFilter) ([]*Message, error)
	// SearchMessages returns the app's messages f selects, newest first (by time, then
	// ID), at most f.SearchLimit().
	SearchMessages(ctx context.Context, f MessageSearch) ([]*Message, error)
	// FindInbox returns the entries of a user's inbox with InboxSeq > after, oldest
	// first, at most limit of them (limit <= 0 means 100).
	FindInbox(ctx context.Context, sdkAppID int64, userID string, after int64, limit int) ([]*InboxEntry, error)
	// DeleteMessagesBefore removes the app's messages (and their inbox entries) older
	// than t and returns how many messages went. Conversations stay, with their
	// sequence numbers; one whose last message went has a nil LastMessage.
	DeleteMessagesBefore(ctx context.Context, sdkAppID int64, t time.Time) (int, error)

	// Group messages whose members' copies are written off the send call.
	// CreateGroupMessage is CreateMessage for a group message (m.Type TypeGroup) whose
	// members are not listed: in one transaction it stores m, the sender's copy (when
	// sender is not nil) and the copies of the group's first inline members in user-ID
	// order, skipping m.From and members whose RecvOpt is NotReceive, each unread. When
	// members remain, or an earlier message of the group is still pending (members get a
	// group's messages in order), it records a FanOut for the rest instead and returns
	// pending true. It returns the deliveries it stored, InboxSeq set. Errors as
	// CreateMessage.
	CreateGroupMessage(ctx context.Context, m *Message, sender *Delivery, inline int) (ds []Delivery, pending bool, err error)
	// FindFanOuts returns pending fan-outs of every app, only the oldest of each group,
	// oldest first, at most limit (<= 0 means 100).
	FindFanOuts(ctx context.Context, limit int) ([]*FanOut, error)
	// FanOutMessage stores the copies of the next limit members (<= 0 means 1000) of
	// message messageID's fan-out, as CreateGroupMessage does, and advances it, in one
	// transaction. It returns the deliveries it stored and whether members remain. A
	// fan-out that is done (or whose message is gone, which ends it) or that another
	// caller is working on returns no deliveries and more false.
	FanOutMessage(ctx context.Context, sdkAppID int64, messageID string, limit int) (ds []Delivery, more bool, err error)

	// Conversations.
	FindConversations(ctx context.Context, sdkAppID int64, userID string) ([]*Conversation, error)      // newest first
	FindConversation(ctx context.Context, sdkAppID int64, userID, convID string) (*Conversation, error) // ErrNotFound
	// MarkConversationRead sets the user's read mark in convID to seq (never moving it
	// back, nor past the conversation's LastSeq) and recounts unread: messages of the
	// channel after the mark not sent by the user. It returns the conversation as it is
	// afterwards. ErrNotFound if the user has no such conversation.
	MarkConversationRead(ctx context.Context, sdkAppID int64, userID, convID string, seq int64) (*Conversation, error)

	// Receive options for one-to-one peers (group options live on GroupMember).
	SetC2CRecvOpt(ctx context.Context, sdkAppID int64, userID string, peers []string, opt RecvOpt) error
	// FindC2CRecvOpts returns the options userID set for peers; a peer with none is absent.
	FindC2CRecvOpts(ctx context.Context, sdkAppID int64, userID string, peers []string) (map[string]RecvOpt, error)
	// FindRecvOptsOfPeer returns, for each of users, the option that user set for peer:
	// what the sender of a one-to-one message needs to know about its recipients.
	FindRecvOptsOfPeer(ctx context.Context, sdkAppID int64, users []string, peer string) (map[string]RecvOpt, error)

	// Groups.
	CreateGroup(ctx context.Context, g *Group, members []*GroupMember) error                // ErrConflict if the ID exists
	FindGroup(ctx context.Context, sdkAppID int64, groupID string) (*Group, error)          // ErrNotFound
	UpdateGroup(ctx context.Context, sdkAppID int64, groupID string, upd GroupUpdate) error // ErrNotFound
	DeleteGroup(ctx context.Context, sdkAppID int64, groupID string) error                  // ErrNotFound; members go too
	// AddGroupMembers adds members; existing members are left as they are. It returns the
	// user IDs that were added, or ErrNotFound if the group does not exist.
	AddGroupMembers(ctx context.Context, sdkAppID int64, groupID string, members []*GroupMember) ([]string, error)
	// RemoveGroupMembers returns the user IDs that were members and went, or ErrNotFound
	// if the group does not exist.
	RemoveGroupMembers(ctx context.Context, sdkAppID int64, groupID string, userIDs []string) ([]string, error)
	FindGroupMember(ctx context.Context, sdkAppID int64, groupID, userID string) (*GroupMember, error) // ErrNotFound
	// FindGroupMembers pages through a group's members ordered by user ID: those after
	// the user ID after ("" = from the start), at most limit (<= 0 means 1000). Large
	// groups are streamed page by page, never loaded whole.
	FindGroupMembers(ctx context.Context, sdkAppID int64, groupID, after string, limit int) ([]*GroupMember, error)
	UpdateGroupMember(ctx context.Context, sdkAppID int64, groupID, userID string, upd GroupMemberUpdate) error // ErrNotFound
	// FindUserGroups returns the groups userID is a member of.
	FindUserGroups(ctx context.Context, sdkAppID int64, userID string) ([]*Group, error)

	// Push certificates. Config is opaque here: the push package owns its fields.
	CreateCertificate(ctx context.Context, c *Certificate) error                            // assigns ID, CreatedAt, UpdatedAt
	FindCertificateByID(ctx context.Context, sdkAppID, id int64) (*Certificate, error)      // ErrNotFound
	FindCertificates(ctx context.Context, sdkAppID int64) ([]*Certificate, error)           // by ID
	UpdateCertificate(ctx context.Context, sdkAppID, id int64, upd CertificateUpdate) error // ErrNotFound; sets UpdatedAt
	// DeleteCertificate removes a certificate and unbinds every device bound to it.
	DeleteCertificate(ctx context.Context, sdkAppID, id int64) error // ErrNotFound

	// BindPushToken binds a vendor token of certificate certID to one device, and
	// unbinds it from every other device of the app that held the same certificate and
	// token: a token belongs to one phone, and the phone's new user must be the only one
	// pushed to. It returns the devices it unbound, as they are afterwards. An empty token
	// unbinds the device. ErrNotFound, changing nothing, if the device does not exist or,
	// for a non-empty token, the app has no certificate certID (a binding to it would
	// outlive DeleteCertificate).
	BindPushToken(ctx context.Context, sdkAppID int64, userID, deviceID string, certID int64, token string) ([]*Device, error)
	// CreateTokenMoves records tokens that moved between devices (BindPushToken's
	// unbound devices); FindTokenMoves returns them newest first.
	CreateTokenMoves(ctx context.Context, ms []*TokenMove) error
	FindTokenMoves(ctx context.Context, f TokenMoveFilter) ([]*TokenMove, error)
	// UnbindPushToken clears the binding of every device of the app bound to certID and
	// token (the vendor reported it invalid) and returns how many were bound.
	UnbindPushToken(ctx context.Context, sdkAppID, certID int64, token string) (int, error)
	// IncrementBadge adds one to a device's badge and returns the new value.
	IncrementBadge(ctx context.Context, sdkAppID int64, userID, deviceID string) (int, error) // ErrNotFound
	// IncrementBadges adds one to the badge of each of devices in one transaction and
	// returns the new values. A device named n times gains n. Devices the app does not
	// have are absent from the map, which is not an error. Each device's increment is
	// atomic: no two calls (of either method) see the same value for one device.
	IncrementBadges(ctx context.Context, sdkAppID int64, devices []DeviceKey) (map[DeviceKey]int, error)

	// Push records: one per device considered for a message's push, with the rule that
	// decided and, for pushes, the vendor's answer.
	// CreatePushRecords assigns each record its ID, CreatedAt (now, unless set) and
	// UpdatedAt (= CreatedAt).
	CreatePushRecords(ctx context.Context, rs []*PushRecord) error
	UpdatePushRecord(ctx context.Context, sdkAppID, id int64, upd PushRecordUpdate) error // ErrNotFound; sets UpdatedAt
	// UpdatePushRecords applies upds, keyed by record ID, in one transaction (a send
	// job's answers), each as UpdatePushRecord would. IDs the app has no record of are
	// skipped, not an error; it returns how many records it updated.
	UpdatePushRecords(ctx context.Context, sdkAppID int64, upds map[int64]PushRecordUpdate) (int, error)
	// RedecidePushRecord changes the decision of a record only while it is still from
	// (a compare-and-set: of two callers redeciding one record only one wins) and sets
	// its vendor, certificate and outcome; it reports whether this call changed it. An
	// unacknowledged online delivery turns a "foreground" record into a push with it.
	RedecidePushRecord(ctx context.Context, sdkAppID, id int64, from string, to PushRedecision) (bool, error)
	// FindDevicePushRecord returns one device's record of a message. ErrNotFound.
	FindDevicePushRecord(ctx context.Context, sdkAppID int64, messageID, userID, deviceID string) (*PushRecord, error)
	// FindPushRecords returns a message's records (its push trace), by ID.
	FindPushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*PushRecord, error)
	// AddPushAttempts stores the earlier tries of pushes (records of the app) in one
	// statement; a try already stored (same record and attempt) is kept as it is.
	AddPushAttempts(ctx context.Context, sdkAppID int64, as []PushAttempt) error
	// FindPushAttempts returns the earlier tries of a message's pushes, ordered by
	// user, device and attempt.
	FindPushAttempts(ctx context.Context, sdkAppID int64, messageID string) ([]PushAttempt, error)
	// CountPushRecords counts records of the app created in [from, to), grouped by UTC
	// day, vendor, decision and outcome.
	CountPushRecords(ctx context.Context, sdkAppID int64, from, to time.Time) ([]*PushCount, error)

	// FindCertificateOutcomes returns, per certificate of the app with push records
	// created at or after since, its last success and last error, by certificate ID.
	FindCertificateOutcomes(ctx context.Context, sdkAppID int64, since time.Time) ([]*CertificateOutcome, error)

	// CountMessagePushRecords counts the records of one message (or push task), grouped
	// by decision and outcome; Day and Vendor are zero.
	CountMessagePushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*PushCount, error)

	// User tags and attributes, the audiences of broadcasts.
	// AddUserTags adds tags to a user; tags it has already are kept. ErrLimit, adding
	// none, if the user would have more than MaxUserTags.
	AddUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error
	// RemoveUserTags removes tags from a user (all of them when tags is nil); tags it
	// does not have are ignored.
	RemoveUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error
	FindUserTags(ctx context.Context, sdkAppID int64, userID string) ([]string, error) // sorted
	// SetAttrNames replaces the app's attribute names; the values users have of names
	// no longer defined go. ErrLimit, changing nothing, if there are more than
	// MaxAttrNames.
	SetAttrNames(ctx context.Context, sdkAppID int64, names []string) error
	FindAttrNames(ctx context.Context, sdkAppID int64) ([]string, error) // sorted
	// SetUserAttrs sets a user's values of attrs; an empty value removes one. ErrNotFound,
	// setting none, if a name is not one of the app's attribute names.
	SetUserAttrs(ctx context.Context, sdkAppID int64, userID string, attrs map[string]string) error
	FindUserAttrs(ctx context.Context, sdkAppID int64, userID string) (map[string]string, error)
	// FindAudience pages through the user IDs of the accounts in a, ordered by user ID:
	// those after the user ID after ("" = from the start), at most limit (<= 0 means
	// 1000). A whole user base is streamed page by page, never loaded at once.
	FindAudience(ctx context.Context, sdkAppID int64, a Audience, after string, limit int) ([]string, error)

	// Push tasks (broadcasts).
	CreatePushTask(ctx context.Context, t *PushTask) error                                   // ErrConflict if the ID exists; sets CreatedAt
	FindPushTask(ctx context.Context, sdkAppID int64, id string) (*PushTask, error)          // ErrNotFound
	UpdatePushTask(ctx context.Context, sdkAppID int64, id string, upd PushTaskUpdate) error // ErrNotFound
	// FindPushTaskIDs returns the IDs of the app's newest tasks, newest first, at most
	// limit (<= 0 means 20).
	FindPushTaskIDs(ctx context.Context, sdkAppID int64, limit int) ([]string, error)
	// CountPushTasks counts the app's tasks created at or after since.
	CountPushTasks(ctx context.Context, sdkAppID int64, since time.Time) (int, error)

	PushQueue
	// Profiles (profile.go): tag → value maps beside accounts, groups and members.
	// Set* write the tags given (an empty value removes one) in one transaction and
	// return ErrNotFound, writing nothing, if the owner does not exist.
	SetAccountProfile(ctx context.Context, sdkAppID int64, userID string, items map[string]string) error
	// FindAccountProfiles returns the profiles of userIDs; a user without tags is absent.
	FindAccountProfiles(ctx context.Context, sdkAppID int64, userIDs []string) (map[string]map[string]string, error)
	SetGroupProfile(ctx context.Context, sdkAppID int64, groupID string, items map[string]string) error
	FindGroupProfile(ctx context.Context, sdkAppID int64, groupID string) (map[string]string, error) // empty if none
	SetMemberProfile(ctx context.Context, sdkAppID int64, groupID, userID string, items map[string]string) error
	// FindMemberProfiles returns the profiles of the members userIDs of a group; a member
	// without tags is absent.
	FindMemberProfiles(ctx context.Context, sdkAppID int64, groupID string, userIDs []string) (map[string]map[string]string, error)
	// DeleteAccount removes an account with its devices, tags, attributes, profile,
	// memberships, receive options, conversations and inbox, in one transaction;
	// ErrNotFound if it does not exist. Messages it sent stay until they expire.
	DeleteAccount(ctx context.Context, sdkAppID int64, userID string) error

	// FindGroupIDs pages through the app's group IDs in order: those after the ID after
	// ("" = from the start), at most limit (<= 0 means 1000). CountGroups counts them.
	FindGroupIDs(ctx context.Context, sdkAppID int64, after string, limit int) ([]string, error)
	CountGroups(ctx context.Context, sdkAppID int64) (int, error)

	// Recalls. RecallMessage marks a stored message recalled and appends it once more to
	// the inbox of each of users, in one transaction, so that every device syncing
	// after its copy learns of the recall; it returns users with their new InboxSeq.
	// ErrNotFound if the app has no such message, ErrConflict (keeping the first, and
	// appending nothing) if it was recalled already.
	RecallMessage(ctx context.Context, sdkAppID int64, r *Recall, users []string) ([]Delivery, error)
	// FindRecalls returns the recalls of those of ids that were recalled.
	FindRecalls(ctx context.Context, sdkAppID int64, ids []string) (map[string]*Recall, error)

	// Webhook delivery log. CreateWebhookDelivery assigns ID and, when zero, CreatedAt;
	// FindWebhookDeliveries returns the app's newest, newest first, at most limit (<= 0
	// means 50); DeleteWebhookDeliveriesBefore removes rows older than t and says how
	// many went.
	CreateWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	FindWebhookDeliveries(ctx context.Context, sdkAppID int64, limit int) ([]*WebhookDelivery, error)
	DeleteWebhookDeliveriesBefore(ctx context.Context, t time.Time) (int, error)

	// Ping checks the database is reachable, for /readyz.
	Ping(ctx context.Context) error
	Close() error
}
