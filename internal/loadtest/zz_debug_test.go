package loadtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/herald-im/herald/protocol"
)

func TestZZDebugPhases(t *testing.T) {
	url := os.Getenv("ZZ_URL")
	if url == "" {
		t.Skip()
	}
	tg := Target{URL: url, SDKAppID: 1400000098, Key: "benchkey0123456789"}
	u, _ := tg.parse()
	var sig, dial, login time.Duration
	n := 300
	for i := range n {
		user := fmt.Sprintf("zz%d_%d", time.Now().UnixNano(), i)
		t0 := time.Now()
		s, _ := tg.userSig(user)
		t1 := time.Now()
		w, err := dialWS(context.Background(), u, nil)
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		var lr protocol.LoginResponse
		if err := w.call(protocol.OpLogin, protocol.LoginRequest{SDKAppID: tg.SDKAppID, UserID: user, UserSig: s, Platform: "Android", DeviceID: "d"}, &lr, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		t3 := time.Now()
		sig += t1.Sub(t0)
		dial += t2.Sub(t1)
		login += t3.Sub(t2)
		defer w.Close()
	}
	t.Logf("per login: sig %v dial %v login %v", sig/time.Duration(n), dial/time.Duration(n), login/time.Duration(n))
}
