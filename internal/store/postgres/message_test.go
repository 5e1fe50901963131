package postgres_test

import (
	"testing"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/storetest"
)

func BenchmarkDB_CreateMessage(b *testing.B) {
	storetest.BenchmarkCreateMessage(b, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}

func BenchmarkDB_FindInbox(b *testing.B) {
	storetest.BenchmarkFindInbox(b, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}
