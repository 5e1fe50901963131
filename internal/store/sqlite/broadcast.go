package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// AddUserTags adds tags to a user in one transaction; store.ErrLimit, adding none, if
// the user would have more than store.MaxUserTags.
func (db *DB) AddUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range tags {
			if _, err := db.writes.txExec(ctx, tx, `
				INSERT INTO user_tags (sdk_app_id, user_id, tag) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, sdkAppID, userID, t); err != nil {
				return err
			}
		}
		var n int
		if err := db.writes.txQueryRow(ctx, tx, `SELECT count(*) FROM user_tags WHERE sdk_app_id = ? AND user_id = ?`,
			sdkAppID, userID).Scan(&n); err != nil {
			return err
		}
		if n > store.MaxUserTags {
			return fmt.Errorf("%w: %d tags, at most %d", store.ErrLimit, n, store.MaxUserTags)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add user tags: %w", err)
	}
	return nil
}

// RemoveUserTags removes tags from a user, all of them when tags is nil.
func (db *DB) RemoveUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error {
	var err error
	if tags == nil {
		_, err = db.exec(ctx, `DELETE FROM user_tags WHERE sdk_app_id = ? AND user_id = ?`, sdkAppID, userID)
	} else {
		_, err = db.exec(ctx, `
			DELETE FROM user_tags WHERE sdk_app_id = ? AND user_id = ? AND tag IN (SELECT value FROM json_each(?))`,
			sdkAppID, userID, jsonList(tags))
	}
	if err != nil {
		return fmt.Errorf("remove user tags: %w", err)
	}
	return nil
}

// FindUserTags returns a user's tags, sorted.
func (db *DB) FindUserTags(ctx context.Context, sdkAppID int64, userID string) ([]string, error) {
	tags, err := db.strings(ctx, `SELECT tag FROM user_tags WHERE sdk_app_id = ? AND user_id = ? ORDER BY tag`, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find user tags: %w", err)
	}
	return tags, nil
}

// SetAttrNames replaces the app's attribute names in one transaction, removing users'
// values of names no longer defined; store.ErrLimit if there are more than
// store.MaxAttrNames.
func (db *DB) SetAttrNames(ctx context.Context, sdkAppID int64, names []string) error {
	names = uniq(names)
	if len(names) > store.MaxAttrNames {
		return fmt.Errorf("set attribute names: %w: %d names, at most %d", store.ErrLimit, len(names), store.MaxAttrNames)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.writes.txExec(ctx, tx, `DELETE FROM attr_names WHERE sdk_app_id = ?`, sdkAppID); err != nil {
			return err
		}
		for _, n := range names {
			if _, err := db.writes.txExec(ctx, tx, `INSERT INTO attr_names (sdk_app_id, name) VALUES (?, ?)`, sdkAppID, n); err != nil {
				return err
			}
		}
		_, err := db.writes.txExec(ctx, tx, `
			DELETE FROM user_attrs WHERE sdk_app_id = ? AND name NOT IN (SELECT value FROM json_each(?))`,
			sdkAppID, jsonList(names))
		return err
	})
	if err != nil {
		return fmt.Errorf("set attribute names: %w", err)
	}
	return nil
}

// FindAttrNames returns the app's attribute names, sorted.
func (db *DB) FindAttrNames(ctx context.Context, sdkAppID int64) ([]string, error) {
	names, err := db.strings(ctx, `SELECT name FROM attr_names WHERE sdk_app_id = ? ORDER BY name`, sdkAppID)
	if err != nil {
		return nil, fmt.Errorf("find attribute names: %w", err)
	}
	return names, nil
}

// SetUserAttrs sets a user's attribute values in one transaction; an empty value
// removes one. store.ErrNotFound, setting none, if a name is not defined.
func (db *DB) SetUserAttrs(ctx context.Context, sdkAppID int64, userID string, attrs map[string]string) error {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := db.writes.txQueryRow(ctx, tx, `
			SELECT count(*) FROM attr_names WHERE sdk_app_id = ? AND name IN (SELECT value FROM json_each(?))`,
			sdkAppID, jsonList(names)).Scan(&n); err != nil {
			return err
		}
		if n != len(names) {
			return fmt.Errorf("%w: an attribute name among %q is not defined", store.ErrNotFound, names)
		}
		for _, name := range names {
			var err error
			if v := attrs[name]; v == "" {
				_, err = db.writes.txExec(ctx, tx, `DELETE FROM user_attrs WHERE sdk_app_id = ? AND user_id = ? AND name = ?`,
					sdkAppID, userID, name)
			} else {
				_, err = db.writes.txExec(ctx, tx, `
					INSERT INTO user_attrs (sdk_app_id, user_id, name, value) VALUES (?, ?, ?, ?)
					ON CONFLICT (sdk_app_id, user_id, name) DO UPDATE SET value = excluded.value`,
					sdkAppID, userID, name, v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set user attributes: %w", err)
	}
	return nil
}

// FindUserAttrs returns a user's attribute values by name.
func (db *DB) FindUserAttrs(ctx context.Context, sdkAppID int64, userID string) (map[string]string, error) {
	rows, err := db.reads.query(ctx, `SELECT name, value FROM user_attrs WHERE sdk_app_id = ? AND user_id = ?`, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find user attributes: %w", err)
	}
	defer rows.Close()
	attrs := map[string]string{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, fmt.Errorf("find user attributes: %w", err)
		}
		attrs[n] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find user attributes: %w", err)
	}
	return attrs, nil
}

// FindAudience pages through the user IDs of the accounts in a, ordered by user ID.
// The query is built from a fixed set of optional clauses.
func (db *DB) FindAudience(ctx context.Context, sdkAppID int64, a store.Audience, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	const tagOf = `FROM user_tags t WHERE t.sdk_app_id = a.sdk_app_id AND t.user_id = a.user_id AND t.tag IN (SELECT value FROM json_each(?))`
	const attrOf = `FROM user_attrs u JOIN json_each(?) j ON u.name = j.key AND u.value = j.value
		WHERE u.sdk_app_id = a.sdk_app_id AND u.user_id = a.user_id`
	q := `SELECT a.user_id FROM accounts a WHERE a.sdk_app_id = ? AND a.user_id > ?`
	args := []any{sdkAppID, after}
	if tags := uniq(a.TagsAnd); len(tags) > 0 {
		q += ` AND (SELECT count(*) ` + tagOf + `) = ?`
		args = append(args, jsonList(tags), len(tags))
	}
	if len(a.TagsOr) > 0 {
		q += ` AND EXISTS (SELECT 1 ` + tagOf + `)`
		args = append(args, jsonList(a.TagsOr))
	}
	if len(a.TagsNot) > 0 {
		q += ` AND NOT EXISTS (SELECT 1 ` + tagOf + `)`
		args = append(args, jsonList(a.TagsNot))
	}
	if len(a.AttrsAnd) > 0 {
		q += ` AND (SELECT count(*) ` + attrOf + `) = ?`
		args = append(args, jsonMap(a.AttrsAnd), len(a.AttrsAnd))
	}
	if len(a.AttrsOr) > 0 {
		q += ` AND EXISTS (SELECT 1 ` + attrOf + `)`
		args = append(args, jsonMap(a.AttrsOr))
	}
	q += ` ORDER BY a.user_id LIMIT ?`
	ids, err := db.strings(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("find audience: %w", err)
	}
	return ids, nil
}

// CreatePushTask stores a new task; store.ErrConflict if its ID exists. A zero
// CreatedAt is set to now.
func (db *DB) CreatePushTask(ctx context.Context, t *store.PushTask) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = db.Now().UTC().Truncate(time.Millisecond)
	}
	aud, err := json.Marshal(t.Audience)
	if err != nil {
		return fmt.Errorf("create push task: %w", err)
	}
	_, err = db.exec(ctx, `
		INSERT INTO push_tasks (`+pushTaskColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.SDKAppID, t.ID, string(aud), string(orJSON(t.Content)), t.OnlineOnly, string(t.Status), t.Reason, t.Cursor,
		t.Targets, t.Pushed, t.Accepted, t.Failed, ms(t.CreatedAt), ms(t.FinishedAt))
	if err != nil {
		return fmt.Errorf("create push task: %w", formatError(err))
	}
	return nil
}

// FindPushTask returns one task, or store.ErrNotFound.
func (db *DB) FindPushTask(ctx context.Context, sdkAppID int64, id string) (*store.PushTask, error) {
	var t store.PushTask
	var aud, content, status string
	var createdAt, finishedAt int64
	err := db.reads.queryRow(ctx, `SELECT `+pushTaskColumns+` FROM push_tasks WHERE sdk_app_id = ? AND id = ?`, sdkAppID, id).Scan(
		&t.SDKAppID, &t.ID, &aud, &content, &t.OnlineOnly, &status, &t.Reason, &t.Cursor,
		&t.Targets, &t.Pushed, &t.Accepted, &t.Failed, &createdAt, &finishedAt)
	if err != nil {
		return nil, fmt.Errorf("find push task: %w", notFound(err))
	}
	if err := json.Unmarshal([]byte(aud), &t.Audience); err != nil {
		return nil, fmt.Errorf("find push task: audience: %w", err)
	}
	t.Content, t.Status = json.RawMessage(content), store.TaskStatus(status)
	t.CreatedAt, t.FinishedAt = fromMS(createdAt), fromMS(finishedAt)
	return &t, nil
}

// UpdatePushTask changes the set fields of a task and adds to its counts;
// store.ErrNotFound if it does not exist.
func (db *DB) UpdatePushTask(ctx context.Context, sdkAppID int64, id string, upd store.PushTaskUpdate) error {
	var s setter
	if upd.Status != nil {
		s.set("status = ?", string(*upd.Status))
	}
	if upd.Reason != nil {
		s.set("reason = ?", *upd.Reason)
	}
	if upd.Cursor != nil {
		s.set("cursor = ?", *upd.Cursor)
	}
	if upd.Accepted != nil {
		s.set("accepted = ?", *upd.Accepted)
	}
	if upd.Failed != nil {
		s.set("failed = ?", *upd.Failed)
	}
	if upd.FinishedAt != nil {
		s.set("finished_at = ?", ms(*upd.FinishedAt))
	}
	if upd.AddTargets != 0 {
		s.set("targets = targets + ?", upd.AddTargets)
	}
	if upd.AddPushed != 0 {
		s.set("pushed = pushed + ?", upd.AddPushed)
	}
	if err := db.execUpdate(ctx, "push_tasks", &s, "sdk_app_id = ? AND id = ?", sdkAppID, id); err != nil {
		return fmt.Errorf("update push task: %w", err)
	}
	return nil
}

// CountPushTasks counts the app's tasks created at or after since.
func (db *DB) CountPushTasks(ctx context.Context, sdkAppID int64, since time.Time) (int, error) {
	var n int
	if err := db.reads.queryRow(ctx, `SELECT count(*) FROM push_tasks WHERE sdk_app_id = ? AND created_at >= ?`,
		sdkAppID, since.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count push tasks: %w", err)
	}
	return n, nil
}

// CountMessagePushRecords counts one message's records by decision and outcome,
// ordered by those two.
func (db *DB) CountMessagePushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushCount, error) {
	rows, err := db.reads.query(ctx, `
		SELECT decision, outcome, count(*) FROM push_records
		WHERE sdk_app_id = ? AND message_id = ?
		GROUP BY decision, outcome ORDER BY decision, outcome`, sdkAppID, messageID)
	if err != nil {
		return nil, fmt.Errorf("count message push records: %w", err)
	}
	defer rows.Close()
	var cs []*store.PushCount
	for rows.Next() {
		var c store.PushCount
		if err := rows.Scan(&c.Decision, &c.Outcome, &c.Count); err != nil {
			return nil, fmt.Errorf("count message push records: %w", err)
		}
		cs = append(cs, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count message push records: %w", err)
	}
	return cs, nil
}

const pushTaskColumns = `sdk_app_id, id, audience, content, online_only, status, reason, cursor,
	targets, pushed, accepted, failed, created_at, finished_at`

// strings runs a query of one text column on the readers.
func (db *DB) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.reads.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// jsonMap encodes a string map as a JSON object for json_each.
func jsonMap(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// uniq returns ss sorted, without repeats.
func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// orJSON stores empty raw JSON as null.
func orJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}
