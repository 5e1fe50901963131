package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// FindConversations returns a user's conversations, the most recently updated first.
func (db *DB) FindConversations(ctx context.Context, sdkAppID int64, userID string) ([]*store.Conversation, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+conversationColumns+`
		FROM conversations c
		LEFT JOIN messages m ON m.sdk_app_id = c.sdk_app_id AND m.id = c.last_msg_id
		WHERE c.sdk_app_id = $1 AND c.user_id = $2
		ORDER BY c.updated_at DESC, c.conv_id`, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	cs, err := collect(rows, scanConversation)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	return cs, nil
}

// FindConversation returns one conversation of a user, or store.ErrNotFound.
func (db *DB) FindConversation(ctx context.Context, sdkAppID int64, userID, convID string) (*store.Conversation, error) {
	c, err := findConversation(ctx, db.pool, sdkAppID, userID, convID)
	if err != nil {
		return nil, fmt.Errorf("find conversation: %w", notFound(err))
	}
	return c, nil
}

func findConversation(ctx context.Context, q queryer, sdkAppID int64, userID, convID string) (*store.Conversation, error) {
	return scanConversation(q.QueryRow(ctx, `
		SELECT `+conversationColumns+`
		FROM conversations c
		LEFT JOIN messages m ON m.sdk_app_id = c.sdk_app_id AND m.id = c.last_msg_id
		WHERE c.sdk_app_id = $1 AND c.user_id = $2 AND c.conv_id = $3`, sdkAppID, userID, convID))
}

// MarkConversationRead moves the user's read mark in convID up to seq (never back, and
// never past the conversation's last message) and recounts unread as the channel's
// messages after the mark not sent by the user. It returns the conversation
// afterwards, or store.ErrNotFound.
func (db *DB) MarkConversationRead(ctx context.Context, sdkAppID int64, userID, convID string, seq int64) (*store.Conversation, error) {
	var c *store.Conversation
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// Locking the conversation first waits for a send in flight to it; the count
		// below, a new statement, then sees that send's message.
		var channel string
		var readSeq, lastSeq int64
		err := tx.QueryRow(ctx, `
			SELECT channel, read_seq, last_seq FROM conversations
			WHERE sdk_app_id = $1 AND user_id = $2 AND conv_id = $3
			FOR UPDATE`, sdkAppID, userID, convID).Scan(&channel, &readSeq, &lastSeq)
		if err != nil {
			return notFound(err)
		}
		readSeq = max(readSeq, min(seq, lastSeq))
		// Up to the conversation's last message only: a group message whose fan-out has
		// not reached the user yet is not theirs to count.
		var unread int
		err = tx.QueryRow(ctx, `
			SELECT count(*) FROM messages
			WHERE sdk_app_id = $1 AND channel = $2 AND seq > $3 AND seq <= $5 AND from_user_id <> $4`,
			sdkAppID, channel, readSeq, userID, lastSeq).Scan(&unread)
		if err != nil {
			return fmt.Errorf("count unread: %w", err)
		}
		_, err = tx.Exec(ctx, `
			UPDATE conversations SET read_seq = $1, unread = $2
			WHERE sdk_app_id = $3 AND user_id = $4 AND conv_id = $5`,
			readSeq, unread, sdkAppID, userID, convID)
		if err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		c, err = findConversation(ctx, tx, sdkAppID, userID, convID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mark conversation read: %w", err)
	}
	return c, nil
}

// conversationColumns are the columns scanConversation reads: a conversation c and its
// last message m, if it still exists.
const conversationColumns = `c.sdk_app_id, c.user_id, c.conv_id, c.type, c.peer_id, c.group_id,
	c.last_seq, c.read_seq, c.unread, c.updated_at, ` + messageColumns

func scanConversation(row scanner) (*store.Conversation, error) {
	var c store.Conversation
	var typ string
	var updatedAt int64
	m, err := scanMessage(row, &c.SDKAppID, &c.UserID, &c.ID, &typ, &c.PeerID, &c.GroupID,
		&c.LastSeq, &c.ReadSeq, &c.Unread, &updatedAt)
	if err != nil {
		return nil, err
	}
	c.Type = store.ConvType(typ)
	c.UpdatedAt = fromMS(updatedAt)
	c.LastMessage = m
	return &c, nil
}
