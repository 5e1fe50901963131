package app_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHTTP_SlowBodiesReleased: on a node limited to 256 descriptors, 300 admin-API and
// /v4/ requests trickling their bodies cannot lock out /healthz: each is cut off at the
// body read deadline and its descriptor freed.
func TestHTTP_SlowBodiesReleased(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLowFDNode$", "-test.v")
	cmd.Env = append(os.Environ(), "HERALD_TEST_LOWFD_NODE=1")
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }()
	addr := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR="); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("the child node printed no address")
	}
	go func() {
		for sc.Scan() {
		}
	}()

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 300 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		path := "/v1/admin/accounts/import?sdkappid=1400000001&identifier=administrator&usersig=x"
		if i%2 == 1 {
			path = "/v4/im_open_login_svc/account_import?sdkappid=1400000001&identifier=administrator&usersig=x&random=1&contenttype=json"
		}
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", path)
	}
	go func() { // keep trickling, one byte every 300 ms
		for range 100 {
			time.Sleep(300 * time.Millisecond)
			for _, c := range conns {
				c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
				c.Write([]byte(" "))
			}
		}
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not answer within 15 s under 300 slow bodies: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The slow requests were cut off: their connections are closed by the node.
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					closed++
				}
				break
			}
		}
	}
	if closed < 250 {
		t.Errorf("%d of 300 slow-body connections closed by the node, want nearly all", closed)
	}
}

// TestHelperLowFDNode is the child of TestHTTP_SlowBodiesReleased: a node with 256
// descriptors and a 1 s body read deadline, serving until stdin closes.
func TestHelperLowFDNode(t *testing.T) {
	if os.Getenv("HERALD_TEST_LOWFD_NODE") == "" {
		t.Skip("run by TestHTTP_SlowBodiesReleased")
	}
	lim := syscall.Rlimit{Cur: 256, Max: 256}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	c := MustConfig(t, "sqlite")
	c.BodyReadTimeout = time.Second
	n := MustOpenNode(t, c)
	fmt.Printf("ADDR=%s\n", n.Addr())
	os.Stdin.Read(make([]byte, 1))
}
