package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// profileTable names a profile table, its owner table and their shared key columns.
type profileTable struct {
	table, owner string
	keys         []string // the profile's key columns but tag
	ownerKeys    []string // the same columns in the owner table
}

var (
	accountProfiles = profileTable{"account_profiles", "accounts", []string{"user_id"}, []string{"user_id"}}
	groupProfiles   = profileTable{"group_profiles", "groups", []string{"group_id"}, []string{"id"}}
	memberProfiles  = profileTable{"member_profiles", "group_members", []string{"group_id", "user_id"}, []string{"group_id", "user_id"}}
)

// where returns "sdk_app_id = ? AND k1 = ? …" over cols.
func where(cols []string) string {
	s := "sdk_app_id = ?"
	for _, c := range cols {
		s += " AND " + c + " = ?"
	}
	return s
}

// setProfile writes items for the owner keys in one transaction, or store.ErrNotFound.
func (db *DB) setProfile(ctx context.Context, t profileTable, sdkAppID int64, keys []any, items map[string]string) error {
	args := append([]any{sdkAppID}, keys...)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := db.writes.txQueryRow(ctx, tx, `SELECT count(*) FROM `+t.owner+` WHERE `+where(t.ownerKeys), args...).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		cols := "sdk_app_id"
		marks := "?"
		for _, k := range t.keys {
			cols += ", " + k
			marks += ", ?"
		}
		for tag, v := range items {
			var err error
			if v == "" {
				_, err = db.writes.txExec(ctx, tx, `DELETE FROM `+t.table+` WHERE `+where(t.keys)+` AND tag = ?`, append(args, tag)...)
			} else {
				_, err = db.writes.txExec(ctx, tx, `INSERT INTO `+t.table+` (`+cols+`, tag, value) VALUES (`+marks+`, ?, ?)
					ON CONFLICT DO UPDATE SET value = excluded.value`, append(args, tag, v)...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// findProfiles returns the profiles of the rows whose last key column is in ids, the
// other key columns equal to fixed.
func (db *DB) findProfiles(ctx context.Context, t profileTable, sdkAppID int64, fixed []any, ids []string) (map[string]map[string]string, error) {
	last := t.keys[len(t.keys)-1]
	args := append(append([]any{sdkAppID}, fixed...), jsonList(ids))
	rows, err := db.reads.query(ctx, `SELECT `+last+`, tag, value FROM `+t.table+`
		WHERE `+where(t.keys[:len(t.keys)-1])+` AND `+last+` IN (SELECT value FROM json_each(?))`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var id, tag, v string
		if err := rows.Scan(&id, &tag, &v); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][tag] = v
	}
	return out, rows.Err()
}

// SetAccountProfile writes a user's profile tags; store.ErrNotFound if no such account.
func (db *DB) SetAccountProfile(ctx context.Context, sdkAppID int64, userID string, items map[string]string) error {
	if err := db.setProfile(ctx, accountProfiles, sdkAppID, []any{userID}, items); err != nil {
		return fmt.Errorf("set account profile: %w", err)
	}
	return nil
}

// FindAccountProfiles returns the profiles of userIDs that have tags.
func (db *DB) FindAccountProfiles(ctx context.Context, sdkAppID int64, userIDs []string) (map[string]map[string]string, error) {
	p, err := db.findProfiles(ctx, accountProfiles, sdkAppID, nil, userIDs)
	if err != nil {
		return nil, fmt.Errorf("find account profiles: %w", err)
	}
	return p, nil
}

// SetGroupProfile writes a group's profile tags; store.ErrNotFound if no such group.
func (db *DB) SetGroupProfile(ctx context.Context, sdkAppID int64, groupID string, items map[string]string) error {
	if err := db.setProfile(ctx, groupProfiles, sdkAppID, []any{groupID}, items); err != nil {
		return fmt.Errorf("set group profile: %w", err)
	}
	return nil
}

// FindGroupProfile returns a group's profile tags, empty if none.
func (db *DB) FindGroupProfile(ctx context.Context, sdkAppID int64, groupID string) (map[string]string, error) {
	p, err := db.findProfiles(ctx, groupProfiles, sdkAppID, nil, []string{groupID})
	if err != nil {
		return nil, fmt.Errorf("find group profile: %w", err)
	}
	if p[groupID] == nil {
		return map[string]string{}, nil
	}
	return p[groupID], nil
}

// SetMemberProfile writes a member's profile tags; store.ErrNotFound if not a member.
func (db *DB) SetMemberProfile(ctx context.Context, sdkAppID int64, groupID, userID string, items map[string]string) error {
	if err := db.setProfile(ctx, memberProfiles, sdkAppID, []any{groupID, userID}, items); err != nil {
		return fmt.Errorf("set member profile: %w", err)
	}
	return nil
}

// FindMemberProfiles returns the profiles of the members userIDs that have tags.
func (db *DB) FindMemberProfiles(ctx context.Context, sdkAppID int64, groupID string, userIDs []string) (map[string]map[string]string, error) {
	p, err := db.findProfiles(ctx, memberProfiles, sdkAppID, []any{groupID}, userIDs)
	if err != nil {
		return nil, fmt.Errorf("find member profiles: %w", err)
	}
	return p, nil
}

// userTables are the tables DeleteAccount clears of a user, children first.
var userTables = []string{"inbox_entries", "inboxes", "conversations", "c2c_recv_opts", "group_members",
	"user_tags", "user_attrs", "devices", "accounts"}

// DeleteAccount removes an account and what is the user's in one transaction;
// store.ErrNotFound if it does not exist.
func (db *DB) DeleteAccount(ctx context.Context, sdkAppID int64, userID string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range userTables {
			res, err := db.writes.txExec(ctx, tx, `DELETE FROM `+t+` WHERE sdk_app_id = ? AND user_id = ?`, sdkAppID, userID)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			if t == "accounts" {
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n == 0 {
					return store.ErrNotFound
				}
			}
		}
		// Peers' options about this user go too: a new account of the same ID starts clean.
		_, err := db.writes.txExec(ctx, tx, `DELETE FROM c2c_recv_opts WHERE sdk_app_id = ? AND peer_id = ?`, sdkAppID, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}

// RecallMessage marks a message recalled and appends it again to the inboxes of users;
// store.ErrNotFound if there is no such message, store.ErrConflict if it was recalled
// already.
func (db *DB) RecallMessage(ctx context.Context, sdkAppID int64, r *store.Recall, users []string) ([]store.Delivery, error) {
	users = uniq(users)
	ds := make([]store.Delivery, 0, len(users))
	if r.At.IsZero() {
		r.At = db.Now()
	}
	r.At = r.At.UTC().Truncate(time.Millisecond)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := db.writes.txQueryRow(ctx, tx, `SELECT count(*) FROM messages WHERE sdk_app_id = ? AND id = ?`, sdkAppID, r.MessageID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err := db.writes.txExec(ctx, tx, `INSERT INTO message_recalls (sdk_app_id, msg_id, recalled_by, recalled_at) VALUES (?, ?, ?, ?)`,
			sdkAppID, r.MessageID, r.By, ms(r.At))
		if err != nil || len(users) == 0 {
			return err
		}
		users = slices.Compact(slices.Sorted(slices.Values(users)))
		seqs := make(map[string]int64, len(users))
		if err := db.appendToInboxes(ctx, tx, sdkAppID, r.MessageID, users, seqs); err != nil {
			return err
		}
		for _, u := range users {
			ds = append(ds, store.Delivery{UserID: u, InboxSeq: seqs[u]})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recall message: %w", err)
	}
	return ds, nil
}

// FindRecalls returns the recalls of those of ids that were recalled.
func (db *DB) FindRecalls(ctx context.Context, sdkAppID int64, ids []string) (map[string]*store.Recall, error) {
	out := map[string]*store.Recall{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.reads.query(ctx, `SELECT msg_id, recalled_by, recalled_at FROM message_recalls
		WHERE sdk_app_id = ? AND msg_id IN (SELECT value FROM json_each(?))`, sdkAppID, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("find recalls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.Recall
		var at int64
		if err := rows.Scan(&r.MessageID, &r.By, &at); err != nil {
			return nil, fmt.Errorf("find recalls: %w", err)
		}
		r.At = fromMS(at)
		out[r.MessageID] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find recalls: %w", err)
	}
	return out, nil
}

// FindGroupIDs pages through the app's group IDs in order.
func (db *DB) FindGroupIDs(ctx context.Context, sdkAppID int64, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	ids, err := db.strings(ctx, `SELECT id FROM groups WHERE sdk_app_id = ? AND id > ? ORDER BY id LIMIT ?`, sdkAppID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("find group ids: %w", err)
	}
	return ids, nil
}

// CountGroups counts the app's groups.
func (db *DB) CountGroups(ctx context.Context, sdkAppID int64) (int, error) {
	var n int
	if err := db.reads.queryRow(ctx, `SELECT count(*) FROM groups WHERE sdk_app_id = ?`, sdkAppID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	return n, nil
}
