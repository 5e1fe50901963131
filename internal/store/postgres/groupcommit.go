package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/herald-im/herald/internal/store"
)

// Group commit. A send is one statement in its own transaction, and what bounds the
// online path is the commit: every transaction waits for its WAL flush. Writes that go
// through groupExec are handed to a committer goroutine, which runs all that are
// waiting as one pipelined pgx.Batch — BEGIN, the row locks, every write, COMMIT, one
// round trip — so N waiting writes cost one commit and one flush. Nothing waits for a
// batch to fill: a write alone runs at once, as its own statement, and writes that
// arrive while a batch runs share the next one, so batches grow with the load.
//
// Why a batch and not a savepoint per write (as the SQLite store does): every savepoint
// that writes is a subtransaction with its own XID, and a transaction with more than 64
// of them overflows PostgreSQL's per-backend subtransaction cache, after which every
// snapshot of every session must look in pg_subtrans; and each savepoint costs two more
// statements. Without savepoints a failing write aborts the whole transaction, so the
// committer rolls back and runs the batch again without it: the failed write gets its
// own error, and the others are run as if it had never been sent (a conflict then
// fails the later of two writes, as running them one after the other would). Failures
// are rare on this path (a resend racing its first copy), so the extra round trip is
// too.
//
// Locks. A write alone takes its channel's counter, then its users' inbox counters in
// user-ID order. A batch holds many writes, and writes in batch order would take
// counters in no global order, so two committers (several nodes, or this node's
// committers) could deadlock. The batch therefore takes every row it will lock first,
// in one global order — channels by (app, channel), then inboxes by (app, user), then
// devices by (app, user, device), sorted by PostgreSQL itself so that the order is the
// one the single statements and IncrementBadges use — and only then runs its writes,
// which find their rows already held. Conversation rows are only written while their
// user's inbox counter is held; push records are new rows.
// A write never waits for a lock held by a transaction waiting for one of its own,
// except on a unique key (a resend in two batches at once); PostgreSQL then breaks
// the deadlock, and the committer runs the batch again.

// maxGroup bounds the writes of one batch. A batch's statements run one after the
// other in one backend, on one core, holding the rows of every user in it: small
// batches on several committers keep the database's cores busy, and still turn N
// concurrent writes into about N/maxGroup commits. On the 2-core bench machine (16
// connections), 8 committers of at most 16 writes did 556-710 msgs/s where 2 of at
// most 128 did 407-500 (docs/benchmarks.md, "PostgreSQL group commit").
const maxGroup = 16

// committers returns how many batches a DB runs at once: half its pool, so that reads
// keep the other half.
func committers(maxConns int32) int {
	return max(1, int(maxConns)/2)
}

// maxTries bounds how often a batch is run again after a deadlock or serialization
// failure before its writes fail with that error.
const maxTries = 3

// ErrClosed is returned by a write that reaches a closed DB.
var ErrClosed = errors.New("postgres: database closed")

// lockKey names one counter row: a channel's or a user's inbox.
type lockKey struct {
	app int64
	key string
}

// groupWrite is one statement a batch can hold, with the rows it locks.
type groupWrite struct {
	channels []lockKey         // channel counters the statement takes
	inboxes  []lockKey         // inbox counters the statement takes
	devices  []store.DeviceKey // device rows of app the statement updates
	app      int64             // the app of devices
	sql      string
	args     []any
	// read reads the statement's result. It may be called more than once (a batch that
	// runs again), and must keep only the last call's result.
	read func(rows pgx.Rows) error
}

// commitReq is one write waiting for a committer.
type commitReq struct {
	ctx  context.Context
	w    *groupWrite
	err  error // set by the batch that ran it
	done chan error
}

// committer runs batches until stop is closed.
type committer struct {
	db      *DB
	reqs    chan *commitReq // unbuffered: a request handed over is always run
	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
	// batches counts the transactions that held more than one write; grouped the
	// writes they held.
	batches, grouped atomic.Uint64
	// reruns counts the batches run again after a deadlock or serialization failure.
	reruns atomic.Uint64
}

