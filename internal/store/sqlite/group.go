package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// CreateGroup stores a group and its first members in one transaction; members take
// the group's SDKAppID and ID. Zero CreatedAt and JoinedAt are set to now. It returns
// store.ErrConflict if the group ID exists.
func (db *DB) CreateGroup(ctx context.Context, g *store.Group, members []*store.GroupMember) error {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = db.Now().UTC().Truncate(time.Millisecond)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO groups (sdk_app_id, id, name, face_url, owner_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			g.SDKAppID, g.ID, g.Name, g.FaceURL, g.OwnerID, ms(g.CreatedAt))
		if err != nil {
			return err
		}
		_, err = db.addGroupMembers(ctx, tx, g.SDKAppID, g.ID, members)
		return err
	})
	if err != nil {
		return fmt.Errorf("create group: %w", err)
	}
	return nil
}

// FindGroup returns a group, or store.ErrNotFound.
func (db *DB) FindGroup(ctx context.Context, sdkAppID int64, groupID string) (*store.Group, error) {
	g, err := scanGroup(db.reads.queryRow(ctx, `
		SELECT `+groupColumns+` FROM groups g WHERE sdk_app_id = ? AND id = ?`, sdkAppID, groupID))
	if err != nil {
		return nil, fmt.Errorf("find group: %w", notFound(err))
	}
	return g, nil
}

// UpdateGroup changes the set fields of a group; store.ErrNotFound if it does not
// exist.
func (db *DB) UpdateGroup(ctx context.Context, sdkAppID int64, groupID string, upd store.GroupUpdate) error {
	var s setter
	if upd.Name != nil {
		s.set("name = ?", *upd.Name)
	}
	if upd.FaceURL != nil {
		s.set("face_url = ?", *upd.FaceURL)
	}
	if upd.OwnerID != nil {
		s.set("owner_id = ?", *upd.OwnerID)
	}
	if err := db.execUpdate(ctx, "groups", &s, "sdk_app_id = ? AND id = ?", sdkAppID, groupID); err != nil {
		return fmt.Errorf("update group: %w", err)
	}
	return nil
}

// DeleteGroup removes a group and its members; store.ErrNotFound if it does not exist.
// The group's messages and conversations stay until they expire.
func (db *DB) DeleteGroup(ctx context.Context, sdkAppID int64, groupID string) error {
	// Members go by ON DELETE CASCADE.
	res, err := db.exec(ctx, `DELETE FROM groups WHERE sdk_app_id = ? AND id = ?`, sdkAppID, groupID)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete group: %w", err)
	} else if n == 0 {
		return fmt.Errorf("delete group: %w", store.ErrNotFound)
	}
	return nil
}

// AddGroupMembers adds the members that are not in the group yet and returns their
// user IDs; store.ErrNotFound if the group does not exist.
func (db *DB) AddGroupMembers(ctx context.Context, sdkAppID int64, groupID string, members []*store.GroupMember) ([]string, error) {
	var added []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, sdkAppID, groupID); err != nil {
			return err
		}
		var err error
		added, err = db.addGroupMembers(ctx, tx, sdkAppID, groupID, members)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("add group members: %w", err)
	}
	return added, nil
}

func (db *DB) addGroupMembers(ctx context.Context, tx *sql.Tx, sdkAppID int64, groupID string, members []*store.GroupMember) ([]string, error) {
	if len(members) == 0 {
		return nil, nil
	}
	stmt, err := tx.PrepareContext(ctx, `
		INSERT INTO group_members (sdk_app_id, group_id, user_id, role, recv_opt, joined_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (sdk_app_id, group_id, user_id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	now := db.Now().UTC().Truncate(time.Millisecond)
	var added []string
	for _, m := range members {
		m.SDKAppID, m.GroupID = sdkAppID, groupID
		if m.Role == "" {
			m.Role = store.Member
		}
		if m.JoinedAt.IsZero() {
			m.JoinedAt = now
		}
		res, err := stmt.ExecContext(ctx, sdkAppID, groupID, m.UserID, string(m.Role), int(m.RecvOpt), ms(m.JoinedAt))
		if err != nil {
			return nil, fmt.Errorf("insert member: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			added = append(added, m.UserID)
		}
	}
	return added, nil
}

// RemoveGroupMembers removes members and returns the user IDs that were members;
// store.ErrNotFound if the group does not exist.
func (db *DB) RemoveGroupMembers(ctx context.Context, sdkAppID int64, groupID string, userIDs []string) ([]string, error) {
	var removed []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, sdkAppID, groupID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			DELETE FROM group_members
			WHERE sdk_app_id = ? AND group_id = ? AND user_id IN (SELECT value FROM json_each(?))
			RETURNING user_id`, sdkAppID, groupID, jsonList(userIDs))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			removed = append(removed, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("remove group members: %w", err)
	}
	return removed, nil
}

