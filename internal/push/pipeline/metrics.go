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
	duplicatesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_push_duplicates_possible_total",
		Help: "Pushes sent again after a crash cut off a try that may have reached the vendor, by vendor.",
	}, []string{"vendor"})
	expiredTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_push_expired_total",
		Help: "Pushes given up because their TTL ran out before a vendor took them, by vendor.",
	}, []string{"vendor"})
	directTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "herald_push_direct_total",
		Help: "Pushes sent by their planner at once, not through a send job (a small plan whose certificate could take it).",
	})
	sweptTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "herald_push_swept_total",
		Help: "Stored messages whose planning was queued again by the sweep (the first queueing was lost).",
	})
	parkedCerts = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "herald_push_certificate_parked",
		Help: "1 while a certificate is parked because its vendor is down or refuses its credentials, by certificate and reason.",
	}, []string{"certificate", "vendor", "reason"})
)

// Collectors returns the pipeline's metrics, for the node's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{decisionsTotal, resultsTotal, sendSeconds, duplicatesTotal, expiredTotal, directTotal, sweptTotal, parkedCerts, unackedTotal, recallsQueuedTotal}
}
