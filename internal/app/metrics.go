package app

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/webhook"
)

// nodeMetrics are the collectors a node owns itself: what it sees at its HTTP server
// and in the hooks between its parts. The parts' own collectors (pipeline, webhook,
// bus) are registered beside them by newRegistry. docs/metrics.md lists them all.
type nodeMetrics struct {
	httpSeconds *prometheus.HistogramVec
	stored      *prometheus.CounterVec
	delivered   prometheus.Counter
	retries     *prometheus.CounterVec
}

func newNodeMetrics() *nodeMetrics {
	n := &nodeMetrics{
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route (the pattern that matched, e.g. \"POST /v1/admin/messages\"; \"unmatched\" for none) and status code. WebSocket sessions are not counted.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "code"}),
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_messages_stored_total",
			Help: "Chat messages stored by this node, by conversation type (c2c, group); online-only messages are not stored.",
		}, []string{"type"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_messages_delivered_total",
			Help: "Messages handed to this node's WebSocket sessions of a recipient: one per message and recipient user holding a session here, however many of the user's devices are connected.",
		}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_push_retries_total",
			Help: "Vendor tries after the first, counted when a push gets its final answer (accepted, refused or given up), by vendor: a push accepted at its third try adds 2.",
		}, []string{"vendor"}),
	}
	for _, t := range []store.ConvType{store.TypeC2C, store.TypeGroup} {
		n.stored.WithLabelValues(string(t))
	}
	for _, v := range push.Vendors {
		n.retries.WithLabelValues(string(v))
	}
	return n
}

// newRegistry returns the registry /metrics serves: the Go and process collectors,
// the parts' collectors and the node's own.
func (m *Main) newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.MustRegister(pipeline.Collectors()...)
	r.MustRegister(webhook.Collectors()...)
	r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "herald_gateway_sessions", Help: "WebSocket sessions this node holds (logged in).",
	}, func() float64 { return float64(m.Hub.Sessions()) }))
	r.MustRegister(m.metrics.httpSeconds, m.metrics.stored, m.metrics.delivered, m.metrics.retries)
	// The consumers pipeline.Open and webhook.Open create.
	r.MustRegister(m.Bus.QueueCollector(
		bus.Queue{Label: "push_plan", Stream: pipeline.StreamName, Consumer: "planner"},
		bus.Queue{Label: "push_send", Stream: pipeline.StreamName, Consumer: "sender"},
		bus.Queue{Label: "webhook", Stream: webhook.StreamName, Consumer: "dispatcher"},
	))
	return r
}

// instrument times every request h answers under the route pattern that matched it.
// A nil n serves h as it is.
func (n *nodeMetrics) instrument(h http.Handler) http.Handler {
	if n == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			// A WebSocket lives for the session: its length is no latency.
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		// Each ServeMux on the way sets r.Pattern on this request, so it ends as the
		// innermost match ("POST /v1/admin/messages", not "/v1/admin/").
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		n.httpSeconds.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	})
}

// statusWriter records the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer (read deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countStored counts each stored message, then calls next.
func (n *nodeMetrics) countStored(next im.StoredFunc) im.StoredFunc {
	return func(ctx context.Context, msg *store.Message, ds []store.Delivery, how im.SentHow) {
		n.stored.WithLabelValues(string(msg.Type)).Inc()
		next(ctx, msg, ds, how)
	}
}

// countRetries counts the tries after the first of each final answer, then calls
// next, if set.
func (n *nodeMetrics) countRetries(next func(context.Context, []pipeline.Answer)) func(context.Context, []pipeline.Answer) {
	return func(ctx context.Context, as []pipeline.Answer) {
		for _, a := range as {
			if a.Attempts > 1 {
				n.retries.WithLabelValues(string(a.Vendor)).Add(float64(a.Attempts - 1))
			}
		}
		if next != nil {
			next(ctx, as)
		}
	}
}

// messageEventPrefix starts every routed message event: im.Event's first field is
// its kind (metrics_internal_test.go checks it).
var messageEventPrefix = []byte(`{"kind":"` + im.EventMessage + `"`)

// deliveryCounter is the bus as the gateway's hub sees it, counting the message
// events that reach this node's sessions. The hub subscribes once per user with a
// session here, so each count is one message for one user.
type deliveryCounter struct {
	*bus.Bus
	delivered prometheus.Counter
}

// Subscribe subscribes handler to subject, counting message events on the way.
func (d deliveryCounter) Subscribe(subject string, handler func(data []byte)) (func(), error) {
	return d.Bus.Subscribe(subject, func(data []byte) {
		if bytes.HasPrefix(data, messageEventPrefix) {
			d.delivered.Inc()
		}
		handler(data)
	})
}
