package live

import "time"

// seen remembers the IDs of recently notified events so that a replica delivers each
// event once, even when a catch-up after a reconnect finds events a notification already
// brought. Catching up reads by recorded_at with a margin, and event IDs and commit order
// can disagree, so an overlap is expected and resolved here. It is bounded by size and
// by age; only the listener goroutine uses it.
type seen struct {
	max   int
	at    map[int]time.Time
	order []seenEntry
}

type seenEntry struct {
	id int
	at time.Time
}

func newSeen(max int) *seen {
	return &seen{max: max, at: map[int]time.Time{}}
}

func (s *seen) has(id int) bool {
	_, ok := s.at[id]
	return ok
}

// add remembers id as seen at the given time, forgetting the oldest IDs beyond max.
func (s *seen) add(id int, at time.Time) {
	if _, ok := s.at[id]; ok {
		return
	}
	s.at[id] = at
	s.order = append(s.order, seenEntry{id, at})
	for len(s.order) > s.max {
		s.drop()
	}
}

// expire forgets IDs seen before the given time.
func (s *seen) expire(before time.Time) {
	for len(s.order) > 0 && s.order[0].at.Before(before) {
		s.drop()
	}
}

func (s *seen) drop() {
	delete(s.at, s.order[0].id)
	s.order[0] = seenEntry{}
	s.order = s.order[1:]
}

func (s *seen) len() int { return len(s.order) }
