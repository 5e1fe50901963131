package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-im/herald/client"
)

// C2C defaults.
const (
	DefaultPairs    = 100
	DefaultDuration = 10 * time.Second
	DefaultDrain    = 15 * time.Second
)

// textPrefix starts every benchmark message; the send time in Unix nanoseconds follows.
const textPrefix = "bench t="

// C2CConfig configures RunC2C. The zero value of each field means its default.
type C2CConfig struct {
	// Pairs is how many sender-receiver pairs of online users there are. Default 100.
	Pairs int
	// Duration is how long the senders send. Default 10s.
	Duration time.Duration
	// Drain bounds the wait, after sending stops, for messages still on their way.
	// Default 15s.
	Drain time.Duration
	// Logger reports progress. Default: discard.
	Logger *slog.Logger
}

// C2CResult is what RunC2C measured.
type C2CResult struct {
	Pairs      int
	Sent       int64 // messages the server accepted
	SendErrors int64
	FirstError string
	Received   int64 // messages the receivers got (each counted once)
	// Elapsed runs from the first send to the last message received.
	Elapsed time.Duration
	// Rate is Received per second of Elapsed: end-to-end messages per second.
	Rate float64
	// Latency is from just before SendMessage to the receiver's OnNewMessage.
	LatencyP50, LatencyP90, LatencyP99, LatencyMax time.Duration
	// Send is the sender's SendMessage round trip (stored and answered).
	SendP50, SendP99 time.Duration
}

// receiver counts what one receiving client got.
type receiver struct {
	mu        sync.Mutex // protects the fields below
	latencies []time.Duration
	last      time.Time
	bad       int
}

func (r *receiver) onMessage(m *client.Message) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(m.Elements) == 0 {
		r.bad++
		return
	}
	ns, err := strconv.ParseInt(strings.TrimPrefix(m.Elements[0].Text, textPrefix), 10, 64)
	if err != nil {
		r.bad++
		return
	}
	r.latencies = append(r.latencies, now.Sub(time.Unix(0, ns)))
	r.last = now
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.latencies)
}

// RunC2C logs in c.Pairs pairs of users with the client SDK; each sender sends text
// messages to its receiver, one at a time, for c.Duration. It measures delivery end to
// end: every accepted message must reach its receiver.
func RunC2C(ctx context.Context, t Target, c C2CConfig) (*C2CResult, error) {
	if _, err := t.parse(); err != nil {
		return nil, err
	}
	if c.Pairs <= 0 {
		c.Pairs = DefaultPairs
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.Drain <= 0 {
		c.Drain = DefaultDrain
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	prefix := t.prefix()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	senders := make([]*client.Client, c.Pairs)
	receivers := make([]*receiver, c.Pairs)
	var clients []*client.Client
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var loginErr error
	login := func(user string, l client.Listener) *client.Client {
		cl := client.New(client.Config{URL: t.URL, SDKAppID: t.SDKAppID, DeviceID: "d-" + user, Platform: "Android", Listener: l, Logger: quiet})
		sig, err := t.userSig(user)
		if err == nil {
			lctx, cancel := context.WithTimeout(ctx, callTimeout)
			err = cl.Login(lctx, user, sig)
			cancel()
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if loginErr == nil {
				loginErr = fmt.Errorf("login %s: %w", user, err)
			}
			return nil
		}
		clients = append(clients, cl)
		return cl
	}
	for i := range c.Pairs {
		receivers[i] = &receiver{}
		wg.Add(2)
		go func() {
			defer wg.Done()
			login(fmt.Sprintf("%s_r%d", prefix, i), client.Listener{OnNewMessage: receivers[i].onMessage})
		}()
		go func() {
			defer wg.Done()
			senders[i] = login(fmt.Sprintf("%s_s%d", prefix, i), client.Listener{})
		}()
	}
	wg.Wait()
	if loginErr != nil {
		return nil, loginErr
	}
	logger.Info("pairs logged in", "pairs", c.Pairs)

	res := &C2CResult{Pairs: c.Pairs}
	var sent, sendErrs atomic.Int64
	var firstErr atomic.Value
	rtts := make([][]time.Duration, c.Pairs)
	start := time.Now()
	sendCtx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	for i := range c.Pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := fmt.Sprintf("%s_r%d", prefix, i)
			for sendCtx.Err() == nil {
				t0 := time.Now()
				msg := client.NewTextMessage(textPrefix + strconv.FormatInt(t0.UnixNano(), 10))
				// The send itself is not cut short by the end of the window: a message
				// the server stored must be counted, and then delivered.
				if _, err := senders[i].SendMessage(ctx, msg, to, "", "", false, nil); err != nil {
					sendErrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				rtts[i] = append(rtts[i], time.Since(t0))
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	res.Sent, res.SendErrors = sent.Load(), sendErrs.Load()
	if v := firstErr.Load(); v != nil {
		res.FirstError = v.(string)
	}
	logger.Info("sending stopped", "sent", res.Sent, "errors", res.SendErrors)

	// Wait for the messages still on their way.
	deadline := time.Now().Add(c.Drain)
	for {
		var got int64
		for _, r := range receivers {
			got += int64(r.count())
		}
		res.Received = got
		if got >= res.Sent || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	var lat, send []time.Duration
	var last time.Time
	for i, r := range receivers {
		r.mu.Lock()
		lat = append(lat, r.latencies...)
		if r.last.After(last) {
			last = r.last
		}
		r.mu.Unlock()
		send = append(send, rtts[i]...)
	}
	if !last.IsZero() {
		res.Elapsed = last.Sub(start)
		res.Rate = float64(res.Received) / res.Elapsed.Seconds()
	}
	sortDurations(lat)
	sortDurations(send)
	res.LatencyP50, res.LatencyP90, res.LatencyP99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	if len(lat) > 0 {
		res.LatencyMax = lat[len(lat)-1]
	}
	res.SendP50, res.SendP99 = percentile(send, 50), percentile(send, 99)
	return res, nil
}