func groupExists(ctx context.Context, tx *sql.Tx, sdkAppID int64, groupID string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM groups WHERE sdk_app_id = ? AND id = ?`, sdkAppID, groupID).Scan(&one)
	return notFound(err)
}

// FindGroupMember returns one membership, or store.ErrNotFound.
func (db *DB) FindGroupMember(ctx context.Context, sdkAppID int64, groupID, userID string) (*store.GroupMember, error) {
	m, err := scanGroupMember(db.reads.queryRow(ctx, `
		SELECT `+groupMemberColumns+` FROM group_members
		WHERE sdk_app_id = ? AND group_id = ? AND user_id = ?`, sdkAppID, groupID, userID))
	if err != nil {
		return nil, fmt.Errorf("find group member: %w", notFound(err))
	}
	return m, nil
}

// FindGroupMembers returns a page of a group's members ordered by user ID: those after
// the user ID after, at most limit (<= 0 means 1000). A group that does not exist has
// no members.
func (db *DB) FindGroupMembers(ctx context.Context, sdkAppID int64, groupID, after string, limit int) ([]*store.GroupMember, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.reads.query(ctx, `
		SELECT `+groupMemberColumns+` FROM group_members
		WHERE sdk_app_id = ? AND group_id = ? AND user_id > ?
		ORDER BY user_id
		LIMIT ?`, sdkAppID, groupID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("find group members: %w", err)
	}
	defer rows.Close()
	var members []*store.GroupMember
	for rows.Next() {
		m, err := scanGroupMember(rows)
		if err != nil {
			return nil, fmt.Errorf("find group members: %w", err)
		}
		members = append(members, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find group members: %w", err)
	}
	return members, nil
}

// UpdateGroupMember changes the set fields of a membership; store.ErrNotFound if the
// user is not a member.
func (db *DB) UpdateGroupMember(ctx context.Context, sdkAppID int64, groupID, userID string, upd store.GroupMemberUpdate) error {
	var s setter
	if upd.Role != nil {
		s.set("role = ?", string(*upd.Role))
	}
	if upd.RecvOpt != nil {
		s.set("recv_opt = ?", int(*upd.RecvOpt))
	}
	err := db.execUpdate(ctx, "group_members", &s, "sdk_app_id = ? AND group_id = ? AND user_id = ?",
		sdkAppID, groupID, userID)
	if err != nil {
		return fmt.Errorf("update group member: %w", err)
	}
	return nil
}

// FindUserGroups returns the groups userID is a member of, ordered by group ID.
func (db *DB) FindUserGroups(ctx context.Context, sdkAppID int64, userID string) ([]*store.Group, error) {
	rows, err := db.reads.query(ctx, `
		SELECT `+groupColumns+`
		FROM group_members gm
		JOIN groups g ON g.sdk_app_id = gm.sdk_app_id AND g.id = gm.group_id
		WHERE gm.sdk_app_id = ? AND gm.user_id = ?
		ORDER BY g.id`, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find user groups: %w", err)
	}
	defer rows.Close()
	var gs []*store.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("find user groups: %w", err)
		}
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find user groups: %w", err)
	}
	return gs, nil
}

const groupColumns = `g.sdk_app_id, g.id, g.name, g.face_url, g.owner_id, g.created_at`

func scanGroup(row scanner) (*store.Group, error) {
	var g store.Group
	var createdAt int64
	if err := row.Scan(&g.SDKAppID, &g.ID, &g.Name, &g.FaceURL, &g.OwnerID, &createdAt); err != nil {
		return nil, err
	}
	g.CreatedAt = fromMS(createdAt)
	return &g, nil
}

const groupMemberColumns = `sdk_app_id, group_id, user_id, role, recv_opt, joined_at`

func scanGroupMember(row scanner) (*store.GroupMember, error) {
	var m store.GroupMember
	var role string
	var joinedAt int64
	if err := row.Scan(&m.SDKAppID, &m.GroupID, &m.UserID, &role, &m.RecvOpt, &joinedAt); err != nil {
		return nil, err
	}
	m.Role = store.GroupRole(role)
	m.JoinedAt = fromMS(joinedAt)
	return &m, nil
}
