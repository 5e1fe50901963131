package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
)

// CreateGroup stores a group and its first members in one transaction; members take
// the group's SDKAppID and ID. Zero CreatedAt and JoinedAt are set to now. It returns
// store.ErrConflict if the group ID exists.
func (db *DB) CreateGroup(ctx context.Context, g *store.Group, members []*store.GroupMember) error {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = db.Now().UTC().Truncate(time.Millisecond)
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO groups (sdk_app_id, id, name, face_url, owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
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
	g, err := scanGroup(db.pool.QueryRow(ctx, `
		SELECT `+groupColumns+` FROM groups g WHERE sdk_app_id = $1 AND id = $2`, sdkAppID, groupID))
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
		s.set("name", *upd.Name)
	}
	if upd.FaceURL != nil {
		s.set("face_url", *upd.FaceURL)
	}
	if upd.OwnerID != nil {
		s.set("owner_id", *upd.OwnerID)
	}
	if err := execUpdate(ctx, db.pool, "groups", &s, []string{"sdk_app_id", "id"}, sdkAppID, groupID); err != nil {
		return fmt.Errorf("update group: %w", err)
	}
	return nil
}

// DeleteGroup removes a group and its members; store.ErrNotFound if it does not exist.
// The group's messages and conversations stay until they expire.
func (db *DB) DeleteGroup(ctx context.Context, sdkAppID int64, groupID string) error {
	// Members go by ON DELETE CASCADE.
	tag, err := db.pool.Exec(ctx, `DELETE FROM groups WHERE sdk_app_id = $1 AND id = $2`, sdkAppID, groupID)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete group: %w", store.ErrNotFound)
	}
	return nil
}

// AddGroupMembers adds the members that are not in the group yet and returns their
// user IDs; store.ErrNotFound if the group does not exist.
func (db *DB) AddGroupMembers(ctx context.Context, sdkAppID int64, groupID string, members []*store.GroupMember) ([]string, error) {
	var added []string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockGroup(ctx, tx, sdkAppID, groupID); err != nil {
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

func (db *DB) addGroupMembers(ctx context.Context, tx pgx.Tx, sdkAppID int64, groupID string, members []*store.GroupMember) ([]string, error) {
	if len(members) == 0 {
		return nil, nil
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	users, roles := make([]string, len(members)), make([]string, len(members))
	recvOpts, joinedAts := make([]int32, len(members)), make([]int64, len(members))
	for i, m := range members {
		m.SDKAppID, m.GroupID = sdkAppID, groupID
		if m.Role == "" {
			m.Role = store.Member
		}
		if m.JoinedAt.IsZero() {
			m.JoinedAt = now
		}
		users[i], roles[i], recvOpts[i], joinedAts[i] = m.UserID, string(m.Role), int32(m.RecvOpt), ms(m.JoinedAt)
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO group_members (sdk_app_id, group_id, user_id, role, recv_opt, joined_at)
		SELECT $1, $2, m.user_id, m.role, m.recv_opt, m.joined_at
		FROM unnest($3::text[], $4::text[], $5::int[], $6::bigint[]) AS m (user_id, role, recv_opt, joined_at)
		ON CONFLICT (sdk_app_id, group_id, user_id) DO NOTHING
		RETURNING user_id`, sdkAppID, groupID, users, roles, recvOpts, joinedAts)
	if err != nil {
		return nil, fmt.Errorf("insert members: %w", err)
	}
	return collect(rows, scanString)
}

// RemoveGroupMembers removes members and returns the user IDs that were members;
// store.ErrNotFound if the group does not exist.
func (db *DB) RemoveGroupMembers(ctx context.Context, sdkAppID int64, groupID string, userIDs []string) ([]string, error) {
	var removed []string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockGroup(ctx, tx, sdkAppID, groupID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			DELETE FROM group_members
			WHERE sdk_app_id = $1 AND group_id = $2 AND user_id = ANY($3)
			RETURNING user_id`, sdkAppID, groupID, userIDs)
		if err != nil {
			return err
		}
		removed, err = collect(rows, scanString)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("remove group members: %w", err)
	}
	return removed, nil
}

// lockGroup checks that the group exists and keeps it from being deleted until the
// transaction ends.
func lockGroup(ctx context.Context, tx pgx.Tx, sdkAppID int64, groupID string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM groups WHERE sdk_app_id = $1 AND id = $2 FOR KEY SHARE`, sdkAppID, groupID).Scan(&one)
	return notFound(err)
}

// FindGroupMember returns one membership, or store.ErrNotFound.
func (db *DB) FindGroupMember(ctx context.Context, sdkAppID int64, groupID, userID string) (*store.GroupMember, error) {
	m, err := scanGroupMember(db.pool.QueryRow(ctx, `
		SELECT `+groupMemberColumns+` FROM group_members
		WHERE sdk_app_id = $1 AND group_id = $2 AND user_id = $3`, sdkAppID, groupID, userID))
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
	rows, err := db.pool.Query(ctx, `
		SELECT `+groupMemberColumns+` FROM group_members
		WHERE sdk_app_id = $1 AND group_id = $2 AND user_id > $3
		ORDER BY user_id
		LIMIT $4`, sdkAppID, groupID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("find group members: %w", err)
	}
	members, err := collect(rows, scanGroupMember)
	if err != nil {
		return nil, fmt.Errorf("find group members: %w", err)
	}
	return members, nil
}

// UpdateGroupMember changes the set fields of a membership; store.ErrNotFound if the
// user is not a member.
func (db *DB) UpdateGroupMember(ctx context.Context, sdkAppID int64, groupID, userID string, upd store.GroupMemberUpdate) error {
	var s setter
	if upd.Role != nil {
		s.set("role", string(*upd.Role))
	}
	if upd.RecvOpt != nil {
		s.set("recv_opt", int(*upd.RecvOpt))
	}
	err := execUpdate(ctx, db.pool, "group_members", &s, []string{"sdk_app_id", "group_id", "user_id"},
		sdkAppID, groupID, userID)
	if err != nil {
		return fmt.Errorf("update group member: %w", err)
	}
	return nil
}

// FindUserGroups returns the groups userID is a member of, ordered by group ID.
func (db *DB) FindUserGroups(ctx context.Context, sdkAppID int64, userID string) ([]*store.Group, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+groupColumns+`
		FROM group_members gm
		JOIN groups g ON g.sdk_app_id = gm.sdk_app_id AND g.id = gm.group_id
		WHERE gm.sdk_app_id = $1 AND gm.user_id = $2
		ORDER BY g.id`, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find user groups: %w", err)
	}
	gs, err := collect(rows, scanGroup)
	if err != nil {
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
	var recvOpt int
	var joinedAt int64
	if err := row.Scan(&m.SDKAppID, &m.GroupID, &m.UserID, &role, &recvOpt, &joinedAt); err != nil {
		return nil, err
	}
	m.Role, m.RecvOpt = store.GroupRole(role), store.RecvOpt(recvOpt)
	m.JoinedAt = fromMS(joinedAt)
	return &m, nil
}

func scanString(row scanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}
