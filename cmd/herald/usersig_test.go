package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/auth"
)

func TestUserSigCommand(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1764028800, 0)
	cmd := &UserSigCommand{Stdout: &out, Now: func() time.Time { return now }}
	key := "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	err := cmd.Run(context.Background(), []string{"--sdkappid", "1400000001", "--key", key, "--user", "alice", "--expire", "60"})
	if err != nil {
		t.Fatal(err)
	}
	sig := strings.TrimSpace(out.String())
	if err := auth.VerifyUserSig(1400000001, key, "alice", sig, now.Add(time.Minute)); err != nil {
		t.Errorf("printed sig does not verify: %v", err)
	}
	if err := auth.VerifyUserSig(1400000001, key, "alice", sig, now.Add(2*time.Minute)); err == nil {
		t.Error("printed sig must expire after --expire")
	}
	if err := cmd.Run(context.Background(), []string{"--user", "alice"}); err == nil {
		t.Error("missing --sdkappid and --key must fail")
	}
}
