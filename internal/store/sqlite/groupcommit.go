package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Group commit. SQLite has one writer; every write transaction costs a BEGIN
// IMMEDIATE, a COMMIT and the WAL frames of every page it touched, so many small
// concurrent transactions (sends, push records, acks, logins) spend more on committing
// than on writing. Every write after Open — a transaction (inTx, groupTx) or a single
// statement (exec, execScan) — is handed to one committer goroutine, the only user of
// the writer connection, which runs all that are waiting in one transaction, each
// inside its own SAVEPOINT: one that fails is rolled back alone and gets its own error,
// the others commit together. Pages touched by several writes reach the WAL once.
// Nothing waits for a batch to fill: a write alone is committed at once, and writes
// that arrive while a commit is running share the next one, so batches grow with the
// load and latency does not.

// maxGroup bounds the writes of one group transaction.
const maxGroup = 256

// ErrClosed is returned by a write that reaches a closed DB.
var ErrClosed = errors.New("sqlite: database closed")

// commitReq is one write waiting for the committer.
type commitReq struct {
	ctx context.Context
	fn  func(ctx context.Context, tx *sql.Tx) error
	// prepare, when set, is fn's one statement: the committer prepares it between
	// transactions, when the writer connection is free, and fn finds it cached.
	prepare string
	done    chan error
}

// committer runs group transactions until stop is closed.
type committer struct {
	db      *DB
	reqs    chan *commitReq // unbuffered: a request handed over is always run
	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
	// groups counts the transactions that held more than one write; grouped the
	// writes they held.
	groups, grouped atomic.Uint64
	// txs counts every transaction the committer ran, writes every write.
	txs, writes atomic.Uint64
}

// Commits returns how many write transactions the committer ran and how many writes
// they held: writes/transactions is the mean group size.
func (db *DB) Commits() (transactions, writes uint64) {
	if db.commits == nil {
		return 0, 0
	}
	return db.commits.txs.Load(), db.commits.writes.Load()
}

// GroupCommits returns how many transactions held more than one write, and how many
// writes those held.
func (db *DB) GroupCommits() (groups, writes uint64) {
	if db.commits == nil {
		return 0, 0
	}
	return db.commits.groups.Load(), db.commits.grouped.Load()
}

func newCommitter(db *DB) *committer {
	c := &committer{db: db, reqs: make(chan *commitReq), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c
}

func (c *committer) close() {
	c.stopped.Do(func() { close(c.stop) })
	c.wg.Wait()
}

func (c *committer) run() {
	defer c.wg.Done()
	batch := make([]*commitReq, 0, maxGroup)
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		case <-c.stop:
			return
		}
		c.fill(&batch)
		if len(batch) == 1 {
			// Alone: let the writers that are running hand theirs over first. A yield
			// costs microseconds, a transaction of its own tens of them.
			runtime.Gosched()
			c.fill(&batch)
		}
		c.txs.Add(1)
		c.writes.Add(uint64(len(batch)))
		c.db.commitGroup(batch)
		clear(batch)
	}
}

// fill adds the writes waiting now to batch, up to maxGroup.
func (c *committer) fill(batch *[]*commitReq) {
	for len(*batch) < maxGroup {
		select {
		case r := <-c.reqs:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

// groupTx runs fn in a write transaction, maybe shared with other writes (see above).
// fn must leave the connection as it found it on error (SQLite statements do), and
// must not start transactions of its own. Once handed to the committer a write is run
// whether ctx ends or not — fn's statements ignore ctx's cancellation — so that the
// caller's answer is always the write's outcome.
func (db *DB) groupTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &commitReq{fn: fn})
}

// submit hands r to the committer and waits for its outcome. Before the committer
// runs (migrations at Open) a write runs alone.
func (db *DB) submit(ctx context.Context, r *commitReq) error {
	if db.commits == nil {
		if r.prepare != "" {
			if _, err := db.writes.prepare(ctx, r.prepare); err != nil {
				return err
			}
		}
		return db.rawTx(ctx, func(tx *sql.Tx) error { return r.fn(ctx, tx) })
	}
	r.ctx, r.done = ctx, make(chan error, 1)
	select {
	case db.commits.reqs <- r:
	case <-db.commits.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

// exec runs one write statement through the committer, prepared once.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.submit(ctx, &commitReq{prepare: query, fn: func(ctx context.Context, tx *sql.Tx) error {
		var err error
		res, err = db.writes.txExec(ctx, tx, query, args...)
		return err
	}})
	return res, err
}

// execScan runs one write statement that returns a row (RETURNING) through the
// committer, scanning the row into dest; sql.ErrNoRows when it returned none.
func (db *DB) execScan(ctx context.Context, dest []any, query string, args ...any) error {
	return db.submit(ctx, &commitReq{prepare: query, fn: func(ctx context.Context, tx *sql.Tx) error {
		return db.writes.txQueryRow(ctx, tx, query, args...).Scan(dest...)
	}})
}

// The savepoint statements around each write of a group transaction, prepared at Open.
const (
	savepointQuery           = "SAVEPOINT w"
	rollbackToSavepointQuery = "ROLLBACK TO w"
	releaseSavepointQuery    = "RELEASE w"
)

// commitGroup runs batch in one transaction, each write in a savepoint.
func (db *DB) commitGroup(batch []*commitReq) {
	for _, r := range batch {
		if r.prepare != "" && db.writes.cached(r.prepare) == nil {
			// A failure here is not the write's: txStmt prepares it for the
			// transaction alone.
			db.writes.prepare(context.Background(), r.prepare)
		}
	}
	if len(batch) == 1 {
		r := batch[0]
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			return
		}
		ctx := context.WithoutCancel(r.ctx)
		r.done <- db.rawTx(ctx, func(tx *sql.Tx) error { return r.fn(ctx, tx) })
		return
	}
	db.commits.groups.Add(1)
	db.commits.grouped.Add(uint64(len(batch)))
	bg := context.Background()
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.done <- err
		}
	}
	tx, err := db.write.BeginTx(bg, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := db.writes.txExec(bg, tx, savepointQuery); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		if err := r.fn(context.WithoutCancel(r.ctx), tx); err != nil {
			errs[i] = formatError(err)
			if _, err := db.writes.txExec(bg, tx, rollbackToSavepointQuery); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := db.writes.txExec(bg, tx, releaseSavepointQuery); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", formatError(err)))
		return
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}
