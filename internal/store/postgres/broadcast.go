package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// AddUserTags adds tags to a user in one transaction; store.ErrLimit, adding none, if
// the user would have more than store.MaxUserTags.
func (db *DB) AddUserTags(ctx context.Context, sdkAppID int64, userID string, tags []string) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO user_tags (sdk_app_id, user_id, tag) SELECT $1, $2, unnest($3::text[])
			ON CONFLICT DO NOTHING`, sdkAppID, userID, uniq(tags)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM user_tags WHERE sdk_app_id = $1 AND user_id = $2`,
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
		_, err = db.pool.Exec(ctx, `DELETE FROM user_tags WHERE sdk_app_id = $1 AND user_id = $2`, sdkAppID, userID)
	} else {
		_, err = db.pool.Exec(ctx, `DELETE FROM user_tags WHERE sdk_app_id = $1 AND user_id = $2 AND tag = ANY($3)`,
			sdkAppID, userID, tags)
	}
	if err != nil {
		return fmt.Errorf("remove user tags: %w", err)
	}
	return nil
}

// FindUserTags returns a user's tags, sorted.
func (db *DB) FindUserTags(ctx context.Context, sdkAppID int64, userID string) ([]string, error) {
	tags, err := db.strings(ctx, `SELECT tag FROM user_tags WHERE sdk_app_id = $1 AND user_id = $2 ORDER BY tag`, sdkAppID, userID)
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM attr_names WHERE sdk_app_id = $1`, sdkAppID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attr_names (sdk_app_id, name) SELECT $1, unnest($2::text[])`, sdkAppID, names); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM user_attrs WHERE sdk_app_id = $1 AND NOT (name = ANY($2))`, sdkAppID, names)
		return err
	})
	if err != nil {
		return fmt.Errorf("set attribute names: %w", err)
	}
	return nil
}

// FindAttrNames returns the app's attribute names, sorted.
func (db *DB) FindAttrNames(ctx context.Context, sdkAppID int64) ([]string, error) {
	names, err := db.strings(ctx, `SELECT name FROM attr_names WHERE sdk_app_id = $1 ORDER BY name`, sdkAppID)
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
	var setNames, setValues, removed []string
	for _, n := range names {
		if v := attrs[n]; v == "" {
			removed = append(removed, n)
		} else {
			setNames, setValues = append(setNames, n), append(setValues, v)
		}
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM attr_names WHERE sdk_app_id = $1 AND name = ANY($2)`,
			sdkAppID, names).Scan(&n); err != nil {
			return err
		}
		if n != len(names) {
			return fmt.Errorf("%w: an attribute name among %q is not defined", store.ErrNotFound, names)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_attrs WHERE sdk_app_id = $1 AND user_id = $2 AND name = ANY($3)`,
			sdkAppID, userID, removed); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO user_attrs (sdk_app_id, user_id, name, value)
			SELECT $1, $2, n, v FROM unnest($3::text[], $4::text[]) AS s(n, v)
			ON CONFLICT (sdk_app_id, user_id, name) DO UPDATE SET value = excluded.value`,
			sdkAppID, userID, setNames, setValues)
		return err
	})
	if err != nil {
		return fmt.Errorf("set user attributes: %w", err)
	}
	return nil
}

