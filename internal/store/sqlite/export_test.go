package sqlite

import "context"

// ExecForTest runs a statement on the write connection, for tests that change rows the
// store has no method for.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, query, args...)
	return err
}
