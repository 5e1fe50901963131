// Package cluster knows which nodes of a deployment are alive, so that the devices of
// a node that died without a word (kill -9, a power cut, a partition) are not taken
// for connected: a device "online" on a dead node gets its pushes, and the messages
// that node wrote to it without an acknowledgement are pushed too.
//
// Each node runs under an incarnation ID, its node ID and a random suffix
// ("eu-1~3f9a…"), which names its sessions in the device records ("eu-1~3f9a…/17"),
// and beats into a JetStream key-value bucket of the deployment every Beat. Every
// node watches the bucket: an incarnation is alive while its beats keep coming, dead
// DeadAfter after its last one, and gone once a node has reaped it (its devices marked
// disconnected) and deleted its key. A node restarted under the same node ID is a new
// incarnation, so the sessions of the one that was killed are known dead at once.
//
// When the bucket cannot be watched (NATS is down), every session counts as alive:
// Herald then behaves as if it had no liveness at all, never worse.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of Liveness's fields.
const (
	// BucketName is the key-value bucket of beats, under the deployment's namespace.
	BucketName = "HERALD_NODES"
	// DefaultBeat is how often a node beats.
	DefaultBeat = 5 * time.Second
	// DefaultDeadAfter is how long after its last beat a node counts as dead: three
	// beats, so that a slow moment is not a death.
	DefaultDeadAfter = 3 * DefaultBeat
)

// Bus is what Liveness needs of internal/bus.
type Bus interface {
	JetStream() jetstream.JetStream
	StreamName(name string) string
}

// Liveness beats for this node and tells whether other nodes' sessions are alive.
type Liveness struct {
	// Beat and DeadAfter: see the defaults. Set before Open.
	Beat, DeadAfter time.Duration
	// OnDead, when set, is called (in its own goroutine) with each incarnation found
	// dead, to reap its devices: by one node of those that found it (the first to
	// mark its key), and again only if that node died too. It must be safe to repeat.
	// The incarnation's key is deleted when it returns nil.
	OnDead func(ctx context.Context, incarnation string) error
	Logger *slog.Logger

	self   string
	kv     jetstream.KeyValue
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// stopped: Stop played dead; Close then leaves the key for others to reap.
	stopped bool

	mu       sync.Mutex           // protects the fields below
	lastBeat map[string]time.Time // incarnation → when its last beat was seen
	revision map[string]uint64    // incarnation → its key's revision then
	marked   map[string]bool      // incarnations whose key holds a reaper's mark: dead
	reaping  map[string]bool
	watching bool      // the watch is up and has delivered the bucket's contents
	lastSeen time.Time // when the watch last proved alive (a beat of ours came back)
}

// New returns a Liveness for node nodeID, with a fresh incarnation.
func New(nodeID string) *Liveness {
	var b [6]byte
	rand.Read(b[:])
	return &Liveness{
		Beat: DefaultBeat, DeadAfter: DefaultDeadAfter, Logger: slog.Default(),
		self:     nodeID + "~" + hex.EncodeToString(b[:]),
		lastBeat: map[string]time.Time{}, revision: map[string]uint64{}, marked: map[string]bool{}, reaping: map[string]bool{},
	}
}

// Self is this node's incarnation ID: the gateway names its sessions under it.
func (l *Liveness) Self() string { return l.self }

// Open creates the bucket if needed, beats once and starts beating and watching.
func (l *Liveness) Open(ctx context.Context, b Bus) error {
	kv, err := b.JetStream().CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  b.StreamName(BucketName),
		History: 1,
		// A key nobody reaped (every node of the deployment gone) expires by itself.
		TTL:     24 * time.Hour,
		Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("node liveness bucket: %w", err)
	}
	l.kv = kv
	if err := l.beat(ctx); err != nil {
		return err
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		l.beatLoop()
	}()
	go func() {
		defer l.wg.Done()
		l.watchLoop()
	}()
	return nil
}

// Close stops beating and deletes this incarnation's key: a node shut down cleanly
// has disconnected its devices itself.
func (l *Liveness) Close() error {
	if l.cancel == nil || l.stopped {
		return nil
	}
	l.cancel()
	l.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := l.kv.Delete(ctx, l.key(l.self)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete node beat: %w", err)
	}
	return nil
}

// Stop stops beating without a word, as a killed node would: for tests.
func (l *Liveness) Stop() {
	if l.cancel != nil {
		l.cancel()
		l.wg.Wait()
		l.stopped = true
	}
}

