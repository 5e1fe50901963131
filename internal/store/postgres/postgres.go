// Package postgres implements store.Store on PostgreSQL through pgx. It is the store
// of a cluster: every Herald node shares one database.
//
// Concurrent sends to one channel are ordered by the row lock on the channel's sequence
// counter; inbox counters are locked in user-ID order so that sends to overlapping
// users never deadlock.
//
// Concurrent sends and device updates share transactions (group commit, groupcommit.go):
// a committer runs the writes waiting for it as one pipelined pgx.Batch, one round
// trip and one WAL flush for all of them, rather than a savepoint each, because more
// than 64 subtransactions in one transaction slow every session of the database; a
// failing write is taken out and the batch run again without it. A batch takes every
// counter it needs first, in one global order, so that committers of several nodes
// never deadlock.
package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/herald-im/herald/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// uniqueViolation is PostgreSQL's SQLSTATE for a unique constraint violation
// (Appendix A, "PostgreSQL Error Codes").
const uniqueViolation = "23505"

var _ store.Store = (*DB)(nil)

// DB is a store.Store backed by a PostgreSQL connection pool. It is safe for
// concurrent use.
type DB struct {
	// Now returns the current time. It stamps CreatedAt fields and messages without a
	// time. Default: time.Now.
	Now func() time.Time

	pool *pgxpool.Pool
	// commits runs group transactions (groupcommit.go).
	commits *committer
}

// DefaultMaxConns returns the pool size Open uses when the URL sets no
// pool_max_conns: 4 connections per CPU, at least 16. Sends spend most of their time
// waiting for the commit's WAL flush, and concurrent commits share one flush, so a
// pool larger than the CPU count is what raises throughput: on 2 cores, 100 pairs of
// c2c senders did about 245 msgs/s with pgxpool's own default of 4, 380 with 16 and
// 510 with 32 (docs/benchmarks.md, "Store tuning"). 16 leaves room for six nodes under
// PostgreSQL's default max_connections of 100.
func DefaultMaxConns() int32 {
	return int32(max(16, 4*runtime.NumCPU()))
}

// Open connects to the database at url (a postgres:// URL or key=value DSN; pool
// settings such as pool_max_conns may be added to it) and applies pending migrations
// in the default schema. The pool has DefaultMaxConns connections unless the URL sets
// pool_max_conns. The caller closes the DB.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenSchema(ctx, url, "")
}

// OpenSchema is Open inside schema, which is created if it does not exist: every table
// of this DB lives there. An empty schema means the connection's default search path.
func OpenSchema(ctx context.Context, url, schema string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	// ParseConfig consumes pool_max_conns, so the URL tells whether it was set.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns()
	}
	if schema != "" {
		conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
		conn.Close(ctx)
		if err != nil && !isUniqueViolation(err) { // a concurrent CREATE SCHEMA won
			return nil, fmt.Errorf("create schema: %w", err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	db := &DB{Now: time.Now, pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	db.commits = newCommitter(db)
	return db, nil
}

// Close stops the committers, after the batches they run, and closes every
// connection of the pool, waiting for connections in use. A write after Close returns
// ErrClosed.
func (db *DB) Close() error {
	if db.commits != nil {
		db.commits.close()
	}
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// migrate applies, in name order, every embedded migration not yet recorded in the
// migrations table, each in its own transaction.
func (db *DB) migrate(ctx context.Context) error {
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
	return db.inTx(ctx, func(tx pgx.Tx) error {
		// Nodes starting together take turns: the lock is per schema and held until
		// the transaction ends.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('herald migrations ' || current_schema()))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
			return fmt.Errorf("create migrations table: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		} else if n != 0 {
			return nil // already applied
		}
		buf, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			return err
		}
		// Without arguments Exec uses the simple protocol, which runs every statement
		// of the file.
		if _, err := tx.Exec(ctx, string(buf)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO migrations (name) VALUES ($1)`, name)
		return err
	})
}

// inTx runs fn in a transaction, committing if fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback(ctx)
		return formatError(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", formatError(err))
	}
	return nil
}

// queryer is what *pgxpool.Pool and pgx.Tx have in common.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == uniqueViolation
}

// formatError adds store.ErrConflict to the chain of a unique-constraint violation.
func formatError(err error) error {
	if isUniqueViolation(err) && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
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
func nullBytes(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

// nullString stores "" as NULL.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// newID returns a random message ID for messages created without one.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// args collects the arguments of a query built at run time; add returns the
// placeholder of the value it appends.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// setter builds the SET list of an UPDATE from the fields that are set.
type setter struct {
	args
	cols []string
}

// set adds "col = value".
func (s *setter) set(col string, v any) { s.cols = append(s.cols, col+" = "+s.add(v)) }

// execUpdate runs UPDATE table SET (s) WHERE key columns equal keys, and returns
// store.ErrNotFound when no row matched. With nothing to set it only checks that the
// row exists.
func execUpdate(ctx context.Context, db *pgxpool.Pool, table string, s *setter, keyCols []string, keys ...any) error {
	var where []string
	for i, col := range keyCols {
		where = append(where, col+" = "+s.add(keys[i]))
	}
	if len(s.cols) == 0 {
		var n int
		err := db.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE `+strings.Join(where, " AND "), s.args[len(s.args)-len(keys):]...).Scan(&n)
		if err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return nil
	}
	tag, err := db.Exec(ctx, `UPDATE `+table+` SET `+strings.Join(s.cols, ", ")+` WHERE `+strings.Join(where, " AND "), s.args...)
	if err != nil {
		return formatError(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
