package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestAppCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	cmd := &AppCommand{Stdout: &out}
	if err := cmd.Run(ctx, []string{"create", "--data", dir, "--sdkappid", "1400000077", "--name", "second"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SDKAppID:   1400000077") || !strings.Contains(out.String(), "Secret key: ") {
		t.Errorf("create printed:\n%s", out.String())
	}
	if err := cmd.Run(ctx, []string{"create", "--data", dir, "--sdkappid", "1400000077"}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second create with the same ID: %v", err)
	}
	out.Reset()
	if err := cmd.Run(ctx, []string{"list", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1400000077") || !strings.Contains(out.String(), "second") {
		t.Errorf("list printed:\n%s", out.String())
	}
	if err := cmd.Run(ctx, []string{"drop"}); err == nil {
		t.Error("an unknown subcommand must fail")
	}
}
