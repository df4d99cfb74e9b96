package live

import (
	"context"
	"fmt"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
)

// memory is the broker of a single process (SQLite): Publish fans out directly.
type memory struct {
	client *ent.Client
	hub    *hub
	health *healthHub
}

func newMemory(db *store.DB, opts Options) *memory {
	return &memory{client: db.Client, hub: newHub(opts.Buffer), health: newHealthHub()}
}

// Publish loads the events again with their user and sync profile, once for every
// subscriber (as the PostgreSQL broker does), and hands them to the matching
// subscriptions without waiting for any. Schools nobody watches cost nothing. After
// Close there is nobody left to deliver to, and it does nothing.
func (m *memory) Publish(ctx context.Context, events []*ent.Event) error {
	ctx = context.WithoutCancel(ctx)
	for _, batch := range bySchool(events) {
		if !m.hub.watching(batch.schoolID) {
			continue
		}
		loaded, err := load(ctx, m.client, batch.schoolID, batch.ids)
		if err != nil {
			return fmt.Errorf("live: %w", err)
		}
		m.hub.deliver(loaded)
	}
	return nil
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
