package bus

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SetQueueCollectorNow sets the clock of a collector from QueueCollector.
func SetQueueCollectorNow(c prometheus.Collector, now func() time.Time) {
	c.(*queueCollector).now = now
}
