package live

import (
	"context"
	"sync"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
)

// Subscription is one subscriber's feed of matching events.
type Subscription struct {
	// C receives the subscription's events in the order they are delivered. It is
	// closed when the subscription ends; events already buffered can still be
	// received first. Err then says why it ended.
	C <-chan *ent.Event

	ch       chan *ent.Event
	schoolID int
	filter   report.Filter
	hub      *hub
	stopCtx  func() bool

	mu   sync.Mutex
	done bool
	err  error
}

// Err returns why the subscription ended: ErrSlowSubscriber, ErrMissedEvents,
// ErrShutdown, ErrClosed or the error of the context passed to Subscribe. It returns
// nil while the subscription is open.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription with ErrClosed. Closing an ended subscription does
// nothing.
func (s *Subscription) Close() {
	s.end(ErrClosed)
}

// send hands e to the subscriber without waiting. It reports false when the buffer is
// full, in which case the caller ends the subscription; an ended subscription takes
// nothing and reports true.
func (s *Subscription) send(e *ent.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return true
	}
	select {
	case s.ch <- e:
		return true
	default:
		return false
	}
}

// end finishes the subscription with err and removes it from its hub; only the first
// call has an effect.
func (s *Subscription) end(err error) {
	if !s.finish(err) {
		return
	}
	s.hub.remove(s)
}

// finish marks the subscription ended and closes C, reporting whether this call did it.
func (s *Subscription) finish(err error) bool {
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

// watch ends the subscription when ctx is done, without a goroutine per subscription.
func (s *Subscription) watch(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { s.end(context.Cause(ctx)) })
	s.mu.Lock()
	s.stopCtx = stop
	s.mu.Unlock()
}

// sendWait is send, but waits up to patience (or until ctx is done) for room in a full
// buffer; with no patience it is send. It holds the subscription's lock while it waits, so the subscription cannot
// end (and C close) under it; ending it waits at most patience.
func (s *Subscription) sendWait(ctx context.Context, e *ent.Event, patience time.Duration) bool {
	if s.send(e) {
		return true
	}
	if patience <= 0 {
		return false
	}
	timer := time.NewTimer(patience)
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return true
	}
	select {
	case s.ch <- e:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}
