package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testTokenMove(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	moves := []*store.TokenMove{
		{SDKAppID: appA, CertificateID: 1, Token: "abcd…", FromUser: "alice", FromDevice: "p", ToUser: "bob", ToDevice: "p", CreatedAt: at(1)},
		{SDKAppID: appA, CertificateID: 1, Token: "efgh…", FromUser: "carol", FromDevice: "q", ToUser: "bob", ToDevice: "q", CreatedAt: at(2)},
		{SDKAppID: appA, CertificateID: 1, Token: "abcd…", FromUser: "bob", FromDevice: "p", ToUser: "dave", ToDevice: "p", CreatedAt: at(3)},
		{SDKAppID: appB, CertificateID: 2, Token: "zzzz…", FromUser: "x", FromDevice: "p", ToUser: "bob", ToDevice: "p", CreatedAt: at(4)},
	}
	must(t, "CreateTokenMoves", s.CreateTokenMoves(ctx, moves))
	if moves[0].ID == 0 || moves[0].ID == moves[1].ID {
		t.Fatalf("IDs not assigned: %d %d", moves[0].ID, moves[1].ID)
	}
	got, err := s.FindTokenMoves(ctx, store.TokenMoveFilter{SDKAppID: appA, UserID: "bob"})
	must(t, "FindTokenMoves", err)
	if len(got) != 3 || got[0].ToUser != "dave" || got[2].FromUser != "alice" || got[2].CreatedAt != at(1) || got[2].Token != "abcd…" {
		t.Fatalf("moves of bob = %s, want 3 newest first", dump(got))
	}
	got, err = s.FindTokenMoves(ctx, store.TokenMoveFilter{SDKAppID: appA, UserID: "bob", ToUser: true, Since: ptr(at(2))})
	must(t, "FindTokenMoves to since", err)
	if len(got) != 1 || got[0].FromUser != "carol" {
		t.Fatalf("moves to bob since 2 s = %s, want carol's", dump(got))
	}
	got, err = s.FindTokenMoves(ctx, store.TokenMoveFilter{SDKAppID: appA, UserID: "bob", Limit: 1})
	must(t, "FindTokenMoves limit", err)
	if len(got) != 1 {
		t.Fatalf("limit 1 gave %d", len(got))
	}
}
