// Package storetest is the conformance suite every store.Store implementation passes:
// each implementation's tests call Run with a function that opens an empty store.
package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// Opener opens a new, empty store for one test and arranges, with tb.Cleanup, for it
// to be closed and removed.
type Opener func(tb testing.TB) store.Store

// Run runs the whole suite against the stores open returns. Each subtest opens its
// own store.
func Run(t *testing.T, open Opener) {
	t.Run("App", func(t *testing.T) { testApp(t, open) })
	t.Run("Account", func(t *testing.T) { testAccount(t, open) })
	t.Run("Device", func(t *testing.T) { testDevice(t, open) })
	t.Run("LoginDevices", func(t *testing.T) { testLoginDevices(t, open) })
	t.Run("Message", func(t *testing.T) { testMessage(t, open) })
	t.Run("SearchMessages", func(t *testing.T) { testSearchMessages(t, open) })
	t.Run("CertificateOutcomes", func(t *testing.T) { testCertificateOutcomes(t, open) })
	t.Run("PushTaskIDs", func(t *testing.T) { testPushTaskIDs(t, open) })
	t.Run("WebhookDeliveries", func(t *testing.T) { testWebhookDeliveries(t, open) })
	t.Run("Conversation", func(t *testing.T) { testConversation(t, open) })
	t.Run("FanOut", func(t *testing.T) { testFanOut(t, open) })
	t.Run("RecvOpt", func(t *testing.T) { testRecvOpt(t, open) })
	t.Run("Group", func(t *testing.T) { testGroup(t, open) })
	t.Run("Certificate", func(t *testing.T) { testCertificate(t, open) })
	t.Run("PushToken", func(t *testing.T) { testPushToken(t, open) })
	t.Run("Badge", func(t *testing.T) { testBadge(t, open) })
	t.Run("PushRecord", func(t *testing.T) { testPushRecord(t, open) })
	t.Run("PushAttempts", func(t *testing.T) { testPushAttempts(t, open) })
	t.Run("UserTags", func(t *testing.T) { testUserTags(t, open) })
	t.Run("UserAttrs", func(t *testing.T) { testUserAttrs(t, open) })
	t.Run("Audience", func(t *testing.T) { testAudience(t, open) })
	t.Run("PushTask", func(t *testing.T) { testPushTask(t, open) })
	t.Run("PushQueue", func(t *testing.T) { testPushQueue(t, open) })
	t.Run("WithdrawQueue", func(t *testing.T) { testWithdrawQueue(t, open) })
	t.Run("Profile", func(t *testing.T) { testProfile(t, open) })
	t.Run("TokenMove", func(t *testing.T) { testTokenMove(t, open) })
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(context.Background()); err != nil {
			t.Fatalf("Ping() = %v, want nil", err)
		}
	})
}

// The two apps every test uses: rows of one must never show in the other.
const (
	appA int64 = 1400000001
	appB int64 = 1400000002
)

// t0 is the suite's clock origin, at the millisecond precision stores keep.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func ptr[T any](v T) *T { return &v }

// assertEqual fails tb when got and want differ, showing both.
func assertEqual[T any](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s:\n got %s\nwant %s", what, dump(got), dump(want))
	}
}

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// must fails tb if err is not nil.
func must(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}
