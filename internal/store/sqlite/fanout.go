package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if seq, err = db.insertMessage(ctx, tx, m, id, at, channel); err != nil {
			return err
		}
		ds = ds[:0]
		if sender != nil {
			ds = append(ds, store.Delivery{UserID: sender.UserID, Unread: sender.Unread})
		}
		var earlier bool
		if err := db.writes.txQueryRow(ctx, tx, pendingFanOutQuery, m.SDKAppID, m.GroupID).Scan(&earlier); err != nil {
			return fmt.Errorf("pending fan-out: %w", err)
		}
		after := ""
		if !earlier {
			members, last, more, err := db.fanOutMembers(ctx, tx, m.SDKAppID, m.GroupID, m.From, "", inline)
			if err != nil {
				return err
			}
			ds = append(ds, members...)
			after, pending = last, more
		} else {
			pending = true
		}
		users, convs := copiesOf(m, ds)
		if err := db.writeCopies(ctx, tx, m.SDKAppID, m.Type, m.GroupID, channel, id, seq, at, users, convs, inboxSeqs); err != nil {
			return err
		}
		if pending {
			_, err = db.writes.txExec(ctx, tx, insertFanOutQuery, m.SDKAppID, id, m.GroupID, m.From, after, ms(db.Now()))
			if err != nil {
				return fmt.Errorf("insert fan-out: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create group message: %w", err)
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
func (db *DB) fanOutMembers(ctx context.Context, tx *sql.Tx, sdkAppID int64, groupID, from, after string, limit int) ([]store.Delivery, string, bool, error) {
	if limit <= 0 {
		return nil, after, true, nil
	}
	rows, err := db.writes.txQuery(ctx, tx, fanOutMembersQuery, sdkAppID, groupID, after, limit)
	if err != nil {
		return nil, "", false, fmt.Errorf("find members: %w", err)
	}
	defer rows.Close()
	var ds []store.Delivery
	n := 0
	for rows.Next() {
		var u string
		var opt store.RecvOpt
		if err := rows.Scan(&u, &opt); err != nil {
			return nil, "", false, fmt.Errorf("find members: %w", err)
		}
		n++
		after = u
		if u != from && opt != store.NotReceive {
			ds = append(ds, store.Delivery{UserID: u, Unread: true})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", false, fmt.Errorf("find members: %w", err)
	}
	return ds, after, n == limit, nil
}

// FindFanOuts returns the oldest pending fan-out of each group, oldest first.
func (db *DB) FindFanOuts(ctx context.Context, limit int) ([]*store.FanOut, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.reads.query(ctx, `
		SELECT sdk_app_id, msg_id, group_id, from_user_id, after_user_id, created_at FROM fanouts f
		WHERE id = (SELECT min(id) FROM fanouts g WHERE g.sdk_app_id = f.sdk_app_id AND g.group_id = f.group_id)
		ORDER BY id
		LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("find fan-outs: %w", err)
	}
	defer rows.Close()
	var fs []*store.FanOut
	for rows.Next() {
		var f store.FanOut
		var created int64
		if err := rows.Scan(&f.SDKAppID, &f.MessageID, &f.GroupID, &f.From, &f.After, &created); err != nil {
			return nil, fmt.Errorf("find fan-outs: %w", err)
		}
		f.CreatedAt = fromMS(created)
		fs = append(fs, &f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find fan-outs: %w", err)
	}
	return fs, nil
}

// FanOutMessage stores the next limit members' copies of a pending fan-out and
// advances it, in one transaction on the single writer.
func (db *DB) FanOutMessage(ctx context.Context, sdkAppID int64, messageID string, limit int) ([]store.Delivery, bool, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ds []store.Delivery
	var more bool
	inboxSeqs := map[string]int64{}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var f store.FanOut
		err := db.writes.txQueryRow(ctx, tx, findFanOutQuery, sdkAppID, messageID).Scan(&f.GroupID, &f.From, &f.After)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // done
		} else if err != nil {
			return fmt.Errorf("find fan-out: %w", err)
		}
		var seq, at int64
		err = db.writes.txQueryRow(ctx, tx, fanOutMessageQuery, sdkAppID, messageID).Scan(&seq, &at)
		if errors.Is(err, sql.ErrNoRows) {
			// The message went (retention) before its members got it: nothing to store.
			_, err = db.writes.txExec(ctx, tx, deleteFanOutQuery, sdkAppID, messageID)
			return err
		} else if err != nil {
			return fmt.Errorf("find message: %w", err)
		}
		var last string
		ds, last, more, err = db.fanOutMembers(ctx, tx, sdkAppID, f.GroupID, f.From, f.After, limit)
		if err != nil {
			return err
		}
		m := &store.Message{Type: store.TypeGroup, GroupID: f.GroupID}
		users, convs := copiesOf(m, ds)
		if err := db.writeCopies(ctx, tx, sdkAppID, store.TypeGroup, f.GroupID, m.Channel(), messageID, seq, fromMS(at), users, convs, inboxSeqs); err != nil {
			return err
		}
		if more {
			_, err = db.writes.txExec(ctx, tx, advanceFanOutQuery, last, sdkAppID, messageID)
		} else {
			_, err = db.writes.txExec(ctx, tx, deleteFanOutQuery, sdkAppID, messageID)
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

// The statements of CreateGroupMessage and FanOutMessage, prepared at Open.
const (
	pendingFanOutQuery = `SELECT EXISTS (SELECT 1 FROM fanouts WHERE sdk_app_id = ? AND group_id = ?)`
	fanOutMembersQuery = `
		SELECT user_id, recv_opt FROM group_members
		WHERE sdk_app_id = ? AND group_id = ? AND user_id > ?
		ORDER BY user_id
		LIMIT ?`
	insertFanOutQuery = `
		INSERT INTO fanouts (sdk_app_id, msg_id, group_id, from_user_id, after_user_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	findFanOutQuery    = `SELECT group_id, from_user_id, after_user_id FROM fanouts WHERE sdk_app_id = ? AND msg_id = ?`
	fanOutMessageQuery = `SELECT seq, time FROM messages WHERE sdk_app_id = ? AND id = ?`
	advanceFanOutQuery = `UPDATE fanouts SET after_user_id = ? WHERE sdk_app_id = ? AND msg_id = ?`
	deleteFanOutQuery  = `DELETE FROM fanouts WHERE sdk_app_id = ? AND msg_id = ?`
)
