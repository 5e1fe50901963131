package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store/sqlite"
)

// The WAL is copied into the database in the background, not only by a writer's
// commit that crosses SQLite's threshold: 2 MiB of writes (500 pages, half the
// default threshold) reach the database file without another write.
func TestOpen_CheckpointsInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ExecForTest(ctx, "CREATE TABLE ballast (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	row := strings.Repeat("x", 4000)
	for range 500 {
		if err := db.ExecForTest(ctx, "INSERT INTO ballast VALUES (?)", row); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path) < before+2_000_000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 10 s (%d before 2 MB of writes): the WAL was not checkpointed", fileSize(t, path), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
