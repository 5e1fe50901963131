package pipeline_test

import (
	"io"
	"os"
)

// testLogOut is where the tests' pipelines log: nowhere, unless HERALD_TEST_LOG is set.
func testLogOut() io.Writer {
	if os.Getenv("HERALD_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
