package bus

import (
	"hash/fnv"
	"sync"

	"github.com/nats-io/nats.go"
)

// Subscriptions share a few dispatch goroutines instead of the goroutine nats.go starts
// for every asynchronous subscription: a node holds one subscription per connected user,
// and a goroutine each (8 KiB of stack or more) is most of a connection's cost. A subject
// always goes to the same shard, so one subject's messages keep their order.
const (
	dispatchShards = 8
	// shardBuffer is how many messages a shard queues; beyond it NATS reports a slow
	// consumer and drops, as it would for a slow subscription of its own.
	shardBuffer = 8192
)

type dispatcher struct {
	shards [dispatchShards]chan *nats.Msg

	mu       sync.RWMutex // protects handlers
	handlers map[*nats.Subscription]func([]byte)

	stop chan struct{}
	wg   sync.WaitGroup
}

func newDispatcher() *dispatcher {
	d := &dispatcher{handlers: map[*nats.Subscription]func([]byte){}, stop: make(chan struct{})}
	for i := range d.shards {
		d.shards[i] = make(chan *nats.Msg, shardBuffer)
		d.wg.Add(1)
		go d.run(d.shards[i])
	}
	return d
}

func (d *dispatcher) run(ch chan *nats.Msg) {
	defer d.wg.Done()
	for {
		select {
		case <-d.stop:
			return
		case m := <-ch:
			d.mu.RLock()
			h := d.handlers[m.Sub]
			d.mu.RUnlock()
			if h != nil {
				h(m.Data)
			}
		}
	}
}

// subscribe subscribes subject into its shard and registers handler for it.
func (d *dispatcher) subscribe(conn *nats.Conn, subject string, handler func([]byte)) (*nats.Subscription, error) {
	h := fnv.New32a()
	h.Write([]byte(subject))
	shard := d.shards[h.Sum32()%dispatchShards]
	// Hold the lock across the subscribe so that a message arriving at once finds its
	// handler.
	d.mu.Lock()
	defer d.mu.Unlock()
	sub, err := conn.ChanSubscribe(subject, shard)
	if err != nil {
		return nil, err
	}
	d.handlers[sub] = handler
	return sub, nil
}

func (d *dispatcher) unsubscribe(sub *nats.Subscription) {
	// The only error is a subscription already gone with its closed connection.
	_ = sub.Unsubscribe()
	d.mu.Lock()
	delete(d.handlers, sub)
	d.mu.Unlock()
}

// close stops the dispatch goroutines; call it once the connection is closed.
func (d *dispatcher) close() {
	close(d.stop)
	d.wg.Wait()
}
