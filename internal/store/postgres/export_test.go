package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// QueryRowForTest runs a query on the DB's pool, for tests that look at the schema.
func (db *DB) QueryRowForTest(ctx context.Context, sql string, args ...any) pgx.Row {
	return db.pool.QueryRow(ctx, sql, args...)
}

// MaxConnsForTest returns the size of the DB's pool.
func (db *DB) MaxConnsForTest() int32 {
	return db.pool.Config().MaxConns
}

// ExecForTest runs a statement on the DB's pool, for tests that change rows the store
// has no method for.
func (db *DB) ExecForTest(ctx context.Context, sql string, args ...any) error {
	_, err := db.pool.Exec(ctx, sql, args...)
	return err
}

// GroupRerunsForTest returns how many batches were run again after a deadlock.
func (db *DB) GroupRerunsForTest() uint64 {
	return db.commits.reruns.Load()
}
