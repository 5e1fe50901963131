package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testSearchMessages(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	sendC2C(t, s, textMessage(appA, "alice", "bob", 1))
	sendC2C(t, s, textMessage(appA, "bob", "carol", 2))
	sendGroup(t, s, groupMessage(appA, "dave", "g1", 3), "dave", "bob", "erin")
	sendC2C(t, s, textMessage(appA, "alice", "carol", 4))
	sendC2C(t, s, textMessage(appB, "alice", "bob", 5)) // another app
	ids := func(ms []*store.Message) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, test := range []struct {
		name string
		f    store.MessageSearch
		want []string
	}{
		{"All", store.MessageSearch{}, []string{"alice-carol-4", "g1-dave-3", "bob-carol-2", "alice-bob-1"}},
		{"User", store.MessageSearch{UserID: "bob"}, []string{"g1-dave-3", "bob-carol-2", "alice-bob-1"}},
		{"Channel", store.MessageSearch{Channel: store.C2CChannel("carol", "alice")}, []string{"alice-carol-4"}},
		{"UserAndChannel", store.MessageSearch{UserID: "erin", Channel: store.GroupChannel("g1")}, []string{"g1-dave-3"}},
		{"Time", store.MessageSearch{Since: at(2), Until: at(4)}, []string{"g1-dave-3", "bob-carol-2"}},
		{"Limit", store.MessageSearch{Limit: 1}, []string{"alice-carol-4"}},
		{"None", store.MessageSearch{UserID: "zoe"}, []string{}},
	} {
		t.Run(test.name, func(t *testing.T) {
			f := test.f
			f.SDKAppID = appA
			ms, err := s.SearchMessages(ctx, f)
			must(t, "SearchMessages", err)
			assertEqual(t, "SearchMessages "+test.name, ids(ms), test.want)
		})
	}
}
