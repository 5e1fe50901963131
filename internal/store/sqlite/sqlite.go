// Package sqlite implements store.Store on SQLite, through the pure-Go driver
// modernc.org/sqlite. It is Herald's embedded default: one file under the data directory.
//
// Writes go through a single connection, since SQLite allows one writer at a time and
// queueing in Go is cheaper than retrying on SQLITE_BUSY; reads use a pool of query-only
// connections that, in WAL mode, never wait for the writer.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/herald-im/herald/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DefaultBusyTimeout is how long a connection waits for a lock held by another process
// before giving up with SQLITE_BUSY.
const DefaultBusyTimeout = 5 * time.Second

var _ store.Store = (*DB)(nil)

// DB is a store.Store backed by one SQLite database. It is safe for concurrent use.
type DB struct {
	// Now returns the current time. It stamps CreatedAt fields and messages without a
	// time. Default: time.Now.
	Now func() time.Time

	path  string
	write *sql.DB // exactly one connection
	read  *sql.DB // query-only pool; the same as write for ":memory:"

	// Statements prepared once, per connection, on write and on read (the same cache
	// for ":memory:").
	writes, reads *stmtCache
	// commits runs group transactions (groupcommit.go); nil runs each write alone.
	commits *committer
	// checkpoints copies the WAL into the database off the writer (checkpoint.go);
	// nil for ":memory:".
	checkpoints *checkpointer
}

// Open opens the SQLite database at path (":memory:" for a private in-memory
// database), creating it if needed, and applies pending migrations. The caller closes
// the DB.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: path required")
	}
	db := &DB{Now: time.Now, path: path}

	// Every connection gets the same settings. Foreign keys are off by default in
	// SQLite for historical reasons; IMMEDIATE transactions take the write lock at
	// BEGIN so that a transaction never fails half-way on upgrading its lock.
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(DefaultBusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	// A value overwritten (a secret sealed at start over its clear text) leaves no copy
	// in the page's free space; FAST costs no extra I/O.
	q.Add("_pragma", "secure_delete(fast)")
	// A group commit's savepoints write the pages they change to a sub-journal: in
	// memory, not a temp file (a pwrite per page otherwise). A 32 MiB page cache per
	// connection (the default is 2 MiB) keeps the indexes of a busy node in memory;
	// it is an upper bound, used only as the database grows.
	q.Add("_pragma", "temp_store(memory)")
	q.Add("_pragma", "cache_size(-32768)")

	if path == ":memory:" {
		// Each connection to ":memory:" is a database of its own: use exactly one.
		w, err := sql.Open("sqlite", "file::memory:?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		db.write, db.read = w, w
	} else {
		q.Set("_journal_mode", "WAL")
		// NORMAL is durable in WAL mode except for the last transactions before a
		// power loss, and avoids an fsync per commit.
		q.Set("_synchronous", "NORMAL")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages)) // checkpoint.go
		w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		db.write = w

		cq := url.Values{}
		cq.Set("_busy_timeout", q.Get("_busy_timeout"))
		c, err := sql.Open("sqlite", "file:"+path+"?"+cq.Encode())
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open checkpointer: %w", err)
		}
		c.SetMaxOpenConns(1)
		c.SetConnMaxIdleTime(0)
		db.checkpoints = startCheckpointer(c)

		q.Del("_journal_mode")
		q.Del("_txlock")
		q.Set("_query_only", "1")
		r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open reader: %w", err)
		}
		n := max(4, runtime.NumCPU())
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		db.read = r
	}

	db.writes, db.reads = newStmtCache(db.write), newStmtCache(db.read)
	if db.read == db.write {
		db.reads = db.writes
	}

	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	// Statements run inside write transactions are prepared now: the writer's one
	// connection is busy during a transaction, so they cannot be prepared on first use.
	for _, q := range slices.Concat(txQueries, messageQueries, pushBatchQueries, loginQueries) {
		if _, err := db.writes.prepare(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	db.commits = newCommitter(db)
	return db, nil
}

// txQueries are the statements of the hot write transactions (CreateMessage,
// MarkConversationRead, CreateAccounts, fan-out), prepared at Open with the push
// pipeline's set-based statements (pushBatchQueries) and the login's (loginQueries).
var txQueries = []string{
	savepointQuery, rollbackToSavepointQuery, releaseSavepointQuery,
	nextChannelSeqQuery, insertMessageQuery,
	readMarksQuery, markReadQuery, findConversationQuery,
	upsertAccountQuery,
	pendingFanOutQuery, fanOutMembersQuery, insertFanOutQuery, findFanOutQuery, fanOutMessageQuery,
	advanceFanOutQuery, deleteFanOutQuery,
}

// Close closes the database.
func (db *DB) Close() error {
	if db.commits != nil {
		db.commits.close()
	}
	var errs []error
	if db.checkpoints != nil {
		errs = append(errs, db.checkpoints.close())
	}
	if db.reads != nil && db.reads != db.writes {
		errs = append(errs, db.reads.close())
	}
	if db.writes != nil {
		errs = append(errs, db.writes.close())
	}
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.reads.queryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// migrate applies, in name order, every embedded migration not yet recorded in the
// migrations table, each in its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		} else if n != 0 {
			return nil // already applied
		}
		buf, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, name)
		return err
	})
}

// inTx runs fn in a write transaction, committing if fn returns nil; the transaction
// may be shared with other writes (groupcommit.go), so fn must not rely on being
// alone, and must not start transactions of its own.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.groupTx(ctx, func(_ context.Context, tx *sql.Tx) error { return fn(tx) })
}

// rawTx runs fn in a transaction of its own on the writer connection.
func (db *DB) rawTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return formatError(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", formatError(err))
	}
	return nil
}

// formatError adds store.ErrConflict to the chain of a unique-constraint violation.
func formatError(err error) error {
	var e *msqlite.Error
	if errors.As(err, &e) && !errors.Is(err, store.ErrConflict) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
	}
	return err
}

// notFound turns sql.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// ms returns t as Unix milliseconds, and the zero time as 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms; times come back in UTC.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// nullBytes stores empty raw JSON as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// newID returns a random message ID for messages created without one.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// setter builds the SET list of an UPDATE from the fields that are set.
type setter struct {
	cols []string
	args []any
}

func (s *setter) set(expr string, arg any) {
	s.cols = append(s.cols, expr)
	s.args = append(s.args, arg)
}

func (s *setter) String() string { return strings.Join(s.cols, ", ") }

// execUpdate runs an UPDATE built by s and returns store.ErrNotFound when no row
// matched. With nothing to set it only checks that the row exists.
// The statement is prepared once per combination of set fields.
func (db *DB) execUpdate(ctx context.Context, table string, s *setter, where string, whereArgs ...any) error {
	if len(s.cols) == 0 {
		var n int
		err := db.reads.queryRow(ctx, `SELECT count(*) FROM `+table+` WHERE `+where, whereArgs...).Scan(&n)
		if err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return nil
	}
	res, err := db.exec(ctx, `UPDATE `+table+` SET `+s.String()+` WHERE `+where, append(s.args, whereArgs...)...)
	if err != nil {
		return formatError(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
