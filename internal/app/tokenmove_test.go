package app_test

import (
	"fmt"
	"testing"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// TestPush_TokenHijack: a user binding a token another user's phone holds is recorded
// in both users' device history, is limited per hour, and is refused outright when the
// app requires the holder to have logged out on that device.
func TestPush_TokenHijack(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenPushNode(t, kind)
		ctx := ctxT(t)
		cert := n.certs[push.Xiaomi]
		n.MustImport("alice", "mallory", "carol", "dave", "erin")

		// The commercial semantics: the token moves, but the move is on record.
		alice := MustLogin(t, n.node, "alice", "phone-a", "Android")
		victim := n.phone(push.Xiaomi)
		if err := alice.SetOfflinePushConfig(ctx, cert, victim); err != nil {
			t.Fatal(err)
		}
		mallory := MustLogin(t, n.node, "mallory", "m1", "Android")
		if err := mallory.SetOfflinePushConfig(ctx, cert, victim); err != nil {
			t.Fatalf("move under the default policy: %v", err)
		}
		var self struct {
			TokenMoves []struct {
				Token      string
				FromUser   string `json:"from_user"`
				FromDevice string `json:"from_device"`
				ToUser     string `json:"to_user"`
				ToDevice   string `json:"to_device"`
			} `json:"token_moves"`
		}
		n.adminJSON("GET", "/v1/admin/users/alice/devices", nil, &self)
		if len(self.TokenMoves) != 1 {
			t.Fatalf("alice's history: %+v", self.TokenMoves)
		}
		if m := self.TokenMoves[0]; m.FromUser != "alice" || m.FromDevice != "phone-a" || m.ToUser != "mallory" || m.ToDevice != "m1" || m.Token == victim {
			t.Errorf("move on record: %+v (token must be redacted)", m)
		}

		// At most MaxTokenMovesPerHour takes per user.
		for i := 1; ; i++ {
			owner := MustLogin(t, n.node, "carol", fmt.Sprintf("c%d", i), "Android")
			tok := n.phone(push.Xiaomi)
			if err := owner.SetOfflinePushConfig(ctx, cert, tok); err != nil {
				t.Fatal(err)
			}
			err := mallory.SetOfflinePushConfig(ctx, cert, tok)
			if i < im.MaxTokenMovesPerHour {
				if err != nil {
					t.Fatalf("move %d: %v", i+1, err)
				}
				continue
			}
			if errCode(err) != 40005 {
				t.Fatalf("move %d = %v, want 40005 rate_limited", i+1, err)
			}
			break
		}

		// after_logout: a logged-in holder keeps its token, on any device ID.
		n.adminJSON("POST", "/v1/admin/app/settings", map[string]any{"token_moves": "after_logout"}, nil)
		dave := MustLogin(t, n.node, "dave", "shared", "Android")
		tok := n.phone(push.Xiaomi)
		if err := dave.SetOfflinePushConfig(ctx, cert, tok); err != nil {
			t.Fatal(err)
		}
		erinElsewhere := MustLogin(t, n.node, "erin", "e1", "Android")
		if err := erinElsewhere.SetOfflinePushConfig(ctx, cert, tok); errCode(err) != 40301 {
			t.Fatalf("take from a logged-in device = %v, want 40301", err)
		}
		if err := dave.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		waitDeviceState(t, n.node, "dave", "shared", store.LoggedOut)
		// The phone changes hands: erin logs in on dave's logged-out device.
		erin := MustLogin(t, n.node, "erin", "shared", "Android")
		if err := erin.SetOfflinePushConfig(ctx, cert, tok); err != nil {
			t.Fatalf("take from the same device after logout: %v", err)
		}
		var settings struct {
			TokenMoves string `json:"token_moves"`
		}
		n.adminJSON("GET", "/v1/admin/app/settings", nil, &settings)
		if settings.TokenMoves != "after_logout" {
			t.Errorf("settings token_moves = %q", settings.TokenMoves)
		}
		n.adminErr("POST", "/v1/admin/app/settings", map[string]any{"token_moves": "whatever"}, 400, 40001)
	})
}
