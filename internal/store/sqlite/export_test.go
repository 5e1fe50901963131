package sqlite

import "context"

// ExecForTest runs a statement on the write connection, for tests that change rows the
// store has no method for.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, query, args...)
	return err
}

// WriterPragmaForTest returns a PRAGMA's value on the write connection.
func (db *DB) WriterPragmaForTest(ctx context.Context, name string) (string, error) {
	var v string
	err := db.write.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}
