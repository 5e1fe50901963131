package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateMessage stores m, appends it to the inbox of each delivery's user and updates
// their conversations, in one transaction. It sets m.Seq, each ds[i].InboxSeq, and
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

	users, convs := copiesOf(m, ds)
	var seq int64
	inboxSeqs := make(map[string]int64, len(users))
	// Concurrent sends share a transaction (group commit).
	err := db.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if seq, err = db.insertMessage(ctx, tx, m, id, at, channel); err != nil {
			return err
		}
		return db.writeCopies(ctx, tx, m.SDKAppID, m.Type, m.GroupID, channel, id, seq, at, users, convs, inboxSeqs)
	})
	if err != nil {
		return fmt.Errorf("create message: %w", err)
	}
	m.ID, m.Time, m.Seq = id, at, seq
	for i := range ds {
		ds[i].InboxSeq = inboxSeqs[ds[i].UserID]
	}
	return nil
}

// convRow is one user's conversation update, a row of upsertConversationsQueries.
type convRow struct {
	User   string
	Conv   string
	Peer   string
	Unread int
}

// copiesOf returns the users m is stored for, each once as its first listing in ds
// says, and their conversation rows.
func copiesOf(m *store.Message, ds []store.Delivery) ([]string, []convRow) {
	var users []string
	var convRows []convRow
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		if seen[d.UserID] {
			continue
		}
		seen[d.UserID] = true
		r := convRow{User: d.UserID, Conv: m.ConversationID(d.UserID)}
		if m.Type == store.TypeC2C {
			r.Peer = m.To
			if d.UserID == m.To {
				r.Peer = m.From
			}
		}
		if d.Unread {
			r.Unread = 1
		}
		users, convRows = append(users, d.UserID), append(convRows, r)
	}
	return users, convRows
}

// insertMessage takes the next sequence number of the channel and stores m under it.
func (db *DB) insertMessage(ctx context.Context, tx *sql.Tx, m *store.Message, id string, at time.Time, channel string) (int64, error) {
	var seq int64
	err := db.writes.txQueryRow(ctx, tx, nextChannelSeqQuery, m.SDKAppID, channel).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("next seq: %w", err)
	}
	atUserIDs, err := json.Marshal(m.AtUserIDs)
	if err != nil {
		return 0, err
	} else if len(m.AtUserIDs) == 0 {
		atUserIDs = nil
	}
	_, err = db.writes.txExec(ctx, tx, insertMessageQuery,
		m.SDKAppID, id, nullString(m.ClientMsgID), string(m.Type), m.From, m.To, m.GroupID, channel,
		seq, ms(at), nullBytes(m.Elements), nullBytes(atUserIDs), m.AtAll, m.Priority, nullBytes(m.PushInfo),
		m.CloudCustomData, m.PushIgnoreDND)
	if err != nil {
		return 0, fmt.Errorf("insert message: %w", err)
	}
	return seq, nil
}

