package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/client"
)

// BenchmarkSend_C2C sends b.N one-to-one text messages through a node, end to end with
// the client SDK: each of 8 senders sends to its own online receiver, one message at a
// time, and the benchmark ends when every receiver has got every message. It reports
// end-to-end msgs/s and the latency from send to the receiver's OnNewMessage.
func BenchmarkSend_C2C(b *testing.B) {
	for _, kind := range storeKinds() {
		b.Run(kind, func(b *testing.B) { benchmarkSendC2C(b, kind, 8) })
	}
}

// BenchmarkSend_C2C_OnePair is BenchmarkSend_C2C with a single pair: the latency of one
// message at a time, with no concurrency to hide it.
func BenchmarkSend_C2C_OnePair(b *testing.B) {
	for _, kind := range storeKinds() {
		b.Run(kind, func(b *testing.B) { benchmarkSendC2C(b, kind, 1) })
	}
}

func benchmarkSendC2C(b *testing.B, kind string, pairs int) {
	n := MustOpenNode(b, MustConfig(b, kind))
	var received atomic.Int64
	var latMu sync.Mutex
	var latSum time.Duration
	done := make(chan struct{}, 1)
	var want atomic.Int64
	senders := make([]*client.Client, pairs)
	for i := range pairs {
		rx := fmt.Sprintf("rx%d", i)
		r := client.New(client.Config{
			URL: n.wsURL(), SDKAppID: testAppID, DeviceID: "d-" + rx,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Listener: client.Listener{OnNewMessage: func(m *client.Message) {
				var sent time.Time
				if err := sent.UnmarshalText([]byte(m.Elements[0].Text)); err == nil {
					latMu.Lock()
					latSum += time.Since(sent)
					latMu.Unlock()
				}
				if received.Add(1) == want.Load() {
					done <- struct{}{}
				}
			}},
		})
		mustLoginClient(b, r, rx)
		tx := fmt.Sprintf("tx%d", i)
		senders[i] = client.New(client.Config{URL: n.wsURL(), SDKAppID: testAppID, DeviceID: "d-" + tx, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		mustLoginClient(b, senders[i], tx)
	}

	want.Store(int64(b.N))
	var next atomic.Int64
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := fmt.Sprintf("rx%d", i)
			for next.Add(1) <= int64(b.N) {
				text, _ := time.Now().MarshalText()
				if _, err := senders[i].SendMessage(ctx, client.NewTextMessage(string(text)), to, "", "", false, nil); err != nil {
					b.Errorf("send: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatalf("received %d of %d messages", received.Load(), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	latMu.Lock()
	b.ReportMetric(float64(latSum.Microseconds())/1000/float64(b.N), "ms/msg-latency")
	latMu.Unlock()
}

func mustLoginClient(tb testing.TB, c *client.Client, user string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Login(ctx, user, sig(tb, user)); err != nil {
		tb.Fatalf("login %s: %v", user, err)
	}
	tb.Cleanup(func() { c.Close() })
}
