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

func TestAppCommand_Show(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	var out bytes.Buffer
	cmd := &AppCommand{Stdout: &out}
	if err := cmd.Run(ctx, []string{"create", "--data", dir, "--sdkappid", "1400000078", "--key", key, "--name", "shop", "--admin", "ops"}); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		out.Reset()
		if err := cmd.Run(ctx, []string{"show", "--data", dir, "1400000078"}); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{"SDKAppID:        1400000078", "Name:            shop", "Admin:           ops", "Device policy:   per_platform", "--reveal-secret"} {
			if !strings.Contains(got, want) {
				t.Errorf("show printed no %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, key) {
			t.Errorf("show without --reveal-secret printed the key:\n%s", got)
		}
	})
	t.Run("OKReveal", func(t *testing.T) {
		// The flag may come after the SDKAppID too.
		for _, args := range [][]string{
			{"show", "--data", dir, "--reveal-secret", "1400000078"},
			{"show", "--data", dir, "1400000078", "--reveal-secret"},
			{"show", "--data", dir, "--reveal-secret", "--sdkappid", "1400000078"},
		} {
			out.Reset()
			if err := cmd.Run(ctx, args); err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if got := out.String(); !strings.Contains(got, "Secret key:      "+key) || !strings.Contains(got, "herald usersig --sdkappid 1400000078 --key "+key+" --user ops") {
				t.Errorf("%v printed:\n%s", args, got)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"show", "--data", dir, "1400000099"}, "no app with SDKAppID 1400000099"},
			{[]string{"show", "--data", dir, "shop"}, `"shop" is not an SDKAppID`},
			{[]string{"show", "--data", dir}, "usage: herald app show"},
			{[]string{"show", "--data", dir, "1400000078", "extra"}, `unexpected "extra"`},
			{[]string{"show", "--data", dir, "--sdkappid", "1400000079", "1400000078"}, "two SDKAppIDs"},
		} {
			out.Reset()
			err := cmd.Run(ctx, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
			}
			if strings.Contains(out.String(), key) {
				t.Errorf("%v printed the key", tt.args)
			}
		}
	})
}
