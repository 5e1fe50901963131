package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps the prepared statements of one *sql.DB, by query text.
// modernc.org/sqlite parses the SQL of every ExecContext and QueryContext anew
// (sqlite3_prepare_v2), which on the send path cost about a quarter of all CPU; a
// prepared *sql.Stmt keeps its SQLite statement on each connection and only rebinds.
//
// Only queries from a finite set of texts belong here: constants, or texts built from
// a fixed list of optional clauses. The cache never evicts.
type stmtCache struct {
	db *sql.DB

	mu sync.Mutex // protects m
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// prepare returns the statement for query, preparing it on first use. It takes a
// connection of c.db to prepare, so on the single writer connection it must not be
// called inside a transaction: statements used there are prepared at Open (see
// txQueries) and bound to the transaction with tx.StmtContext.
func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	// Prepare outside the lock: it may wait for a connection.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok { // another caller prepared it meanwhile
		st.Close()
		return prev, nil
	}
	c.m[query] = st
	return st, nil
}

// cached returns the statement for query if it has been prepared, or nil.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// close closes every statement; the cache must not be used afterwards.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// exec runs a statement on the database, prepared once.
func (c *stmtCache) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// query runs a query on the database, prepared once.
func (c *stmtCache) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a query expected to return at most one row, prepared once. An error
// preparing it comes back from Scan.
func (c *stmtCache) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := c.prepare(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// txStmt returns query bound to tx: the statement prepared at Open when there is one,
// else one prepared for tx alone. Either is closed when tx ends.
func (c *stmtCache) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := c.cached(query); st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, query)
}

// txExec runs a statement in tx, prepared once when it is one of txQueries.
func (c *stmtCache) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := c.txStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// txQuery runs a query in tx, prepared once when it is one of txQueries.
func (c *stmtCache) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := c.txStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// txQueryRow runs a one-row query in tx, prepared once when it is one of txQueries. An
// error preparing it comes back from Scan.
func (c *stmtCache) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) scanner {
	st, err := c.txStmt(ctx, tx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}
