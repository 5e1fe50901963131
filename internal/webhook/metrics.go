package webhook

import "github.com/prometheus/client_golang/prometheus"

// The notifier's collectors; register them with Collectors.
var (
	batchesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_webhook_batches_total",
		Help: "Webhook requests, by command and outcome: delivered (2xx) or failed (retried or given up).",
	}, []string{"command", "outcome"})
	eventsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_webhook_events_total",
		Help: "Webhook events, by command and outcome: delivered, given_up (after the last try, or refused by the receiver) or dropped (buffer full, or the callback was removed).",
	}, []string{"command", "outcome"})
)

// Collectors returns the notifier's metrics, for the node's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{batchesTotal, eventsTotal}
}
