package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testPushTaskIDs(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for i, id := range []string{"task-a", "task-b", "task-c"} {
		must(t, "CreatePushTask", s.CreatePushTask(ctx, &store.PushTask{SDKAppID: appA, ID: id, Status: store.TaskQueued, CreatedAt: at(i)}))
	}
	must(t, "CreatePushTask", s.CreatePushTask(ctx, &store.PushTask{SDKAppID: appB, ID: "task-other", Status: store.TaskQueued, CreatedAt: at(9)}))
	ids, err := s.FindPushTaskIDs(ctx, appA, 0)
	must(t, "FindPushTaskIDs", err)
	assertEqual(t, "FindPushTaskIDs", ids, []string{"task-c", "task-b", "task-a"})
	ids, err = s.FindPushTaskIDs(ctx, appA, 2)
	must(t, "FindPushTaskIDs", err)
	assertEqual(t, "FindPushTaskIDs limit 2", ids, []string{"task-c", "task-b"})
}
