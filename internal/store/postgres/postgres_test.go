package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/postgres"
	"github.com/herald-im/herald/internal/store/storetest"
)

// testURL names the database the tests use, from HERALD_TEST_POSTGRES; without it
// they are skipped.
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("HERALD_TEST_POSTGRES")
	if url == "" {
		tb.Skip("HERALD_TEST_POSTGRES not set")
	}
	return url
}

func TestDB(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}

// MustOpenDB opens a DB in a fresh schema, closed and dropped at cleanup.
func MustOpenDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	return MustOpenDBURL(tb, testURL(tb))
}

// MustOpenDBURL is MustOpenDB with the database at url (the test database, with
// settings added).
func MustOpenDBURL(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "herald_test_" + hex.EncodeToString(b[:])
	db, err := postgres.OpenSchema(ctx, url, schema)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		conn, err := pgx.Connect(ctx, testURL(tb))
		if err != nil {
			tb.Fatalf("connect to drop schema: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Fatalf("drop schema: %v", err)
		}
	})
	return db
}

func TestOpenSchema_Reopen(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if err := db.CreateApp(ctx, &store.App{SDKAppID: 1, Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	// Opening the same schema again applies no migration twice and sees the data.
	var schema string
	if err := db.QueryRowForTest(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	db2, err := postgres.OpenSchema(ctx, testURL(t), schema)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	a, err := db2.FindAppByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "kept" {
		t.Fatalf("Name = %q, want %q", a.Name, "kept")
	}
	var n int
	if err := db2.QueryRowForTest(ctx, `SELECT count(*) FROM migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Every migration file once: a count that does not depend on how many there are.
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Fatalf("migrations recorded = %d, want %d (one per file)", n, len(files))
	}
}

func TestOpen_MaxConns(t *testing.T) {
	url := testURL(t)
	t.Run("Default", func(t *testing.T) {
		db := MustOpenDBURL(t, url)
		if got, want := db.MaxConnsForTest(), postgres.DefaultMaxConns(); got != want {
			t.Fatalf("MaxConns = %d, want DefaultMaxConns() = %d", got, want)
		}
		if got := postgres.DefaultMaxConns(); got < 16 {
			t.Fatalf("DefaultMaxConns() = %d, want at least 16", got)
		}
	})
	t.Run("SetByURL", func(t *testing.T) {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		db := MustOpenDBURL(t, url+sep+"pool_max_conns=3")
		if got := db.MaxConnsForTest(); got != 3 {
			t.Fatalf("MaxConns = %d, want 3 as the URL says", got)
		}
	})
}

// A server setting in the URL, such as synchronous_commit (docs/performance.md), is
// sent with every connection of the pool and applies to its sessions.
func TestOpen_SynchronousCommitInURL(t *testing.T) {
	url := testURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, want := range []string{"off", "local"} {
		db := MustOpenDBURL(t, url+sep+"synchronous_commit="+want)
		var got string
		if err := db.QueryRowForTest(context.Background(), `SHOW synchronous_commit`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("synchronous_commit = %q with %q in the URL, want %q", got, want, want)
		}
	}
}