// FindUserAttrs returns a user's attribute values by name.
func (db *DB) FindUserAttrs(ctx context.Context, sdkAppID int64, userID string) (map[string]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, value FROM user_attrs WHERE sdk_app_id = $1 AND user_id = $2`, sdkAppID, userID)
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
func (db *DB) FindAudience(ctx context.Context, sdkAppID int64, a store.Audience, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	var as args
	q := `SELECT a.user_id FROM accounts a WHERE a.sdk_app_id = ` + as.add(sdkAppID) + ` AND a.user_id > ` + as.add(after)
	tagOf := func(tags []string) string {
		return `FROM user_tags t WHERE t.sdk_app_id = a.sdk_app_id AND t.user_id = a.user_id AND t.tag = ANY(` + as.add(tags) + `)`
	}
	attrOf := func(m map[string]string) string {
		var names, values []string
		for n, v := range m {
			names, values = append(names, n), append(values, v)
		}
		return `FROM user_attrs u JOIN unnest(` + as.add(names) + `::text[], ` + as.add(values) + `::text[]) AS j(n, v)
			ON u.name = j.n AND u.value = j.v WHERE u.sdk_app_id = a.sdk_app_id AND u.user_id = a.user_id`
	}
	if tags := uniq(a.TagsAnd); len(tags) > 0 {
		q += ` AND (SELECT count(*) ` + tagOf(tags) + `) = ` + as.add(len(tags))
	}
	if len(a.TagsOr) > 0 {
		q += ` AND EXISTS (SELECT 1 ` + tagOf(a.TagsOr) + `)`
	}
	if len(a.TagsNot) > 0 {
		q += ` AND NOT EXISTS (SELECT 1 ` + tagOf(a.TagsNot) + `)`
	}
	if len(a.AttrsAnd) > 0 {
		q += ` AND (SELECT count(*) ` + attrOf(a.AttrsAnd) + `) = ` + as.add(len(a.AttrsAnd))
	}
	if len(a.AttrsOr) > 0 {
		q += ` AND EXISTS (SELECT 1 ` + attrOf(a.AttrsOr) + `)`
	}
	q += ` ORDER BY a.user_id LIMIT ` + as.add(limit)
	ids, err := db.strings(ctx, q, as...)
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
	content := string(t.Content)
	if content == "" {
		content = "null"
	}
	_, err = db.pool.Exec(ctx, `
		INSERT INTO push_tasks (`+pushTaskColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		t.SDKAppID, t.ID, string(aud), content, t.OnlineOnly, string(t.Status), t.Reason, t.Cursor,
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
	err := db.pool.QueryRow(ctx, `SELECT `+pushTaskColumns+` FROM push_tasks WHERE sdk_app_id = $1 AND id = $2`, sdkAppID, id).Scan(
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
		s.set("status", string(*upd.Status))
	}
	if upd.Reason != nil {
		s.set("reason", *upd.Reason)
	}
	if upd.Cursor != nil {
		s.set("cursor", *upd.Cursor)
	}
	if upd.Accepted != nil {
		s.set("accepted", *upd.Accepted)
	}
	if upd.Failed != nil {
		s.set("failed", *upd.Failed)
	}
	if upd.FinishedAt != nil {
		s.set("finished_at", ms(*upd.FinishedAt))
	}
	if upd.AddTargets != 0 {
		s.cols = append(s.cols, "targets = targets + "+s.add(upd.AddTargets))
	}
	if upd.AddPushed != 0 {
		s.cols = append(s.cols, "pushed = pushed + "+s.add(upd.AddPushed))
	}
	if err := execUpdate(ctx, db.pool, "push_tasks", &s, []string{"sdk_app_id", "id"}, sdkAppID, id); err != nil {
		return fmt.Errorf("update push task: %w", err)
	}
	return nil
}

// CountPushTasks counts the app's tasks created at or after since.
func (db *DB) CountPushTasks(ctx context.Context, sdkAppID int64, since time.Time) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM push_tasks WHERE sdk_app_id = $1 AND created_at >= $2`,
		sdkAppID, since.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count push tasks: %w", err)
	}
	return n, nil
}

// CountMessagePushRecords counts one message's records by decision and outcome,
// ordered by those two.
func (db *DB) CountMessagePushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushCount, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT decision, outcome, count(*) FROM push_records
		WHERE sdk_app_id = $1 AND message_id = $2
		GROUP BY decision, outcome ORDER BY decision, outcome`, sdkAppID, messageID)
	if err != nil {
		return nil, fmt.Errorf("count message push records: %w", err)
	}
	cs, err := collect(rows, func(row scanner) (*store.PushCount, error) {
		var c store.PushCount
		return &c, row.Scan(&c.Decision, &c.Outcome, &c.Count)
	})
	if err != nil {
		return nil, fmt.Errorf("count message push records: %w", err)
	}
	return cs, nil
}

const pushTaskColumns = `sdk_app_id, id, audience, content, online_only, status, reason, cursor,
	targets, pushed, accepted, failed, created_at, finished_at`

// strings runs a query of one text column.
func (db *DB) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	})
}

// uniq returns ss sorted, without repeats; never nil, which pgx would send as NULL.
func uniq(ss []string) []string {
	out := append([]string{}, ss...)
	slices.Sort(out)
	return slices.Compact(out)
}
