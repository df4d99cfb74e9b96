package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// HealthChange is a change of one sync profile's health status, announced by the one
// replica that recorded it (see the alert package) and delivered to the school's
// subscribers on every replica.
type HealthChange struct {
	SchoolID  int       `json:"school"`
	ProfileID int       `json:"profile"`
	Status    string    `json:"status"`
	Previous  string    `json:"previous,omitempty"`
	ChangedAt time.Time `json:"at"`
}

// healthBuffer is how many undelivered changes one subscription holds; changes are
// rare (a few per profile per day), so a subscriber that falls this far behind is gone.
const healthBuffer = 64

// HealthSubscription is one subscriber's feed of a school's health changes.
type HealthSubscription struct {
	// C receives the changes in the order they are delivered; it is closed when the
	// subscription ends, and Err then says why.
	C <-chan HealthChange

	ch       chan HealthChange
	schoolID int
	hub      *healthHub
	stopCtx  func() bool

	mu   sync.Mutex
	done bool
	err  error
}

// Err returns why the subscription ended, or nil while it is open.
func (s *HealthSubscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription with ErrClosed.
func (s *HealthSubscription) Close() { s.end(ErrClosed) }

func (s *HealthSubscription) end(err error) {
	if s.finish(err) {
		s.hub.remove(s)
	}
}

func (s *HealthSubscription) finish(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	s.done, s.err = true, err
	close(s.ch)
	if s.stopCtx != nil {
		s.stopCtx()
	}
	return true
}

// send hands c over without waiting; false means the buffer is full.
func (s *HealthSubscription) send(c HealthChange) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return true
	}
	select {
	case s.ch <- c:
		return true
	default:
		return false
	}
}

// healthHub is the in-process fan-out of health changes, by school.
type healthHub struct {
	mu       sync.Mutex
	closed   bool
	bySchool map[int]map[*HealthSubscription]struct{}
}

func newHealthHub() *healthHub {
	return &healthHub{bySchool: map[int]map[*HealthSubscription]struct{}{}}
}

func (h *healthHub) subscribe(ctx context.Context, schoolID int) (*HealthSubscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan HealthChange, healthBuffer)
	s := &HealthSubscription{C: ch, ch: ch, schoolID: schoolID, hub: h}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrShutdown
	}
	subs := h.bySchool[schoolID]
	if subs == nil {
		subs = map[*HealthSubscription]struct{}{}
		h.bySchool[schoolID] = subs
	}
	subs[s] = struct{}{}
	h.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { s.end(context.Cause(ctx)) })
	s.mu.Lock()
	s.stopCtx = stop
	s.mu.Unlock()
	return s, nil
}

func (h *healthHub) remove(s *HealthSubscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.bySchool[s.schoolID]
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.bySchool, s.schoolID)
	}
}

// deliver hands c to the school's subscriptions, ending those that cannot take it.
func (h *healthHub) deliver(c HealthChange) {
	h.mu.Lock()
	var slow []*HealthSubscription
	for s := range h.bySchool[c.SchoolID] {
		if !s.send(c) {
			slow = append(slow, s)
		}
	}
	h.mu.Unlock()
	for _, s := range slow {
		s.end(ErrSlowSubscriber)
	}
}

func (h *healthHub) endAll(err error) {
	h.mu.Lock()
	h.closed = true
	var all []*HealthSubscription
	for _, subs := range h.bySchool {
		for s := range subs {
			all = append(all, s)
		}
	}
	h.bySchool = map[int]map[*HealthSubscription]struct{}{}
	h.mu.Unlock()
	for _, s := range all {
		s.finish(err)
	}
}

func encodeHealth(c HealthChange) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("live: encode health change: %w", err)
	}
	return string(b), nil
}

func decodeHealth(p string) (HealthChange, error) {
	var c HealthChange
	if err := json.Unmarshal([]byte(p), &c); err != nil || c.SchoolID == 0 || c.ProfileID == 0 {
		return c, fmt.Errorf("%w %q", errBadPayload, p)
	}
	return c, nil
}
