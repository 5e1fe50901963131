package app_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAdminAPI_HidesAdminIdentifier: a caller with a wrong identifier (and no valid
// UserSig) is refused without learning the admin's identifier.
func TestAdminAPI_HidesAdminIdentifier(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	var e json.RawMessage
	if st := n.adminAs("mallory", "garbage", "GET", "/v1/admin/users/alice/devices", nil, &e); st != 403 {
		t.Fatalf("status %d: %s", st, e)
	}
	if strings.Contains(string(e), "administrator") {
		t.Errorf("the refusal names the admin: %s", e)
	}
}
