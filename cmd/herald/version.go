package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// VersionCommand prints the module version and the VCS commit the binary was built from
// (runtime/debug.ReadBuildInfo: `go install …@v1.2.3` records the version, a build in a
// git checkout the commit).
type VersionCommand struct {
	Stdout io.Writer // default os.Stdout
}

// Run runs `herald version`.
func (c *VersionCommand) Run(ctx context.Context, args []string) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if len(args) != 0 {
		return fmt.Errorf("herald version takes no arguments")
	}
	fmt.Fprintln(out, versionString())
	return nil
}

// versionString is "herald VERSION (commit REV[, modified], GOVERSION)".
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "herald (unknown version: built without module support)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	rev, modified := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += ", modified"
	}
	return fmt.Sprintf("herald %s (commit %s, %s)", version, rev, bi.GoVersion)
}

// Usage describes the command.
func (c *VersionCommand) Usage() string {
	return `  herald version | herald --version
      Print the version and commit the binary was built from.
`
}
