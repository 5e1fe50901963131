package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		m := NewMain()
		m.commands["version"] = &VersionCommand{Stdout: &out}
		if err := m.Run(context.Background(), args); err != nil {
			t.Fatal(err)
		}
		if s := out.String(); !strings.HasPrefix(s, "herald ") || !strings.Contains(s, "commit ") || !strings.Contains(s, runtime.Version()) {
			t.Errorf("%v printed %q", args, s)
		}
	}
	if err := (&VersionCommand{}).Run(context.Background(), []string{"x"}); err == nil {
		t.Error("herald version x must fail")
	}
}