// GroupCommits returns how many transactions held more than one write, and how many
// writes those held.
func (db *DB) GroupCommits() (groups, writes uint64) {
	if db.commits == nil {
		return 0, 0
	}
	return db.commits.batches.Load(), db.commits.grouped.Load()
}

func newCommitter(db *DB) *committer {
	c := &committer{db: db, reqs: make(chan *commitReq), stop: make(chan struct{})}
	for range committers(db.pool.Config().MaxConns) {
		c.wg.Add(1)
		go c.run()
	}
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
	fill:
		for len(batch) < maxGroup {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		c.db.commitBatch(batch)
		for _, r := range batch {
			r.done <- r.err
		}
		clear(batch)
	}
}

// groupExec runs w, maybe in a transaction shared with other writes (see above). Once
// handed to a committer a write is run whether ctx ends or not, so that the caller's
// answer is always the write's outcome.
func (db *DB) groupExec(ctx context.Context, w *groupWrite) error {
	if db.commits == nil {
		return db.execAlone(ctx, w)
	}
	r := &commitReq{ctx: ctx, w: w, done: make(chan error, 1)}
	select {
	case db.commits.reqs <- r:
	case <-db.commits.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

// execAlone runs w as one statement, in a transaction of its own.
func (db *DB) execAlone(ctx context.Context, w *groupWrite) error {
	rows, err := db.pool.Query(ctx, w.sql, w.args...)
	if err != nil {
		return formatError(err)
	}
	err = w.read(rows)
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	return formatError(err)
}

// commitBatch runs batch and sets each request's err.
func (db *DB) commitBatch(batch []*commitReq) {
	var live []*commitReq
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err == nil {
			live = append(live, r)
		}
	}
	if len(live) == 1 {
		live[0].err = db.execAlone(context.WithoutCancel(live[0].ctx), live[0].w)
		return
	}
	if len(live) == 0 {
		return
	}
	db.commits.batches.Add(1)
	db.commits.grouped.Add(uint64(len(live)))
	ctx := context.Background()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		for _, r := range live {
			r.err = fmt.Errorf("acquire: %w", err)
		}
		return
	}
	defer conn.Release()
	for tries := 1; len(live) > 0; {
		failed, err := runBatch(ctx, conn.Conn(), live)
		switch {
		case err == nil:
			return
		case conn.Conn().IsClosed():
			// The connection went: nothing more can run on it, and whether the
			// commit landed is unknown.
			for _, r := range live {
				r.err = err
			}
			return
		case isRetryable(err) && tries < maxTries:
			tries++ // a deadlock on a unique key, broken by PostgreSQL: run it all again
			db.commits.reruns.Add(1)
		case failed >= 0:
			live[failed].err = formatError(err)
			live = slices.Delete(live, failed, failed+1)
		default:
			for _, r := range live {
				r.err = err
			}
			return
		}
	}
}

// runBatch runs rs in one transaction on conn. On error it returns the index in rs of
// the write that failed, or -1 if the transaction itself did, and leaves conn out of
// any transaction.
func runBatch(ctx context.Context, conn *pgx.Conn, rs []*commitReq) (failed int, err error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	channels, inboxes, devices := batchLocks(rs)
	if len(channels.apps) > 0 {
		b.Queue(lockChannelsQuery, channels.apps, channels.keys)
	}
	if len(inboxes.apps) > 0 {
		b.Queue(lockInboxesQuery, inboxes.apps, inboxes.keys)
	}
	if len(devices.apps) > 0 {
		b.Queue(lockDevicesQuery, devices.apps, devices.keys, devices.devices)
	}
	pre := len(b.QueuedQueries)
	for _, r := range rs {
		b.Queue(r.w.sql, r.w.args...)
	}
	b.Queue("COMMIT")

	br := conn.SendBatch(ctx, b)
	failed, err = readBatch(br, pre, rs)
	if cerr := br.Close(); err == nil && cerr != nil {
		failed, err = -1, fmt.Errorf("commit: %w", cerr)
	}
	if err != nil && conn.PgConn().TxStatus() != 'I' && !conn.IsClosed() {
		if _, rerr := conn.Exec(ctx, "ROLLBACK"); rerr != nil {
			conn.Close(ctx) // the pool drops a closed connection
		}
	}
	return failed, err
}

