package live

import (
	"context"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
)

// memory is the broker of a single process (SQLite): Publish fans out directly.
type memory struct {
	hub *hub
}

func newMemory(opts Options) *memory {
	return &memory{hub: newHub(opts.Buffer)}
}

// Publish hands the events to the matching subscriptions; it never waits for them.
// After Close there is nobody left to deliver to, and it does nothing.
func (m *memory) Publish(_ context.Context, events []*ent.Event) error {
	m.hub.deliver(events)
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
	return nil
}
