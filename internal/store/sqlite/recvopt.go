package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herald-im/herald/internal/store"
)

// SetC2CRecvOpt sets the option userID receives each of peers with.
func (db *DB) SetC2CRecvOpt(ctx context.Context, sdkAppID int64, userID string, peers []string, opt store.RecvOpt) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO c2c_recv_opts (sdk_app_id, user_id, peer_id, recv_opt)
			SELECT ?, ?, value, ? FROM json_each(?) WHERE true
			ON CONFLICT (sdk_app_id, user_id, peer_id) DO UPDATE SET recv_opt = excluded.recv_opt`,
			sdkAppID, userID, int(opt), jsonList(peers))
		return err
	})
	if err != nil {
		return fmt.Errorf("set c2c recv opt: %w", err)
	}
	return nil
}

// FindC2CRecvOpts returns the options userID set for peers; a peer with none is absent.
func (db *DB) FindC2CRecvOpts(ctx context.Context, sdkAppID int64, userID string, peers []string) (map[string]store.RecvOpt, error) {
	opts, err := db.findRecvOpts(ctx, `
		SELECT peer_id, recv_opt FROM c2c_recv_opts
		WHERE sdk_app_id = ? AND user_id = ? AND peer_id IN (SELECT value FROM json_each(?))`,
		sdkAppID, userID, jsonList(peers))
	if err != nil {
		return nil, fmt.Errorf("find c2c recv opts: %w", err)
	}
	return opts, nil
}

// FindRecvOptsOfPeer returns, for each of users that set one, the option that user set
// for peer.
func (db *DB) FindRecvOptsOfPeer(ctx context.Context, sdkAppID int64, users []string, peer string) (map[string]store.RecvOpt, error) {
	opts, err := db.findRecvOpts(ctx, `
		SELECT user_id, recv_opt FROM c2c_recv_opts
		WHERE sdk_app_id = ? AND peer_id = ? AND user_id IN (SELECT value FROM json_each(?))`,
		sdkAppID, peer, jsonList(users))
	if err != nil {
		return nil, fmt.Errorf("find recv opts of peer: %w", err)
	}
	return opts, nil
}

// findRecvOpts runs a query of (key, recv_opt) rows into a map.
func (db *DB) findRecvOpts(ctx context.Context, query string, args ...any) (map[string]store.RecvOpt, error) {
	rows, err := db.reads.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	opts := make(map[string]store.RecvOpt)
	for rows.Next() {
		var key string
		var opt store.RecvOpt
		if err := rows.Scan(&key, &opt); err != nil {
			return nil, err
		}
		opts[key] = opt
	}
	return opts, rows.Err()
}
