package pipeline_test

import (
	"testing"

	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
)

func TestCountTask(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []*store.PushCount
		want pipeline.TaskCounts
	}{
		{"Empty", nil, pipeline.TaskCounts{}},
		{"Mixed", []*store.PushCount{
			{Decision: "foreground", Count: 2},
			{Decision: "logged_out", Count: 1},
			{Decision: "no_certificate", Count: 1},
			{Decision: "push", Outcome: "accepted", Count: 5},
			{Decision: "push", Outcome: "auth_expired", Count: 1},
			{Decision: "push", Outcome: "invalid_token", Count: 2},
			{Decision: "push", Outcome: "queued", Count: 3},
		}, pipeline.TaskCounts{Pushed: 11, Queued: 3, Accepted: 5, Failed: 3, Skipped: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pipeline.CountTask(tc.in); got != tc.want {
				t.Errorf("CountTask(%s) = %+v, want %+v", tc.name, got, tc.want)
			}
		})
	}
}
