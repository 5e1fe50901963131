package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// CreateGroupMessage stores group message m, the sender's copy and the copies of the
// group's first inline members in one transaction, and records a fan-out for the
// members left (see store.Store). The cost of the call is bounded by inline, not by
// the group's size.
func (db *DB) CreateGroupMessage(ctx context.Context, m *store.Message, sender *store.Delivery, inline int) ([]store.Delivery, bool, error) {
	if m.Type != store.TypeGroup {
		return nil, false, fmt.Errorf("create group message: type %q, want %q", m.Type, store.TypeGroup)
	}
	if err := validateMessage(m); err != nil {
		return nil, false, fmt.Errorf("create group message: %w", err)
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

	var seq int64
	var ds []store.Delivery
	var pending bool
	inboxSeqs := map[string]int64{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// The message alone first: the channel's row lock, held to commit, orders this
		// send after any other of the group, so the pending check below is exact.
		err := tx.QueryRow(ctx, createMessageQuery,
			m.SDKAppID, channel, id, nullString(m.ClientMsgID), string(m.Type), m.From, m.To, m.GroupID,
			ms(at), nullBytes(m.Elements), nullList(m.AtUserIDs), m.AtAll, m.Priority, nullBytes(m.PushInfo),
			m.CloudCustomData, []string{}, []string{}, []string{}, []int32{}, m.PushIgnoreDND).Scan(&seq, new(*string), new(*int64))
		if err != nil {
			return err
		}
		ds = ds[:0]
		if sender != nil {
			ds = append(ds, store.Delivery{UserID: sender.UserID, Unread: sender.Unread})
		}
		var earlier bool
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM fanouts WHERE sdk_app_id = $1 AND group_id = $2)`,
			m.SDKAppID, m.GroupID).Scan(&earlier)
		if err != nil {
			return fmt.Errorf("pending fan-out: %w", err)
		}
		after := ""
		if !earlier {
			members, last, more, err := fanOutMembers(ctx, tx, m.SDKAppID, m.GroupID, m.From, "", inline)
			if err != nil {
				return err
			}
			ds = append(ds, members...)
			after, pending = last, more
		} else {
			pending = true
		}
		if err := writeGroupCopies(ctx, tx, m.SDKAppID, m.GroupID, id, seq, at, ds, inboxSeqs); err != nil {
			return err
		}
		if pending {
			_, err = tx.Exec(ctx, `
				INSERT INTO fanouts (sdk_app_id, msg_id, group_id, from_user_id, after_user_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, m.SDKAppID, id, m.GroupID, m.From, after, ms(db.Now()))
			if err != nil {
				return fmt.Errorf("insert fan-out: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create group message: %w", formatError(err))
	}
	m.ID, m.Time, m.Seq = id, at, seq
	for i := range ds {
		ds[i].InboxSeq = inboxSeqs[ds[i].UserID]
	}
	return ds, pending, nil
}

// fanOutMembers reads up to limit members of the group after user ID after and
// returns those who get a copy (not from, not NotReceive), each unread, the last user
// ID read and whether more members may follow.
func fanOutMembers(ctx context.Context, tx pgx.Tx, sdkAppID int64, groupID, from, after string, limit int) ([]store.Delivery, string, bool, error) {
	if limit <= 0 {
		return nil, after, true, nil
	}
	rows, err := tx.Query(ctx, `
		SELECT user_id, recv_opt FROM group_members
		WHERE sdk_app_id = $1 AND group_id = $2 AND user_id > $3
		ORDER BY user_id
		LIMIT $4`, sdkAppID, groupID, after, limit)
	if err != nil {
		return nil, "", false, fmt.Errorf("find members: %w", err)
	}
	defer rows.Close()
	var ds []store.Delivery
	n := 0
	for rows.Next() {
		var u string
		var opt int
		if err := rows.Scan(&u, &opt); err != nil {
			return nil, "", false, fmt.Errorf("find members: %w", err)
		}
		n++
		after = u
		if u != from && store.RecvOpt(opt) != store.NotReceive {
			ds = append(ds, store.Delivery{UserID: u, Unread: true})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", false, fmt.Errorf("find members: %w", err)
	}
	return ds, after, n == limit, nil
}

// writeGroupCopies appends group message id (seq, at) to the inbox of each delivery's
// user, in user-ID order (the lock order of every send), putting their inbox sequence
// numbers in inboxSeqs, and updates their conversations.
func writeGroupCopies(ctx context.Context, tx pgx.Tx, sdkAppID int64, groupID, id string, seq int64, at time.Time,
	ds []store.Delivery, inboxSeqs map[string]int64) error {
	unread := make(map[string]int32, len(ds))
	for _, d := range ds {
		if _, ok := unread[d.UserID]; !ok {
			unread[d.UserID] = 0
			if d.Unread {
				unread[d.UserID] = 1
			}
		}
	}
	if len(unread) == 0 {
		return nil
	}
	users := make([]string, 0, len(unread))
	for u := range unread {
		users = append(users, u)
	}
	sort.Strings(users)
	unreads := make([]int32, len(users))
	for i, u := range users {
		unreads[i] = unread[u]
	}
	rows, err := tx.Query(ctx, createGroupCopiesQuery,
		sdkAppID, users, id, groupID, store.GroupChannel(groupID), seq, ms(at), "group_"+groupID, unreads)
	if err != nil {
		return fmt.Errorf("store copies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var s int64
		if err := rows.Scan(&u, &s); err != nil {
			return fmt.Errorf("store copies: %w", err)
		}
		inboxSeqs[u] = s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store copies: %w", err)
	}
	return nil
}

// createGroupCopiesQuery is createMessageQuery's per-user part for a stored group
// message, with the same lock order and conversation rules.
const createGroupCopiesQuery = `
	WITH seqs AS (
		INSERT INTO inboxes (sdk_app_id, user_id, last_seq)
		SELECT $1, u, 1 FROM unnest($2::text[]) AS u ORDER BY u
		ON CONFLICT (sdk_app_id, user_id) DO UPDATE SET last_seq = inboxes.last_seq + 1
		RETURNING user_id, last_seq
	), entries AS (
		INSERT INTO inbox_entries (sdk_app_id, user_id, inbox_seq, msg_id)
		SELECT $1, user_id, last_seq, $3 FROM seqs
		RETURNING user_id, inbox_seq
	), convs AS (
		INSERT INTO conversations (sdk_app_id, user_id, conv_id, type, peer_id, group_id, channel,
			last_msg_id, last_seq, read_seq, unread, updated_at)
		SELECT $1, d.user_id, $8, 'group', '', $4, $5, $3, $6::bigint, $6::bigint - 1, d.unread, $7
		FROM unnest($2::text[], $9::int[]) AS d (user_id, unread)
		ORDER BY d.user_id
		ON CONFLICT (sdk_app_id, user_id, conv_id) DO UPDATE
		SET last_msg_id = CASE WHEN excluded.last_seq > conversations.last_seq THEN excluded.last_msg_id ELSE conversations.last_msg_id END,
			last_seq = greatest(conversations.last_seq, excluded.last_seq),
			unread = conversations.unread + CASE WHEN excluded.last_seq > conversations.read_seq THEN excluded.unread ELSE 0 END,
			updated_at = greatest(conversations.updated_at, excluded.updated_at)
	)
	SELECT user_id, inbox_seq FROM entries`

// FindFanOuts returns the oldest pending fan-out of each group, oldest first.
func (db *DB) FindFanOuts(ctx context.Context, limit int) ([]*store.FanOut, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.pool.Query(ctx, `
		SELECT DISTINCT ON (sdk_app_id, group_id) id, sdk_app_id, msg_id, group_id, from_user_id, after_user_id, created_at
		FROM fanouts
		ORDER BY sdk_app_id, group_id, id`)
	if err != nil {
		return nil, fmt.Errorf("find fan-outs: %w", err)
	}
	defer rows.Close()
	type row struct {
		id int64
		f  *store.FanOut
	}
	var rs []row
	for rows.Next() {
		var f store.FanOut
		var id, created int64
		if err := rows.Scan(&id, &f.SDKAppID, &f.MessageID, &f.GroupID, &f.From, &f.After, &created); err != nil {
			return nil, fmt.Errorf("find fan-outs: %w", err)
		}
		f.CreatedAt = fromMS(created)
		rs = append(rs, row{id, &f})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find fan-outs: %w", err)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].id < rs[j].id })
	fs := make([]*store.FanOut, 0, min(len(rs), limit))
	for _, r := range rs[:min(len(rs), limit)] {
		fs = append(fs, r.f)
	}
	return fs, nil
}

// FanOutMessage stores the next limit members' copies of a pending fan-out and
// advances it, in one transaction. The fan-out's row lock (SKIP LOCKED) keeps two
// nodes from working on one message at once.
func (db *DB) FanOutMessage(ctx context.Context, sdkAppID int64, messageID string, limit int) ([]store.Delivery, bool, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ds []store.Delivery
	var more bool
	inboxSeqs := map[string]int64{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var f store.FanOut
		err := tx.QueryRow(ctx, `
			SELECT group_id, from_user_id, after_user_id FROM fanouts
			WHERE sdk_app_id = $1 AND msg_id = $2
			FOR UPDATE SKIP LOCKED`, sdkAppID, messageID).Scan(&f.GroupID, &f.From, &f.After)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // done, or another node has it
		} else if err != nil {
			return fmt.Errorf("find fan-out: %w", err)
		}
		var seq, at int64
		err = tx.QueryRow(ctx, `SELECT seq, time FROM messages WHERE sdk_app_id = $1 AND id = $2`,
			sdkAppID, messageID).Scan(&seq, &at)
		if errors.Is(err, pgx.ErrNoRows) {
			// The message went (retention) before its members got it: nothing to store.
			_, err = tx.Exec(ctx, `DELETE FROM fanouts WHERE sdk_app_id = $1 AND msg_id = $2`, sdkAppID, messageID)
			return err
		} else if err != nil {
			return fmt.Errorf("find message: %w", err)
		}
		var last string
		ds, last, more, err = fanOutMembers(ctx, tx, sdkAppID, f.GroupID, f.From, f.After, limit)
		if err != nil {
			return err
		}
		if err := writeGroupCopies(ctx, tx, sdkAppID, f.GroupID, messageID, seq, fromMS(at), ds, inboxSeqs); err != nil {
			return err
		}
		if more {
			_, err = tx.Exec(ctx, `UPDATE fanouts SET after_user_id = $1 WHERE sdk_app_id = $2 AND msg_id = $3`,
				last, sdkAppID, messageID)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM fanouts WHERE sdk_app_id = $1 AND msg_id = $2`, sdkAppID, messageID)
		}
		if err != nil {
			return fmt.Errorf("advance fan-out: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("fan out message: %w", err)
	}
	for i := range ds {
		ds[i].InboxSeq = inboxSeqs[ds[i].UserID]
	}
	return ds, more, nil
}