// writeCopies appends message id (seq, at) to the inbox of each of users, putting
// their inbox sequence numbers in inboxSeqs, and updates their conversations (convs,
// from copiesOf).
func (db *DB) writeCopies(ctx context.Context, tx *sql.Tx, sdkAppID int64, typ store.ConvType, groupID, channel, id string,
	seq int64, at time.Time, users []string, convs []convRow, inboxSeqs map[string]int64) error {
	if len(users) == 0 {
		return nil
	}
	if err := db.appendToInboxes(ctx, tx, sdkAppID, id, users, inboxSeqs); err != nil {
		return err
	}
	args := make([]any, 0, 8+4*min(len(convs), maxChunkRows))
	err := chunks(len(convs), func(i, k int) error {
		args = append(args[:0], sdkAppID, string(typ), groupID, channel, id, seq, seq, ms(at))
		for _, c := range convs[i : i+k] {
			args = append(args, c.User, c.Conv, c.Peer, c.Unread)
		}
		_, err := db.writes.txExec(ctx, tx, upsertConversationsQueries[k], args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("upsert conversations: %w", err)
	}
	return nil
}

// appendToInboxes appends message id to the inbox of each of users (each named once),
// putting their inbox numbers in inboxSeqs. The users are bound as VALUES lists, not
// one JSON array SQLite parses again for every column.
func (db *DB) appendToInboxes(ctx context.Context, tx *sql.Tx, sdkAppID int64, id string, users []string, inboxSeqs map[string]int64) error {
	args := make([]any, 0, 2+2*min(len(users), maxChunkRows))
	return chunks(len(users), func(i, k int) error {
		args = append(args[:0], sdkAppID)
		for _, u := range users[i : i+k] {
			args = append(args, u)
		}
		rows, err := db.writes.txQuery(ctx, tx, nextInboxSeqsQueries[k], args...)
		if err != nil {
			return fmt.Errorf("next inbox seqs: %w", err)
		}
		defer rows.Close()
		args = append(args[:0], sdkAppID, id)
		for rows.Next() {
			var u string
			var inboxSeq int64
			if err := rows.Scan(&u, &inboxSeq); err != nil {
				return fmt.Errorf("next inbox seqs: %w", err)
			}
			inboxSeqs[u] = inboxSeq
			args = append(args, u, inboxSeq)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("next inbox seqs: %w", err)
		} else if len(args) != 2+2*k {
			return fmt.Errorf("next inbox seqs: %d for %d users", (len(args)-2)/2, k)
		}
		if _, err := db.writes.txExec(ctx, tx, insertInboxEntriesQueries[k], args...); err != nil {
			return fmt.Errorf("insert inbox entries: %w", err)
		}
		return nil
	})
}

// The statements of CreateMessage, prepared at Open.
const (
	nextChannelSeqQuery = `
		INSERT INTO channels (sdk_app_id, channel, last_seq) VALUES (?, ?, 1)
		ON CONFLICT (sdk_app_id, channel) DO UPDATE SET last_seq = last_seq + 1
		RETURNING last_seq`
	insertMessageQuery = `
		INSERT INTO messages (sdk_app_id, id, client_msg_id, type, from_user_id, to_user_id, group_id, channel,
			seq, time, elements, at_user_ids, at_all, priority, push_info, cloud_custom_data, push_ignore_dnd)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// nextInboxSeqsQueries take the next inbox number of rows users (app, then one user a
// row), returning (user, number).
var nextInboxSeqsQueries = bySize(func(rows int) string {
	return `INSERT INTO inboxes (sdk_app_id, user_id, last_seq)
		SELECT ?, column1, 1 FROM (VALUES ` + valuesList(rows, 1) + `) WHERE true
		ON CONFLICT (sdk_app_id, user_id) DO UPDATE SET last_seq = last_seq + 1
		RETURNING user_id, last_seq`
})

// insertInboxEntriesQueries store one message (app, message ID) in rows inboxes
// (user, inbox number).
var insertInboxEntriesQueries = bySize(func(rows int) string {
	return `INSERT INTO inbox_entries (sdk_app_id, user_id, inbox_seq, msg_id)
		SELECT ?1, column1, column2, ?2 FROM (VALUES ` + valuesList(rows, 2) + `)`
})

// messageQueries are the VALUES-list statements of CreateMessage, prepared at Open.
var messageQueries = slices.Concat(slices.Collect(maps.Values(nextInboxSeqsQueries)),
	slices.Collect(maps.Values(insertInboxEntriesQueries)), slices.Collect(maps.Values(upsertConversationsQueries)))

// upsertConversationsQueries store rows of (user, conv, peer, unread) for one message:
// a new conversation starts read up to the message before its first one (the user
// never saw what came earlier). A group's fan-out can store a member's copy of an older
// message after a newer one (the member's own, sent meanwhile): the conversation keeps
// its newest message, and a copy at or below the read mark is not unread.
var upsertConversationsQueries = bySize(func(rows int) string {
	return `INSERT INTO conversations (sdk_app_id, user_id, conv_id, type, peer_id, group_id, channel,
			last_msg_id, last_seq, read_seq, unread, updated_at)
		SELECT ?, d.column1, d.column2, ?, d.column3, ?, ?, ?, ?, ? - 1, d.column4, ?
		FROM (VALUES ` + valuesList(rows, 4) + `) AS d WHERE true
		ON CONFLICT (sdk_app_id, user_id, conv_id) DO UPDATE
		SET last_msg_id = CASE WHEN excluded.last_seq > last_seq THEN excluded.last_msg_id ELSE last_msg_id END,
			last_seq = max(last_seq, excluded.last_seq),
			unread = unread + CASE WHEN excluded.last_seq > read_seq THEN excluded.unread ELSE 0 END,
			updated_at = max(updated_at, excluded.updated_at)`
})

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
	m, err := scanMessage(db.reads.queryRow(ctx, `
		SELECT `+messageColumns+` FROM messages m WHERE sdk_app_id = ? AND id = ?`, sdkAppID, id))
	if err != nil {
		return nil, fmt.Errorf("find message: %w", notFound(err))
	}
	return m, nil
}

// FindMessageByClientID returns the message sender from sent with clientMsgID, or
// store.ErrNotFound.
func (db *DB) FindMessageByClientID(ctx context.Context, sdkAppID int64, from, clientMsgID string) (*store.Message, error) {
	m, err := scanMessage(db.reads.queryRow(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE sdk_app_id = ? AND from_user_id = ? AND client_msg_id = ?`, sdkAppID, from, clientMsgID))
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
	rows, err := db.reads.query(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE sdk_app_id = ? AND channel = ? AND seq > ? AND seq < ?
		ORDER BY seq DESC
		LIMIT ?`, f.SDKAppID, f.Channel, f.AfterSeq, before, limit)
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	defer rows.Close()
	var msgs []*store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("find messages: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
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
	rows, err := db.reads.query(ctx, `
		SELECT e.inbox_seq, `+messageColumns+`
		FROM inbox_entries e
		JOIN messages m ON m.sdk_app_id = e.sdk_app_id AND m.id = e.msg_id
		WHERE e.sdk_app_id = ? AND e.user_id = ? AND e.inbox_seq > ?
		ORDER BY e.inbox_seq
		LIMIT ?`, sdkAppID, userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("find inbox: %w", err)
	}
	defer rows.Close()
	var es []*store.InboxEntry
	for rows.Next() {
		var e store.InboxEntry
		var err error
		e.Message, err = scanMessage(rows, &e.InboxSeq)
		if err != nil {
			return nil, fmt.Errorf("find inbox: %w", err)
		}
		es = append(es, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find inbox: %w", err)
	}
	return es, nil
}

// DeleteMessagesBefore removes the app's messages older than t, with their inbox
// entries, and returns how many messages went. Conversations keep their sequence
// numbers; one whose last message went has a nil LastMessage.
func (db *DB) DeleteMessagesBefore(ctx context.Context, sdkAppID int64, t time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			DELETE FROM inbox_entries
			WHERE sdk_app_id = ? AND msg_id IN (SELECT id FROM messages WHERE sdk_app_id = ? AND time < ?)`,
			sdkAppID, sdkAppID, t.UnixMilli())
		if err != nil {
			return fmt.Errorf("delete inbox entries: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE sdk_app_id = ? AND time < ?`, sdkAppID, t.UnixMilli())
		if err != nil {
			return fmt.Errorf("delete messages: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete messages before: %w", err)
	}
	return int(n), nil
}

// messageColumns are the columns scanMessage reads, from a table aliased m.
const messageColumns = `m.sdk_app_id, m.id, m.client_msg_id, m.type, m.from_user_id, m.to_user_id, m.group_id,
	m.seq, m.time, m.elements, m.at_user_ids, m.at_all, m.priority, m.push_info, m.cloud_custom_data`

// scanMessage scans messageColumns, after the destinations in pre.
func scanMessage(row scanner, pre ...any) (*store.Message, error) {
	var m store.Message
	var typ string
	var clientMsgID, elements, atUserIDs, pushInfo sql.NullString
	var at int64
	dest := append(pre, &m.SDKAppID, &m.ID, &clientMsgID, &typ, &m.From, &m.To, &m.GroupID,
		&m.Seq, &at, &elements, &atUserIDs, &m.AtAll, &m.Priority, &pushInfo, &m.CloudCustomData)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	m.ClientMsgID = clientMsgID.String
	m.Type = store.ConvType(typ)
	m.Time = fromMS(at)
	if elements.Valid {
		m.Elements = json.RawMessage(elements.String)
	}
	if pushInfo.Valid {
		m.PushInfo = json.RawMessage(pushInfo.String)
	}
	if atUserIDs.Valid {
		if err := json.Unmarshal([]byte(atUserIDs.String), &m.AtUserIDs); err != nil {
			return nil, fmt.Errorf("at_user_ids: %w", err)
		}
	}
	return &m, nil
}
