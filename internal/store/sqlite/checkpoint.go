package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints. In WAL mode a commit appends pages to the WAL; a checkpoint copies them
// into the database file and fsyncs it. SQLite's default runs the checkpoint inside
// the commit that crosses 1,000 pages, on the writer: every write queued behind that
// commit waits for the copy and the fsync (a quarter of a lone one-to-one message's
// store time in BenchmarkDB_CreateMessage). Instead, a connection of its own
// checkpoints PASSIVE (it never blocks the writer or the readers) every
// checkpointEvery, on the other core. The writer still checkpoints by itself past
// writerCheckpointPages, should the background fall behind.
const (
	checkpointEvery       = 200 * time.Millisecond
	writerCheckpointPages = 10000 // 40 MiB of WAL at 4 KiB pages
)

// checkpointer runs PASSIVE checkpoints on conn until Close.
type checkpointer struct {
	conn   *sql.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(conn *sql.DB) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{conn: conn, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// A busy checkpoint (another one running) or an error is tried again at
			// the next tick; the writer's own threshold bounds the WAL meanwhile.
			var busy, log, done int
			_ = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
		}
	}()
	return c
}

// close stops the checkpoints and closes the connection.
func (c *checkpointer) close() error {
	c.cancel()
	<-c.done
	return c.conn.Close()
}