// readBatch reads runBatch's results in order, stopping at the first error.
func readBatch(br pgx.BatchResults, pre int, rs []*commitReq) (failed int, err error) {
	for i := range pre {
		if _, err := br.Exec(); err != nil {
			return -1, fmt.Errorf("lock counters (statement %d): %w", i, err)
		}
	}
	for i, r := range rs {
		rows, err := br.Query()
		if err == nil {
			err = r.w.read(rows)
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			return i, err
		}
	}
	if _, err := br.Exec(); err != nil {
		return -1, fmt.Errorf("commit: %w", formatError(err))
	}
	return -1, nil
}

// keyList is a list of row keys as parallel arrays, for unnest.
type keyList struct {
	apps          []int64
	keys, devices []string
}

// batchLocks returns the channel and inbox counters and the device rows the writes of
// rs take, once each. Their order does not matter: the lock statements sort them.
func batchLocks(rs []*commitReq) (channels, inboxes, devices keyList) {
	seen := map[lockKey]bool{}
	add := func(l *keyList, ks []lockKey) {
		for _, k := range ks {
			if !seen[k] {
				seen[k] = true
				l.apps, l.keys = append(l.apps, k.app), append(l.keys, k.key)
			}
		}
	}
	for _, r := range rs {
		add(&channels, r.w.channels)
	}
	clear(seen)
	for _, r := range rs {
		add(&inboxes, r.w.inboxes)
	}
	type appDevice struct {
		app int64
		store.DeviceKey
	}
	seenDevice := map[appDevice]bool{}
	for _, r := range rs {
		for _, d := range r.w.devices {
			if k := (appDevice{r.w.app, d}); !seenDevice[k] {
				seenDevice[k] = true
				devices.apps = append(devices.apps, r.w.app)
				devices.keys, devices.devices = append(devices.keys, d.UserID), append(devices.devices, d.DeviceID)
			}
		}
	}
	return channels, inboxes, devices
}

// lockChannelsQuery and lockInboxesQuery take counters in the global order. A counter
// that does not exist yet is created at 0, so the write after it counts from 1 as it
// would alone; no write in a batch that commits fails, so no such row is left at 0.
// PostgreSQL takes the rows in the order the SELECT gives them, as createMessageQuery
// relies on too. "WHERE false" updates nothing, so no new row version is written, but
// ON CONFLICT DO UPDATE locks every conflicting row all the same (INSERT, "ON
// CONFLICT Clause": "all rows will be locked when the ON CONFLICT DO UPDATE action is
// taken").
const (
	lockChannelsQuery = `
		INSERT INTO channels (sdk_app_id, channel, last_seq)
		SELECT a, k, 0 FROM unnest($1::bigint[], $2::text[]) AS l (a, k) ORDER BY a, k
		ON CONFLICT (sdk_app_id, channel) DO UPDATE SET last_seq = channels.last_seq WHERE false`
	lockInboxesQuery = `
		INSERT INTO inboxes (sdk_app_id, user_id, last_seq)
		SELECT a, k, 0 FROM unnest($1::bigint[], $2::text[]) AS l (a, k) ORDER BY a, k
		ON CONFLICT (sdk_app_id, user_id) DO UPDATE SET last_seq = inboxes.last_seq WHERE false`
	// lockDevicesQuery takes device rows in IncrementBadges' order.
	lockDevicesQuery = `
		SELECT 1 FROM devices
		WHERE (sdk_app_id, user_id, device_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]))
		ORDER BY sdk_app_id, user_id, device_id
		FOR NO KEY UPDATE`
)

// isRetryable reports a deadlock or serialization failure (Appendix A, class 40).
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
