package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// FindConversations returns a user's conversations, the most recently updated first.
func (db *DB) FindConversations(ctx context.Context, sdkAppID int64, userID string) ([]*store.Conversation, error) {
	rows, err := db.reads.query(ctx, `
		SELECT `+conversationColumns+`
		FROM conversations c
		LEFT JOIN messages m ON m.sdk_app_id = c.sdk_app_id AND m.id = c.last_msg_id
		WHERE c.sdk_app_id = ? AND c.user_id = ?
		ORDER BY c.updated_at DESC, c.conv_id`, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	defer rows.Close()
	var cs []*store.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("find conversations: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	return cs, nil
}

// FindConversation returns one conversation of a user, or store.ErrNotFound.
func (db *DB) FindConversation(ctx context.Context, sdkAppID int64, userID, convID string) (*store.Conversation, error) {
	c, err := scanConversation(db.reads.queryRow(ctx, findConversationQuery, sdkAppID, userID, convID))
	if err != nil {
		return nil, fmt.Errorf("find conversation: %w", notFound(err))
	}
	return c, nil
}

// findConversationQuery reads one conversation; it is prepared at Open, for
// MarkConversationRead.
const findConversationQuery = `
	SELECT ` + conversationColumns + `
	FROM conversations c
	LEFT JOIN messages m ON m.sdk_app_id = c.sdk_app_id AND m.id = c.last_msg_id
	WHERE c.sdk_app_id = ? AND c.user_id = ? AND c.conv_id = ?`

// MarkConversationRead moves the user's read mark in convID up to seq (never back, and
// never past the conversation's last message) and recounts unread as the channel's
// messages after the mark not sent by the user. It returns the conversation
// afterwards, or store.ErrNotFound.
func (db *DB) MarkConversationRead(ctx context.Context, sdkAppID int64, userID, convID string, seq int64) (*store.Conversation, error) {
	var c *store.Conversation
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var channel string
		var readSeq, lastSeq int64
		err := db.writes.txQueryRow(ctx, tx, readMarksQuery, sdkAppID, userID, convID).Scan(&channel, &readSeq, &lastSeq)
		if err != nil {
			return notFound(err)
		}
		readSeq = max(readSeq, min(seq, lastSeq))
		_, err = db.writes.txExec(ctx, tx, markReadQuery,
			readSeq, sdkAppID, channel, readSeq, lastSeq, userID, sdkAppID, userID, convID)
		if err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		c, err = scanConversation(db.writes.txQueryRow(ctx, tx, findConversationQuery, sdkAppID, userID, convID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mark conversation read: %w", err)
	}
	return c, nil
}

// The statements of MarkConversationRead, prepared at Open.
const (
	readMarksQuery = `
		SELECT channel, read_seq, last_seq FROM conversations
		WHERE sdk_app_id = ? AND user_id = ? AND conv_id = ?`
	// Unread counts up to the conversation's last message only: a group message whose
	// fan-out has not reached the user yet is not theirs to count.
	markReadQuery = `
		UPDATE conversations
		SET read_seq = ?,
			unread = (
				SELECT count(*) FROM messages
				WHERE sdk_app_id = ? AND channel = ? AND seq > ? AND seq <= ? AND from_user_id <> ?
			)
		WHERE sdk_app_id = ? AND user_id = ? AND conv_id = ?`
)

// conversationColumns are the columns scanConversation reads: a conversation c and its
// last message m, if it still exists.
const conversationColumns = `c.sdk_app_id, c.user_id, c.conv_id, c.type, c.peer_id, c.group_id,
	c.last_seq, c.read_seq, c.unread, c.updated_at, m.id IS NOT NULL, ` + messageColumnsNullable

// messageColumnsNullable are messageColumns read through a LEFT JOIN: every column may
// be NULL.
const messageColumnsNullable = `coalesce(m.sdk_app_id, 0), coalesce(m.id, ''), m.client_msg_id,
	coalesce(m.type, ''), coalesce(m.from_user_id, ''), coalesce(m.to_user_id, ''), coalesce(m.group_id, ''),
	coalesce(m.seq, 0), coalesce(m.time, 0), m.elements, m.at_user_ids, coalesce(m.at_all, 0),
	coalesce(m.priority, ''), m.push_info, coalesce(m.cloud_custom_data, '')`

func scanConversation(row scanner) (*store.Conversation, error) {
	var c store.Conversation
	var typ string
	var updatedAt int64
	var hasLast bool
	m, err := scanMessage(row, &c.SDKAppID, &c.UserID, &c.ID, &typ, &c.PeerID, &c.GroupID,
		&c.LastSeq, &c.ReadSeq, &c.Unread, &updatedAt, &hasLast)
	if err != nil {
		return nil, err
	}
	c.Type = store.ConvType(typ)
	c.UpdatedAt = fromMS(updatedAt)
	if hasLast {
		c.LastMessage = m
	}
	return &c, nil
}
