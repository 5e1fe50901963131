package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// BenchmarkDB_LoginDevices writes batches of 64 first logins, as a burst of new
// connections does; ns/op is per batch.
func BenchmarkDB_LoginDevices(b *testing.B) {
	db := MustOpenDB(b)
	ctx := context.Background()
	const batch = 64
	now := time.Now()
	n := 0
	for b.Loop() {
		logins := make([]*store.Login, batch)
		for i := range logins {
			user := fmt.Sprint("u", n)
			n++
			logins[i] = &store.Login{SDKAppID: 1400000001, UserID: user, DeviceID: "d-" + user, Platform: store.Android,
				Session: "n1/" + user, At: now, Policy: store.OnePerPlatform}
		}
		if _, err := db.LoginDevices(ctx, logins); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/login")
}
