package vendorsim_test

import (
	"os/exec"
	"strings"
	"testing"
)

// senders are the vendor sender packages a simulator must never depend on.
var senders = []string{"apns", "fcm", "honor", "huawei", "meizu", "oppo", "vivo", "xiaomi"}

// TestSimulatorsImportNoSender guards the simulators' independence: a simulator that
// imports its sender's constants or functions (directly or through another package) agrees
// with the sender's mistakes. The vendor-neutral internal/push package is allowed. Only the
// interop harness's own tests (internal/vendorsim/simulate, test build) drive real senders.
func TestSimulatorsImportNoSender(t *testing.T) {
	pkgs, err := exec.Command("go", "list", "github.com/herald-im/herald/internal/vendorsim/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	list := strings.Fields(string(pkgs))
	if len(list) < 10 {
		t.Fatalf("found only %d vendorsim packages: the go list pattern is wrong", len(list))
	}
	for _, pkg := range list {
		args := []string{"list", "-deps", "-test", pkg}
		if strings.HasSuffix(pkg, "/vendorsim/simulate") {
			args = []string{"list", "-deps", pkg} // its tests are the interop suite
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, v := range senders {
				if dep == "github.com/herald-im/herald/internal/push/"+v {
					t.Errorf("%s depends on the sender package %s: re-derive it from vendors.md", pkg, dep)
				}
			}
		}
	}
}
