package bus

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// queueInfoTimeout bounds the JetStream calls of one scrape, per queue.
const queueInfoTimeout = 2 * time.Second

// Queue names one durable consumer of a work queue, whose backlog QueueCollector
// reports under the label Label.
type Queue struct {
	Label    string // the metrics' queue label, e.g. "push_send"
	Stream   string // the stream's name before namespacing (as given to EnsureWorkQueue)
	Consumer string // the durable consumer's name
}

var (
	queueDepthDesc = prometheus.NewDesc("herald_queue_depth",
		"Jobs in a work queue not acknowledged yet: waiting to be taken, in hand, or waiting for a retry (cluster-wide: every node reports the same queue).",
		[]string{"queue", "state"}, nil)
	queueAgeDesc = prometheus.NewDesc("herald_queue_oldest_age_seconds",
		"Age of the oldest job in a work queue not acknowledged yet (a retry waiting for its backoff counts); 0 when the queue is empty.",
		[]string{"queue"}, nil)
	queueRedeliveredDesc = prometheus.NewDesc("herald_queue_redelivered",
		"Jobs in hand that were delivered more than once (a retry, or a crashed node's job taken over).",
		[]string{"queue"}, nil)
)

// QueueCollector returns a Prometheus collector that asks JetStream, at each scrape,
// for the backlog of each queue: its depth (herald_queue_depth, state "pending" not
// yet delivered and "in_hand" delivered but not acknowledged), the age of its oldest
// job and its redelivered jobs. A queue whose stream or consumer does not exist (yet),
// or that JetStream does not answer for within 2s, is left out of that scrape.
func (b *Bus) QueueCollector(queues ...Queue) prometheus.Collector {
	return &queueCollector{b: b, queues: queues, now: time.Now}
}

type queueCollector struct {
	b      *Bus
	queues []Queue
	now    func() time.Time
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueAgeDesc
	ch <- queueRedeliveredDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queues {
		ctx, cancel := context.WithTimeout(context.Background(), queueInfoTimeout)
		st, err := c.b.queueState(ctx, q, c.now())
		cancel()
		if err != nil {
			c.b.logger.Debug("queue metrics", "queue", q.Label, "err", err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(st.pending), q.Label, "pending")
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(st.inHand), q.Label, "in_hand")
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, st.oldest.Seconds(), q.Label)
		ch <- prometheus.MustNewConstMetric(queueRedeliveredDesc, prometheus.GaugeValue, float64(st.redelivered), q.Label)
	}
}

// queueState is one queue's backlog at one time.
type queueState struct {
	pending, inHand, redelivered int
	oldest                       time.Duration
}

// queueState asks JetStream for q's consumer info and its oldest unacknowledged job.
func (b *Bus) queueState(ctx context.Context, q Queue, now time.Time) (queueState, error) {
	stream, err := b.js.Stream(ctx, b.StreamName(q.Stream))
	if err != nil {
		return queueState{}, err
	}
	cons, err := stream.Consumer(ctx, q.Consumer)
	if err != nil {
		return queueState{}, err
	}
	// Consumer has just fetched the info.
	info := cons.CachedInfo()
	st := queueState{pending: int(info.NumPending), inHand: info.NumAckPending, redelivered: info.NumRedelivered}
	if st.pending+st.inHand == 0 {
		return st, nil
	}
	// A work queue removes a job once acknowledged: the first message of the
	// consumer's subject past its ack floor is its oldest job.
	var opts []jetstream.GetMsgOpt
	if info.Config.FilterSubject != "" {
		opts = append(opts, jetstream.WithGetMsgSubject(info.Config.FilterSubject))
	}
	msg, err := stream.GetMsg(ctx, info.AckFloor.Stream+1, opts...)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return st, nil
	}
	if err != nil {
		return queueState{}, err
	}
	st.oldest = max(0, now.Sub(msg.Time))
	return st, nil
}
