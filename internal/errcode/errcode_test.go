package errcode_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/errcode"
)

// TestCodes_Documented keeps docs/protocol.md's table in step with the codes.
func TestCodes_Documented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range errcode.Codes() {
		if c == errcode.OK {
			continue
		}
		row := fmt.Sprintf("| %d | `%s` | %d |", int(c), c.Name(), c.HTTPStatus())
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/protocol.md lacks the row %q", row)
		}
	}
}

func TestOf(t *testing.T) {
	cause := errors.New("disk on fire")
	tests := []struct {
		err      error
		code     errcode.Code
		msgWants string
	}{
		{nil, errcode.OK, ""},
		{cause, errcode.Internal, "internal error"},
		{errcode.Errorf(errcode.UserNotFound, "no %s", "zoe"), errcode.UserNotFound, "no zoe"},
		{fmt.Errorf("send: %w", errcode.Wrap(errcode.GroupNotFound, cause, "no group")), errcode.GroupNotFound, "no group"},
	}
	for _, tt := range tests {
		code, msg := errcode.Of(tt.err)
		if code != tt.code || msg != tt.msgWants {
			t.Errorf("Of(%v) = %d %q, want %d %q", tt.err, code, msg, tt.code, tt.msgWants)
		}
	}
	if w := errcode.Wrap(errcode.Internal, cause, "x"); !errors.Is(w, cause) {
		t.Error("Wrap must keep the cause for errors.Is")
	}
}