// Alive reports whether session (as "incarnation/session", a device's NodeID) belongs
// to a node that is alive. An empty session is alive (no claim either way).
func (l *Liveness) Alive(session string) bool {
	if session == "" {
		return true
	}
	inc, _, _ := strings.Cut(session, "/")
	if inc == l.self {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.watching || time.Since(l.lastSeen) > l.DeadAfter {
		return true // our view is stale: claim nothing
	}
	t, ok := l.lastBeat[inc]
	return ok && !l.marked[inc] && time.Since(t) <= l.DeadAfter
}

// key is the bucket key of an incarnation (keys allow only a few characters).
func (l *Liveness) key(incarnation string) string {
	return hex.EncodeToString([]byte(incarnation))
}

func (l *Liveness) beat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := l.kv.Put(ctx, l.key(l.self), []byte(strconv.FormatInt(time.Now().UnixMilli(), 10))); err != nil {
		return fmt.Errorf("node beat: %w", err)
	}
	return nil
}

func (l *Liveness) beatLoop() {
	t := time.NewTicker(l.Beat)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		if err := l.beat(l.ctx); err != nil && l.ctx.Err() == nil {
			l.Logger.Warn("node beat", "err", err)
		}
		l.findDead()
	}
}

// watchLoop keeps lastBeat up to date from the bucket, watching again after a NATS
// outage.
func (l *Liveness) watchLoop() {
	for l.ctx.Err() == nil {
		if err := l.watch(); err != nil && l.ctx.Err() == nil {
			l.Logger.Warn("watch node beats", "err", err)
		}
		l.mu.Lock()
		l.watching = false
		l.mu.Unlock()
		select {
		case <-l.ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (l *Liveness) watch() error {
	w, err := l.kv.WatchAll(l.ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	initial := true
	for {
		select {
		case <-l.ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			l.mu.Lock()
			switch {
			case e == nil: // the bucket's contents are in
				initial = false
				l.watching, l.lastSeen = true, time.Now()
			default:
				raw, err := hex.DecodeString(e.Key())
				inc := string(raw)
				switch {
				case err != nil:
				case e.Operation() != jetstream.KeyValuePut:
					delete(l.lastBeat, inc)
					delete(l.revision, inc)
					delete(l.marked, inc)
					delete(l.reaping, inc)
				case initial:
					// What was there before: its last beat is when it was written.
					l.lastBeat[inc], l.revision[inc] = e.Created(), e.Revision()
					l.marked[inc] = string(e.Value()) == reapingMark
				default:
					// A beat, or a reaper's mark: if this is found dead again, whoever
					// reaped it last may have died too, so it is reaped again (reaping
					// twice does no harm).
					l.lastBeat[inc], l.revision[inc] = time.Now(), e.Revision()
					l.marked[inc] = string(e.Value()) == reapingMark
					delete(l.reaping, inc)
				}
				if inc == l.self && !initial {
					l.lastSeen = time.Now()
				}
			}
			l.mu.Unlock()
		}
	}
}

// findDead hands each incarnation dead for DeadAfter to OnDead, once.
func (l *Liveness) findDead() {
	if l.OnDead == nil {
		return
	}
	dead := map[string]uint64{}
	l.mu.Lock()
	if l.watching && time.Since(l.lastSeen) <= l.DeadAfter {
		for inc, t := range l.lastBeat {
			if inc != l.self && time.Since(t) > l.DeadAfter && !l.reaping[inc] {
				l.reaping[inc] = true
				dead[inc] = l.revision[inc]
			}
		}
	}
	l.mu.Unlock()
	for inc, rev := range dead {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.reap(inc, rev)
		}()
	}
}

// reapingMark is what a reaper writes into a dead incarnation's key: the write makes
// it one reaper's, keeps it dead for Alive, and times a re-reap if the reaper dies.
const reapingMark = "reaping"

// reap reaps a dead incarnation whose key is at revision rev. The key is first
// written "reaping" at that revision, so that of the nodes that found it dead one
// reaps it; a reaper that dies meanwhile has made that write its last beat, and the
// incarnation is found dead, and reaped, again.
func (l *Liveness) reap(inc string, rev uint64) {
	if _, err := l.kv.Update(l.ctx, l.key(inc), []byte(reapingMark), rev); err != nil {
		return // another node reaps it, or it beat again
	}
	l.Logger.Warn("node found dead: its devices are disconnected and their unacknowledged messages pushed", "incarnation", inc)
	if err := l.OnDead(l.ctx, inc); err != nil {
		if l.ctx.Err() == nil {
			l.Logger.Warn("reap dead node", "incarnation", inc, "err", err)
		}
		l.mu.Lock()
		delete(l.reaping, inc) // found dead again, and tried again, after DeadAfter
		l.mu.Unlock()
		return
	}
	if err := l.kv.Delete(l.ctx, l.key(inc)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && l.ctx.Err() == nil {
		l.Logger.Warn("delete dead node's beat", "incarnation", inc, "err", err)
	}
}
