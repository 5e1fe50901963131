// Package bustest runs a private NATS server with JetStream for tests that need to
// stop and restart it (an outage), which the shared server and the embedded bus cannot.
package bustest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// StartNATS starts a NATS server with JetStream keeping its streams in dir, on port
// (0: a free one), shut down when the test ends. Starting it again with the same dir
// and port is the same server back after an outage.
func StartNATS(tb testing.TB, dir string, port int) *server.Server {
	tb.Helper()
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		tb.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats not ready")
	}
	tb.Cleanup(srv.Shutdown)
	return srv
}
