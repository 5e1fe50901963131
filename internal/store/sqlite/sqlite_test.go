package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/sqlite"
	"github.com/herald-im/herald/internal/store/storetest"
)

func TestDB(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}

func TestDB_Memory(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) store.Store { return MustOpenMemoryDB(tb) })
}

// MustOpenDB opens a database file in a temporary directory, closed at cleanup.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "herald.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// MustOpenMemoryDB opens an in-memory database, closed at cleanup.
func MustOpenMemoryDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestOpen_Reopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateApp(ctx, &store.App{SDKAppID: 1, Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	// In WAL mode a write leaves a -wal file beside the database.
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("stat wal file: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening again applies no migration twice and keeps the data.
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	a, err := db.FindAppByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "kept" {
		t.Fatalf("Name = %q, want %q", a.Name, "kept")
	}
}

func TestOpen_ErrPath(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "db")); err == nil {
		t.Fatal("Open(missing directory) = nil error, want an error")
	}
}
