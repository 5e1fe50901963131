package pipeline

import "github.com/prometheus/client_golang/prometheus"

// The pipeline's collectors; register them with Collectors.
var (
	decisionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_push_decisions_total",
		Help: "Devices considered for a push, by the rule that decided.",
	}, []string{"decision"})
	resultsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_push_results_total",
		Help: "Vendor answers per token, by vendor and outcome.",
	}, []string{"vendor", "outcome"})
	sendSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "herald_push_send_seconds",
		Help:    "Time of one vendor request.",
		Buckets: prometheus.DefBuckets,
	}, []string{"vendor"})
)

// Collectors returns the pipeline's metrics, for the node's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{decisionsTotal, resultsTotal, sendSeconds, unackedTotal}
}
