package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testCertificateOutcomes(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	rec := func(app, cert int64, outcome, reason string, n int) *store.PushRecord {
		return &store.PushRecord{SDKAppID: app, MessageID: "m", UserID: "bob", DeviceID: "d", Decision: "push",
			Vendor: "xiaomi", CertificateID: cert, Outcome: outcome, Reason: reason, CreatedAt: at(n)}
	}
	must(t, "CreatePushRecords", s.CreatePushRecords(ctx, []*store.PushRecord{
		rec(appA, 1, "accepted", "", 1),
		rec(appA, 1, "failed", "old error", 2),
		rec(appA, 1, "accepted", "", 3),
		rec(appA, 1, "quota_exceeded", "over the daily cap", 4),
		rec(appA, 2, "auth_expired", "401", 5),
		rec(appA, 3, "queued", "", 6),   // neither a success nor an error
		rec(appA, 4, "accepted", "", 0), // before the window
		rec(appB, 1, "failed", "another app", 7),
	}))
	got, err := s.FindCertificateOutcomes(ctx, appA, at(1))
	must(t, "FindCertificateOutcomes", err)
	want := []*store.CertificateOutcome{
		{CertificateID: 1, LastSuccess: at(3), LastError: at(4), LastErrorOutcome: "quota_exceeded", LastErrorReason: "over the daily cap"},
		{CertificateID: 2, LastError: at(5), LastErrorOutcome: "auth_expired", LastErrorReason: "401"},
	}
	if len(got) != len(want) {
		t.Fatalf("FindCertificateOutcomes: %d certificates, want %d: %s", len(got), len(want), dump(got))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.CertificateID != w.CertificateID || !g.LastSuccess.Equal(w.LastSuccess) || !g.LastError.Equal(w.LastError) ||
			g.LastErrorOutcome != w.LastErrorOutcome || g.LastErrorReason != w.LastErrorReason {
			t.Errorf("FindCertificateOutcomes[%d]:\n got %s\nwant %s", i, dump(g), dump(w))
		}
	}
}
