package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// CreateMessage stores m, appends it to the inbox of each delivery's user and updates
// their conversations, in one transaction, maybe shared with concurrent writes (group
// commit). It sets m.Seq, each ds[i].InboxSeq, and
// m.ID and m.Time when they are empty, only once the transaction has committed. It
// returns store.ErrConflict, storing nothing, when m.ClientMsgID is set and the sender
// already has a message with that ID, or when m.ID exists.
func (db *DB) CreateMessage(ctx context.Context, m *store.Message, ds []store.Delivery) error {
	if err := validateMessage(m); err != nil {
		return fmt.Errorf("create message: %w", err)
	}
	id, at := m.ID, m.Time
	if id == "" {
		id = newID()
	}
	if at.IsZero() {
		at = db.Now()
	}
	at = at.UTC().Truncate(time.Millisecond)
	channel := m.Channel()

	// Each user once, in user-ID order: concurrent sends lock inbox counters in the
	// same order and so never deadlock.
	// A user listed twice gets one copy, as the first listing says.
	unread := make(map[string]int32, len(ds))
	for _, d := range ds {
		if _, ok := unread[d.UserID]; !ok {
			unread[d.UserID] = 0
			if d.Unread {
				unread[d.UserID] = 1
			}
		}
	}
	users := make([]string, 0, len(unread))
	for u := range unread {
		users = append(users, u)
	}
	sort.Strings(users)
	convIDs, peerIDs, unreads := make([]string, len(users)), make([]string, len(users)), make([]int32, len(users))
	for i, u := range users {
		convIDs[i], unreads[i] = m.ConversationID(u), unread[u]
		if m.Type == store.TypeC2C {
			peerIDs[i] = m.To
			if u == m.To {
				peerIDs[i] = m.From
			}
		}
	}

	// One statement, so one round trip and no BEGIN or COMMIT: PostgreSQL runs it
	// atomically. Its parts run in the order their outputs are needed: the channel's
	// counter first (its row lock, held to commit, orders concurrent sends to the
	// channel), then the message, then the inbox counters in user-ID order; the
	// conversations, which the final SELECT does not read, last. In a group commit the
	// batch holds these counters already.
	var seq int64
	var inboxSeqs map[string]int64
	w := &groupWrite{
		channels: []lockKey{{m.SDKAppID, channel}},
		inboxes:  make([]lockKey, len(users)),
		sql:      createMessageQuery,
		args: []any{m.SDKAppID, channel, id, nullString(m.ClientMsgID), string(m.Type), m.From, m.To, m.GroupID,
			ms(at), nullBytes(m.Elements), nullList(m.AtUserIDs), m.AtAll, m.Priority, nullBytes(m.PushInfo),
			m.CloudCustomData, users, convIDs, peerIDs, unreads, m.PushIgnoreDND},
		read: func(rows pgx.Rows) error {
			inboxSeqs = make(map[string]int64, len(users))
			for rows.Next() {
				var u *string
				var s *int64
				if err := rows.Scan(&seq, &u, &s); err != nil {
					return err
				}
				if u != nil {
					inboxSeqs[*u] = *s
				}
			}
			return rows.Err()
		},
	}
	for i, u := range users {
		w.inboxes[i] = lockKey{m.SDKAppID, u}
	}
	if err := db.groupExec(ctx, w); err != nil {
		return fmt.Errorf("create message: %w", err)
	}
	m.ID, m.Time, m.Seq = id, at, seq
	for i := range ds {
		ds[i].InboxSeq = inboxSeqs[ds[i].UserID]
	}
	return nil
}

