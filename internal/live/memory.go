package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
)

// memory is the broker of a single process (SQLite): Publish queues the loaded events
// and one fan-out goroutine hands them to the subscriptions, in the order they were
// published, so that a request never waits for a subscriber.
type memory struct {
	client   *ent.Client
	dialect  string
	hub      *hub
	health   *healthHub
	patience time.Duration

	mu      sync.Mutex
	queue   [][]*ent.Event
	wake    chan struct{}
	stop    context.CancelFunc
	stopped chan struct{}
}

func newMemory(db *store.DB, opts Options) *memory {
	ctx, stop := context.WithCancel(context.Background())
	m := &memory{client: db.Client, dialect: db.Dialect, hub: newHub(opts.Buffer), health: newHealthHub(), patience: opts.Patience,
		wake: make(chan struct{}, 1), stop: stop, stopped: make(chan struct{})}
	go m.fanOut(ctx)
	return m
}

// Publish loads the events again with their user and sync profile, once for every
// subscriber (as the PostgreSQL broker does), and queues them for the matching
// subscriptions without waiting for any. Schools nobody watches cost nothing. After
// Close there is nobody left to deliver to, and it does nothing.
func (m *memory) Publish(ctx context.Context, events []*ent.Event) error {
	ctx = context.WithoutCancel(ctx)
	for _, batch := range bySchool(events) {
		if !m.hub.watching(batch.schoolID) {
			continue
		}
		loaded, err := load(ctx, m.client, m.dialect, batch.schoolID, batch.ids)
		if err != nil {
			return fmt.Errorf("live: %w", err)
		}
		m.mu.Lock()
		m.queue = append(m.queue, loaded)
		m.mu.Unlock()
		select {
		case m.wake <- struct{}{}:
		default: // already woken
		}
	}
	return nil
}

// fanOut delivers the queued batches in order until ctx ends, waiting up to the
// broker's patience for a subscriber whose buffer is full.
func (m *memory) fanOut(ctx context.Context) {
	defer close(m.stopped)
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		}
		for {
			m.mu.Lock()
			if len(m.queue) == 0 {
				m.mu.Unlock()
				break
			}
			batch := m.queue[0]
			m.queue[0] = nil
			m.queue = m.queue[1:]
			m.mu.Unlock()
			m.hub.deliverPaced(ctx, batch, m.patience)
		}
	}
}

// Subscribe adds a subscription to the school's matching events.
func (m *memory) Subscribe(ctx context.Context, schoolID int, f report.Filter) (*Subscription, error) {
	return m.hub.subscribe(ctx, schoolID, f)
}

// Stats returns the broker's counters.
func (m *memory) Stats() Stats {
	var st Stats
	m.hub.stats(&st)
	return st
}

// Close ends every subscription with ErrShutdown.
func (m *memory) Close() error {
	m.hub.endAll(ErrShutdown, true)
	m.stop()
	<-m.stopped
	m.health.endAll(ErrShutdown)
	return nil
}

// PublishHealth hands c to the school's health subscribers.
func (m *memory) PublishHealth(_ context.Context, c HealthChange) error {
	m.health.deliver(c)
	return nil
}

// SubscribeHealth adds a subscription to the school's health changes.
func (m *memory) SubscribeHealth(ctx context.Context, schoolID int) (*HealthSubscription, error) {
	return m.health.subscribe(ctx, schoolID)
}
