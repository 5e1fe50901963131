package sqlite_test

import (
	"testing"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/storetest"
)

func BenchmarkDB_IncrementBadges(b *testing.B) {
	storetest.BenchmarkIncrementBadges(b, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}

func BenchmarkDB_UpdatePushRecords(b *testing.B) {
	storetest.BenchmarkUpdatePushRecords(b, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}

func BenchmarkDB_PushRecordLife(b *testing.B) {
	storetest.BenchmarkPushRecordLife(b, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}

func BenchmarkDB_ReadsWhileWriting(b *testing.B) {
	storetest.BenchmarkReadsWhileWriting(b, func(tb testing.TB) store.Store { return MustOpenDB(tb) })
}