// createMessageQuery is CreateMessage's one statement. It returns the message's seq
// with each user's inbox seq, or one row with NULLs there when there are no users.
// A new conversation starts read up to the message before its first one: the user
// never saw what came earlier. A group's fan-out can store a member's copy of an older
// message after a newer one (the member's own, sent meanwhile): the conversation keeps
// its newest message, and a copy at or below the read mark is not unread.
const createMessageQuery = `
	WITH ch AS (
		INSERT INTO channels (sdk_app_id, channel, last_seq) VALUES ($1, $2, 1)
		ON CONFLICT (sdk_app_id, channel) DO UPDATE SET last_seq = channels.last_seq + 1
		RETURNING last_seq
	), msg AS (
		INSERT INTO messages (sdk_app_id, id, client_msg_id, type, from_user_id, to_user_id, group_id, channel,
			seq, time, elements, at_user_ids, at_all, priority, push_info, cloud_custom_data, push_ignore_dnd)
		SELECT $1, $3, $4, $5, $6, $7, $8, $2, ch.last_seq, $9, $10, $11, $12, $13, $14, $15, $20 FROM ch
		RETURNING seq
	), seqs AS (
		INSERT INTO inboxes (sdk_app_id, user_id, last_seq)
		SELECT $1, u, 1 FROM msg, unnest($16::text[]) AS u ORDER BY u
		ON CONFLICT (sdk_app_id, user_id) DO UPDATE SET last_seq = inboxes.last_seq + 1
		RETURNING user_id, last_seq
	), entries AS (
		INSERT INTO inbox_entries (sdk_app_id, user_id, inbox_seq, msg_id)
		SELECT $1, user_id, last_seq, $3 FROM seqs
		RETURNING user_id, inbox_seq
	), convs AS (
		INSERT INTO conversations (sdk_app_id, user_id, conv_id, type, peer_id, group_id, channel,
			last_msg_id, last_seq, read_seq, unread, updated_at)
		SELECT $1, d.user_id, d.conv_id, $5, d.peer_id, $8, $2, $3, msg.seq, msg.seq - 1, d.unread, $9
		FROM msg, unnest($16::text[], $17::text[], $18::text[], $19::int[]) AS d (user_id, conv_id, peer_id, unread)
		ORDER BY d.user_id
		ON CONFLICT (sdk_app_id, user_id, conv_id) DO UPDATE
		SET last_msg_id = CASE WHEN excluded.last_seq > conversations.last_seq THEN excluded.last_msg_id ELSE conversations.last_msg_id END,
			last_seq = greatest(conversations.last_seq, excluded.last_seq),
			unread = conversations.unread + CASE WHEN excluded.last_seq > conversations.read_seq THEN excluded.unread ELSE 0 END,
			updated_at = greatest(conversations.updated_at, excluded.updated_at)
	)
	SELECT msg.seq, entries.user_id, entries.inbox_seq FROM msg LEFT JOIN entries ON true`

