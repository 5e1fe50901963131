package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/store"
)

// incoming is an event taken from the work queue, not yet acknowledged.
type incoming struct {
	q   queued
	msg jetstream.Msg
}

type batchKey struct {
	sdkAppID int64
	command  Command
}

// batch is the events of one request.
type batch struct {
	key    batchKey
	events []incoming
	due    time.Time // sent at the latest then
}

// batcher groups incoming events per app and command, and hands a batch to the
// workers when it is full or has waited Linger.
func (n *Notifier) batcher() {
	open := map[batchKey]*batch{}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// rearm sets the timer to the earliest due batch.
	rearm := func() {
		var next time.Time
		for _, b := range open {
			if next.IsZero() || b.due.Before(next) {
				next = b.due
			}
		}
		if next.IsZero() {
			timer.Reset(time.Hour)
			return
		}
		timer.Reset(max(0, time.Until(next)))
	}
	hand := func(b *batch) bool {
		delete(open, b.key)
		select {
		case n.batches <- b:
			return true
		case <-n.ctx.Done():
			return false
		}
	}
	for {
		select {
		case <-n.ctx.Done():
			return
		case in := <-n.incoming:
			k := batchKey{in.q.SDKAppID, in.q.Command}
			b := open[k]
			if b == nil {
				b = &batch{key: k, due: time.Now().Add(n.Linger)}
				open[k] = b
			}
			b.events = append(b.events, in)
			if len(b.events) >= n.MaxBatch && !hand(b) {
				return
			}
			rearm()
		case <-timer.C:
			now := time.Now()
			for _, b := range open {
				if !b.due.After(now) && !hand(b) {
					return
				}
			}
			rearm()
		}
	}
}

func (n *Notifier) worker() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case b := <-n.batches:
			n.deliver(b)
		}
	}
}

// retryError is a failed request worth trying again, after at least RetryAfter.
type retryError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *retryError) Error() string { return e.Err.Error() }
func (e *retryError) Unwrap() error { return e.Err }

// deliver posts one batch and acknowledges, retries or drops its events.
func (n *Notifier) deliver(b *batch) {
	cmd := string(b.key.command)
	a, err := n.apps.get(n.ctx, b.key.sdkAppID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (a.CallbackURL == "" || a.CallbackSecret == "")) {
		// The app, or its callback, went since the events were queued.
		for _, in := range b.events {
			n.ack(in.msg)
		}
		eventsTotal.WithLabelValues(cmd, "dropped").Add(float64(len(b.events)))
		return
	}
	var status int
	start := n.Now()
	if err != nil {
		err = &retryError{Err: fmt.Errorf("find app: %w", err)}
	} else {
		status, err = n.post(a, b)
	}
	took := n.Now().Sub(start)
	if err == nil {
		n.logDelivery(b, "delivered", status, nil, took)
		for _, in := range b.events {
			n.ack(in.msg)
		}
		batchesTotal.WithLabelValues(cmd, "delivered").Inc()
		eventsTotal.WithLabelValues(cmd, "delivered").Add(float64(len(b.events)))
		return
	}
	if n.ctx.Err() != nil {
		return // closing: the events come back after AckWait
	}
	batchesTotal.WithLabelValues(cmd, "failed").Inc()
	var re *retryError
	retry := errors.As(err, &re)
	var given int
	for _, in := range b.events {
		attempt := 1
		if md, err := in.msg.Metadata(); err == nil {
			attempt = int(md.NumDelivered)
		}
		if !retry || attempt >= n.MaxAttempts {
			if err := in.msg.Term(); err != nil {
				n.Logger.Warn("drop webhook event", "err", err)
			}
			given++
			continue
		}
		if err := in.msg.NakWithDelay(max(re.RetryAfter, n.backoff(attempt))); err != nil {
			n.Logger.Warn("requeue webhook event", "err", err)
		}
	}
	if given > 0 {
		eventsTotal.WithLabelValues(cmd, "given_up").Add(float64(given))
	}
	result := "retry"
	switch {
	case !retry:
		result = "failed"
	case given == len(b.events):
		result = "given_up"
	}
	n.logDelivery(b, result, status, err, took)
	n.Logger.Warn("webhook not delivered", "app", b.key.sdkAppID, "command", cmd, "events", len(b.events),
		"given_up", given, "retry", retry, "err", err)
}

// logDelivery records one request in the delivery log, if there is one. A log that
// fails is logged, never in the way of the delivery.
func (n *Notifier) logDelivery(b *batch, result string, status int, err error, took time.Duration) {
	if n.Log == nil {
		return
	}
	d := &store.WebhookDelivery{SDKAppID: b.key.sdkAppID, Command: string(b.key.command), Events: len(b.events),
		Result: result, HTTPStatus: status, Duration: took, CreatedAt: n.Now()}
	if err != nil {
		d.Error = err.Error()
	}
	if err := n.Log.CreateWebhookDelivery(n.ctx, d); err != nil && n.ctx.Err() == nil {
		n.Logger.Warn("webhook delivery log", "err", err)
	}
}

// post sends the batch's events to the app's callback URL, signed, and returns the
// answer's HTTP status (0 without one). It returns a *retryError for network errors,
// 5xx and 429.
func (n *Notifier) post(a *store.App, b *batch) (int, error) {
	u, err := url.Parse(a.CallbackURL)
	if err != nil {
		return 0, fmt.Errorf("callback url: %w", err)
	}
	q := u.Query()
	q.Set("SdkAppid", strconv.FormatInt(a.SDKAppID, 10))
	q.Set("CallbackCommand", string(b.key.command))
	q.Set("contenttype", "json")
	u.RawQuery = q.Encode()

	events := make([]json.RawMessage, len(b.events))
	for i, in := range b.events {
		events[i] = in.q.Event
	}
	body, err := json.Marshal(struct {
		Events []json.RawMessage `json:"Events"`
	}{events})
	if err != nil {
		return 0, fmt.Errorf("encode events: %w", err)
	}
	ts := n.Now().Unix()
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Herald-Webhook/1")
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(SignatureHeader, Sign(a.CallbackSecret, ts, body))
	res, err := n.HTTPClient.Do(req)
	if err != nil {
		// The error names the URL, which may carry a token: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, &retryError{Err: fmt.Errorf("post to %s: %w", u.Host, err)}
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return res.StatusCode, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return res.StatusCode, &retryError{RetryAfter: retryAfter(res.Header.Get("Retry-After"), n.Now()),
			Err: fmt.Errorf("post to %s: status %d", u.Host, res.StatusCode)}
	default:
		return res.StatusCode, fmt.Errorf("post to %s: status %d", u.Host, res.StatusCode)
	}
}

// retryAfter parses a Retry-After value, seconds or an HTTP date; 0 if absent or bad.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the wait after try attempt: exponential from MinBackoff, capped at
// MaxBackoff, with jitter so that receivers coming back are not flooded at once.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.MinBackoff << min(max(attempt-1, 0), 20)
	if d <= 0 || d > n.MaxBackoff {
		d = n.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (n *Notifier) ack(m jetstream.Msg) {
	if err := m.Ack(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		n.Logger.Warn("ack webhook event", "err", err)
	}
}
