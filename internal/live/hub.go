package live

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
)

// hub is the in-process fan-out both brokers share: it holds this process's
// subscriptions by school and hands each event to the ones whose filter matches.
type hub struct {
	buffer int

	mu       sync.RWMutex
	closed   bool
	bySchool map[int]map[*Subscription]struct{}

	open, delivered, dropped atomic.Int64
}

func newHub(buffer int) *hub {
	return &hub{buffer: buffer, bySchool: map[int]map[*Subscription]struct{}{}}
}

// subscribe adds a subscription, ended when ctx is done.
func (h *hub) subscribe(ctx context.Context, schoolID int, f report.Filter) (*Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan *ent.Event, h.buffer)
	s := &Subscription{C: ch, ch: ch, schoolID: schoolID, filter: f, hub: h}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrShutdown
	}
	subs := h.bySchool[schoolID]
	if subs == nil {
		subs = map[*Subscription]struct{}{}
		h.bySchool[schoolID] = subs
	}
	subs[s] = struct{}{}
	h.open.Add(1)
	h.mu.Unlock()
	s.watch(ctx)
	return s, nil
}

// remove forgets an ended subscription.
func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.bySchool[s.schoolID]
	if _, ok := subs[s]; !ok {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.bySchool, s.schoolID)
	}
	h.open.Add(-1)
}

// watching reports whether any subscription of the school is open.
func (h *hub) watching(schoolID int) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.bySchool[schoolID]) > 0
}

// schools returns the schools with open subscriptions.
func (h *hub) schools() []int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]int, 0, len(h.bySchool))
	for id := range h.bySchool {
		out = append(out, id)
	}
	return out
}

// endAll ends every open subscription with err; with shutdown set, the hub takes no
// new subscriptions afterwards.
func (h *hub) endAll(err error, shutdown bool) {
	h.mu.Lock()
	if shutdown {
		h.closed = true
	}
	var all []*Subscription
	for _, subs := range h.bySchool {
		for s := range subs {
			all = append(all, s)
		}
	}
	h.bySchool = map[int]map[*Subscription]struct{}{}
	h.open.Add(-int64(len(all)))
	h.mu.Unlock()
	for _, s := range all {
		if s.finish(err) && !shutdown {
			h.dropped.Add(1)
		}
	}
}

// stats fills the hub's counters into st.
func (h *hub) stats(st *Stats) {
	st.Delivered = h.delivered.Load()
	st.Dropped = h.dropped.Load()
	st.Open = h.open.Load()
}

// deliverPaced hands events to the matching subscriptions like deliver, but waits up to
// patience for a full buffer to make room before ending a subscription with
// ErrSlowSubscriber. A catch-up after a reconnect delivers in one burst what arrived
// over the whole outage, often more than a buffer holds; a subscriber reading at its
// usual pace keeps up with that when given a moment, and must not lose its feed for it.
// Only the listener goroutine waits here, never ingestion.
func (h *hub) deliverPaced(ctx context.Context, events []*ent.Event, patience time.Duration) {
	h.mu.RLock()
	subs := map[int][]*Subscription{}
	for _, e := range events {
		if _, ok := subs[e.SchoolID]; !ok {
			for s := range h.bySchool[e.SchoolID] {
				subs[e.SchoolID] = append(subs[e.SchoolID], s)
			}
		}
	}
	h.mu.RUnlock()
	for _, e := range events {
		for _, s := range subs[e.SchoolID] {
			if !s.filter.Matches(e) {
				continue
			}
			if s.sendWait(ctx, e, patience) {
				h.delivered.Add(1)
			} else if s.finish(ErrSlowSubscriber) {
				h.dropped.Add(1)
				h.remove(s)
			}
		}
	}
}