// nullList stores an empty list as NULL.
func nullList(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

// validateMessage checks the fields CreateMessage keys on.
func validateMessage(m *store.Message) error {
	switch {
	case m.Type == store.TypeC2C && (m.From == "" || m.To == ""):
		return errors.New("c2c message needs From and To")
	case m.Type == store.TypeGroup && m.GroupID == "":
		return errors.New("group message needs GroupID")
	case m.Type != store.TypeC2C && m.Type != store.TypeGroup:
		return fmt.Errorf("unknown message type %q", m.Type)
	}
	return nil
}

// FindMessageByID returns a message by its server ID, or store.ErrNotFound.
func (db *DB) FindMessageByID(ctx context.Context, sdkAppID int64, id string) (*store.Message, error) {
	m, err := scanMessage(db.pool.QueryRow(ctx, `
		SELECT `+messageColumns+` FROM messages m WHERE sdk_app_id = $1 AND id = $2`, sdkAppID, id))
	if err != nil {
		return nil, fmt.Errorf("find message: %w", notFound(err))
	}
	return m, nil
}

// FindMessageByClientID returns the message sender from sent with clientMsgID, or
// store.ErrNotFound.
func (db *DB) FindMessageByClientID(ctx context.Context, sdkAppID int64, from, clientMsgID string) (*store.Message, error) {
	m, err := scanMessage(db.pool.QueryRow(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE sdk_app_id = $1 AND from_user_id = $2 AND client_msg_id = $3`, sdkAppID, from, clientMsgID))
	if err != nil {
		return nil, fmt.Errorf("find message by client id: %w", notFound(err))
	}
	return m, nil
}

// FindMessages returns messages of one channel, newest first.
func (db *DB) FindMessages(ctx context.Context, f store.MessageFilter) ([]*store.Message, error) {
	before := f.BeforeSeq
	if before <= 0 {
		before = math.MaxInt64
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.pool.Query(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE sdk_app_id = $1 AND channel = $2 AND seq > $3 AND seq < $4
		ORDER BY seq DESC
		LIMIT $5`, f.SDKAppID, f.Channel, f.AfterSeq, before, limit)
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	msgs, err := collect(rows, func(row scanner) (*store.Message, error) { return scanMessage(row) })
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	return msgs, nil
}

// FindInbox returns the entries of a user's inbox after the given inbox sequence,
// oldest first, at most limit (<= 0 means 100).
func (db *DB) FindInbox(ctx context.Context, sdkAppID int64, userID string, after int64, limit int) ([]*store.InboxEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.pool.Query(ctx, `
		SELECT e.inbox_seq, `+messageColumns+`
		FROM inbox_entries e
		JOIN messages m ON m.sdk_app_id = e.sdk_app_id AND m.id = e.msg_id
		WHERE e.sdk_app_id = $1 AND e.user_id = $2 AND e.inbox_seq > $3
		ORDER BY e.inbox_seq
		LIMIT $4`, sdkAppID, userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("find inbox: %w", err)
	}
	es, err := collect(rows, func(row scanner) (*store.InboxEntry, error) {
		var e store.InboxEntry
		var err error
		e.Message, err = scanMessage(row, &e.InboxSeq)
		return &e, err
	})
	if err != nil {
		return nil, fmt.Errorf("find inbox: %w", err)
	}
	return es, nil
}

// DeleteMessagesBefore removes the app's messages older than t, with their inbox
// entries, and returns how many messages went. Conversations keep their sequence
// numbers; one whose last message went has a nil LastMessage.
func (db *DB) DeleteMessagesBefore(ctx context.Context, sdkAppID int64, t time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			DELETE FROM inbox_entries
			WHERE sdk_app_id = $1 AND msg_id IN (SELECT id FROM messages WHERE sdk_app_id = $1 AND time < $2)`,
			sdkAppID, t.UnixMilli())
		if err != nil {
			return fmt.Errorf("delete inbox entries: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM messages WHERE sdk_app_id = $1 AND time < $2`, sdkAppID, t.UnixMilli())
		if err != nil {
			return fmt.Errorf("delete messages: %w", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete messages before: %w", err)
	}
	return int(n), nil
}

// messageColumns are the columns scanMessage reads, from a table aliased m. Read
// through a LEFT JOIN, every one of them may be NULL.
const messageColumns = `m.sdk_app_id, m.id, m.client_msg_id, m.type, m.from_user_id, m.to_user_id, m.group_id,
	m.seq, m.time, m.elements, m.at_user_ids, m.at_all, m.priority, m.push_info, m.cloud_custom_data`

// scanMessage scans messageColumns, after the destinations in pre. It returns a nil
// message when the columns are NULL (no message in a LEFT JOIN).
func scanMessage(row scanner, pre ...any) (*store.Message, error) {
	var sdkAppID, seq, at *int64
	var id, clientMsgID, typ, from, to, groupID, elements, priority, pushInfo, cloudCustomData *string
	var atAll *bool
	var atUserIDs []string
	dest := append(pre, &sdkAppID, &id, &clientMsgID, &typ, &from, &to, &groupID,
		&seq, &at, &elements, &atUserIDs, &atAll, &priority, &pushInfo, &cloudCustomData)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if id == nil {
		return nil, nil
	}
	m := &store.Message{SDKAppID: *sdkAppID, ID: *id, Type: store.ConvType(*typ), From: *from, To: *to,
		GroupID: *groupID, Seq: *seq, Time: fromMS(*at), AtUserIDs: atUserIDs, AtAll: *atAll, Priority: *priority,
		CloudCustomData: *cloudCustomData}
	if clientMsgID != nil {
		m.ClientMsgID = *clientMsgID
	}
	if elements != nil {
		m.Elements = json.RawMessage(*elements)
	}
	if pushInfo != nil {
		m.PushInfo = json.RawMessage(*pushInfo)
	}
	return m, nil
}
