package live_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// wait bounds every wait for a delivery; deliveries normally take milliseconds.
const wait = 10 * time.Second

// bundle is what a test needs: a database with two schools, a broker on it and a
// recorder that publishes to the broker, as the server wires them.
type bundle struct {
	db      *store.DB
	broker  live.Broker
	rec     *ingest.Recorder
	school  int
	other   int
	mu      sync.Mutex
	slowest time.Duration // longest Publish so far
}

// setup builds a bundle on db; the broker is the one New picks for db's kind.
func setup(t *testing.T, db *store.DB, opts live.Options) *bundle {
	t.Helper()
	ctx := tenant.System(context.Background())
	b := &bundle{db: db}
	for i, id := range []*int{&b.school, &b.other} {
		s, err := db.Client.School.Create().SetName(fmt.Sprintf("School %d", i)).SetSlug(fmt.Sprintf("school-%d", i)).Save(ctx)
		if err != nil {
			t.Fatalf("create school: %v", err)
		}
		*id = s.ID
	}
	b.broker = newBroker(t, db, opts)
	b.rec = ingest.NewRecorder(db)
	b.rec.OnRecorded = publisher(t, b.broker, &b.mu, &b.slowest)
	return b
}

// newBroker starts a broker on db, closed when the test ends.
func newBroker(t *testing.T, db *store.DB, opts live.Options) live.Broker {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	br, err := live.New(context.Background(), db, opts)
	if err != nil {
		t.Fatalf("new broker: %v", err)
	}
	t.Cleanup(func() { _ = br.Close() })
	return br
}

// publisher is an ingest.Recorder.OnRecorded that publishes to br, failing the test on
// an error and keeping the longest Publish in *slowest.
func publisher(t *testing.T, br live.Broker, mu *sync.Mutex, slowest *time.Duration) func(context.Context, []*ent.Event) {
	return func(ctx context.Context, created []*ent.Event) {
		start := time.Now()
		if err := br.Publish(ctx, created); err != nil {
			t.Errorf("publish: %v", err)
		}
		mu.Lock()
		*slowest = max(*slowest, time.Since(start))
		mu.Unlock()
	}
}

// record records events for a school and returns them.
func (b *bundle) record(t *testing.T, school int, in ...*ingest.Input) []*ent.Event {
	t.Helper()
	return record(t, b.rec, school, in...)
}

// recordSettled records events before a test subscribes, and returns once the broker
// has handed them out, so that they cannot reach the test's subscriptions.
// settledStats returns the broker's counters once they satisfy ok, failing the test
// after wait. A counter moves just after the event it counts is handed over (or the
// subscription it counts is ended), so a subscriber can hold the event first.
func settledStats(t *testing.T, br live.Broker, ok func(live.Stats) bool) live.Stats {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		st := br.Stats()
		if ok(st) || time.Now().After(deadline) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (b *bundle) recordSettled(t *testing.T, school int, in ...*ingest.Input) []*ent.Event {
	t.Helper()
	witness := b.subscribe(t, school, report.Filter{ActiveOnly: ptr(false)})
	defer witness.Close()
	evs := b.record(t, school, in...)
	receiveIDs(t, witness, len(evs))
	return evs
}

func record(t *testing.T, rec *ingest.Recorder, school int, in ...*ingest.Input) []*ent.Event {
	t.Helper()
	evs, err := rec.Record(tenant.WithSchool(context.Background(), school), in)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	return evs
}

func (b *bundle) subscribe(t *testing.T, school int, f report.Filter) *live.Subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := b.broker.Subscribe(ctx, school, f)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return sub
}

// ldapSync is an LDAP sync that changed something (active) or nothing (idle).
func ldapSync(profile string, changed int) *ingest.Input {
	now := time.Now()
	return &ingest.Input{Type: event.TypeACCOUNT_SYNCHRONIZATION, DateStarted: now.Add(-time.Minute), DateFinished: now,
		SyncProfile: &profile, Processed: ptr(100), Updated: ptr(changed)}
}

// login is a user's first login, never idle.
func login(username string) *ingest.Input {
	now := time.Now()
	return &ingest.Input{Type: event.TypeAUTHENTICATION, DateStarted: now, DateFinished: now, Username: &username}
}

func ptr[T any](v T) *T { return &v }

// receive returns the subscription's next event.
func receive(t *testing.T, sub *live.Subscription) *ent.Event {
	t.Helper()
	select {
	case e, ok := <-sub.C:
		if !ok {
			t.Fatalf("subscription ended: %v", sub.Err())
		}
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
		return nil
	}
}

// receiveIDs receives n events and returns their IDs.
func receiveIDs(t *testing.T, sub *live.Subscription, n int) []int {
	t.Helper()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = receive(t, sub).ID
	}
	return ids
}

// ended waits for the subscription to end, discarding buffered events, and returns
// how many there were and why it ended.
func ended(t *testing.T, sub *live.Subscription) (int, error) {
	t.Helper()
	n := 0
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-sub.C:
			if !ok {
				return n, sub.Err()
			}
			n++
		case <-timeout:
			t.Fatalf("subscription still open after %s", wait)
		}
	}
}

// empty fails when the subscription holds an event.
func empty(t *testing.T, sub *live.Subscription) {
	t.Helper()
	select {
	case e, ok := <-sub.C:
		if ok {
			t.Fatalf("unexpected event %d (%s, school %d)", e.ID, e.Type, e.SchoolID)
		}
	default:
	}
}

func ids(evs []*ent.Event) []int {
	out := make([]int, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// TestDeliversOwnSchoolsEvents shows a subscriber gets every event of its school
// recorded after it subscribed, in order, and never another school's.
func TestDeliversOwnSchoolsEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db, live.Options{})
		// An event delivered before subscribing is not delivered again. (One published
		// while subscribing may be: see Broker.Subscribe.)
		before := b.recordSettled(t, b.school, login("early"))
		mine := b.subscribe(t, b.school, report.Filter{})
		theirs := b.subscribe(t, b.other, report.Filter{})

		other := b.record(t, b.other, login("alice"), ldapSync("ldap", 3))
		own := b.record(t, b.school, login("alice"), ldapSync("ldap", 1), login("bob"))
		own = append(own, b.record(t, b.school, login("carol"))...)

		// Events arrive in order, so once the last of the school's events is in, an
		// earlier event of the other school would have been too.
		if got := receiveIDs(t, mine, len(own)); !slices.Equal(got, ids(own)) {
			t.Fatalf("school got %v, want %v (before subscribing: %v)", got, ids(own), ids(before))
		}
		empty(t, mine)
		if got := receiveIDs(t, theirs, len(other)); !slices.Equal(got, ids(other)) {
			t.Fatalf("other school got %v, want %v", got, ids(other))
		}
		empty(t, theirs)
		for _, e := range own {
			if e.SchoolID != b.school {
				t.Fatalf("event %d of school %d delivered to school %d", e.ID, e.SchoolID, b.school)
			}
		}
		want := int64(len(before) + len(own) + len(other))
		if st := settledStats(t, b.broker, func(st live.Stats) bool { return st.Delivered == want && st.Open == 2 }); st.Delivered != want || st.Open != 2 {
			t.Fatalf("stats %+v, want %d delivered and 2 open", st, want)
		}
	})
}

// TestFilters shows each subscriber gets exactly the events its filter matches,
// activity rule included: by default idle syncs are hidden.
func TestFilters(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db, live.Options{})
		alice := *b.recordSettled(t, b.school, login("alice"))[0].UserID
		profile := *b.recordSettled(t, b.school, ldapSync("ldap", 1))[0].SyncProfileID

		everything := []string{"idle", "active", "login alice", "login bob", "other profile", "old login alice", "idle end"}
		cases := []struct {
			name   string
			filter report.Filter
			want   []string // names of the events recorded below
		}{
			// The first case sees every event, so once it has the last one every
			// subscription has been handed everything it will ever get.
			{"all activity", report.Filter{ActiveOnly: ptr(false)}, everything},
			{"default hides idle", report.Filter{}, []string{"active", "login alice", "login bob", "other profile", "old login alice"}},
			{"types", report.Filter{Types: []event.Type{event.TypeAUTHENTICATION}}, []string{"login alice", "login bob", "old login alice"}},
			{"user", report.Filter{UserID: &alice}, []string{"login alice", "old login alice"}},
			{"sync profile with idle", report.Filter{SyncProfileID: &profile, ActiveOnly: ptr(false)}, []string{"idle", "active"}},
			{"finished an hour ago", report.Filter{To: ptr(time.Now().Add(-time.Hour))}, []string{"old login alice"}},
			{"finished from now", report.Filter{From: ptr(time.Now().Add(-time.Minute)), Types: []event.Type{event.TypeAUTHENTICATION}}, []string{"login alice", "login bob"}},
		}
		subs := make([]*live.Subscription, len(cases))
		for i, c := range cases {
			subs[i] = b.subscribe(t, b.school, c.filter)
		}
		old := login("alice")
		old.DateStarted, old.DateFinished = time.Now().Add(-3*time.Hour), time.Now().Add(-2*time.Hour)
		inputs := map[string]*ingest.Input{
			"idle":            ldapSync("ldap", 0),
			"active":          ldapSync("ldap", 2),
			"login alice":     login("alice"),
			"login bob":       login("bob"),
			"other profile":   ldapSync("other", 5),
			"old login alice": old,
			"idle end":        ldapSync("end", 0),
		}
		recorded := map[string]int{}
		for _, name := range everything {
			recorded[name] = b.record(t, b.school, inputs[name])[0].ID
		}
		for i, c := range cases {
			want := make([]int, 0, len(c.want))
			for _, n := range c.want {
				want = append(want, recorded[n])
			}
			if got := receiveIDs(t, subs[i], len(want)); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v (%v)", c.name, got, want, c.want)
			}
			empty(t, subs[i])
		}
	})
}

// TestSlowSubscriberIsDropped shows that a subscriber that stops reading is ended with
// ErrSlowSubscriber once its buffer is full, while Publish never waits for it and a
// subscriber that keeps up gets every event.
func TestSlowSubscriberIsDropped(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		const buffer = 4
		b := setup(t, db, live.Options{Buffer: buffer})
		slow := b.subscribe(t, b.school, report.Filter{})
		fast := b.subscribe(t, b.school, report.Filter{})
		var want []int
		for i := range 3 * buffer {
			e := b.record(t, b.school, login(fmt.Sprintf("user%d", i)))[0]
			want = append(want, e.ID)
			if got := receive(t, fast).ID; got != e.ID {
				t.Fatalf("fast subscriber got %d, want %d", got, e.ID)
			}
		}
		n, err := ended(t, slow)
		if !errors.Is(err, live.ErrSlowSubscriber) || n != buffer {
			t.Fatalf("slow subscriber ended after %d events with %v; want %d and ErrSlowSubscriber", n, err, buffer)
		}
		// The fast one is still subscribed.
		e := b.record(t, b.school, login("last"))[0]
		if got := receive(t, fast).ID; got != e.ID {
			t.Fatalf("fast subscriber got %d, want %d", got, e.ID)
		}
		if fast.Err() != nil {
			t.Fatalf("fast subscriber ended: %v", fast.Err())
		}
		b.mu.Lock()
		slowest := b.slowest
		b.mu.Unlock()
		if slowest > time.Second {
			t.Fatalf("Publish took %s with a stalled subscriber", slowest)
		}
		if st := settledStats(t, b.broker, func(st live.Stats) bool { return st.Dropped == 1 && st.Open == 1 }); st.Dropped != 1 || st.Open != 1 {
			t.Fatalf("stats %+v, want 1 dropped and 1 open", st)
		}
	})
}

// TestLargeBatchReachesReader shows that a batch far larger than a subscription's buffer
// (as a bulk request records at once) reaches a subscriber that keeps reading, every event
// once and in order, while recording never waits for the subscriber.
func TestLargeBatchReachesReader(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		const buffer, batch = 16, 1000
		b := setup(t, db, live.Options{Buffer: buffer})
		sub := b.subscribe(t, b.school, report.Filter{})
		in := make([]*ingest.Input, batch)
		for i := range in {
			in[i] = login(fmt.Sprintf("pupil%d", i))
		}
		got := make(chan []int, 1)
		go func() {
			ids := make([]int, 0, batch)
			for len(ids) < batch {
				e, ok := <-sub.C
				if !ok {
					break
				}
				ids = append(ids, e.ID)
				// A reader slower than the fan-out, as a websocket's writer is.
				if len(ids)%100 == 0 {
					time.Sleep(5 * time.Millisecond)
				}
			}
			got <- ids
		}()
		evs := b.record(t, b.school, in...)
		var want []int
		for _, e := range evs {
			want = append(want, e.ID)
		}
		select {
		case ids := <-got:
			if sub.Err() != nil {
				t.Fatalf("subscription ended after %d of %d events: %v", len(ids), batch, sub.Err())
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("received %d events, want the %d recorded in order", len(ids), len(want))
			}
		case <-time.After(wait):
			t.Fatalf("the batch did not arrive within %s", wait)
		}
		b.mu.Lock()
		slowest := b.slowest
		b.mu.Unlock()
		if slowest > time.Second {
			t.Fatalf("Publish took %s", slowest)
		}
	})
}

// TestCloseEndsSubscriptions shows Close ends every subscription promptly with
// ErrShutdown and refuses new ones.
func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db, live.Options{})
		subs := []*live.Subscription{
			b.subscribe(t, b.school, report.Filter{}),
			b.subscribe(t, b.school, report.Filter{ActiveOnly: ptr(false)}),
			b.subscribe(t, b.other, report.Filter{}),
		}
		b.record(t, b.school, login("alice"))
		receive(t, subs[0])

		start := time.Now()
		if err := b.broker.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("Close took %s", took)
		}
		for i, s := range subs {
			if _, err := ended(t, s); !errors.Is(err, live.ErrShutdown) {
				t.Errorf("subscription %d ended with %v, want ErrShutdown", i, err)
			}
		}
		if _, err := b.broker.Subscribe(context.Background(), b.school, report.Filter{}); !errors.Is(err, live.ErrShutdown) {
			t.Fatalf("subscribe after close: %v, want ErrShutdown", err)
		}
		// Requests finishing during shutdown still record and publish.
		b.record(t, b.school, login("bob"))
		if err := b.broker.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if st := b.broker.Stats(); st.Open != 0 || st.Dropped != 0 {
			t.Fatalf("stats %+v, want none open and none dropped", st)
		}
	})
}

// TestSubscriptionEnds shows a subscription ends when its context is cancelled or it is
// closed, and that others carry on.
func TestSubscriptionEnds(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db, live.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancelled, err := b.broker.Subscribe(ctx, b.school, report.Filter{})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		closed := b.subscribe(t, b.school, report.Filter{})
		open := b.subscribe(t, b.school, report.Filter{})

		cancel()
		if _, err := ended(t, cancelled); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled subscription ended with %v, want context.Canceled", err)
		}
		closed.Close()
		closed.Close()
		if _, err := ended(t, closed); !errors.Is(err, live.ErrClosed) {
			t.Fatalf("closed subscription ended with %v, want ErrClosed", err)
		}
		e := b.record(t, b.school, login("alice"))[0]
		if got := receive(t, open).ID; got != e.ID {
			t.Fatalf("got %d, want %d", got, e.ID)
		}
		if st := settledStats(t, b.broker, func(st live.Stats) bool { return st.Open == 1 && st.Delivered == 1 }); st.Open != 1 || st.Delivered != 1 {
			t.Fatalf("stats %+v, want 1 open and 1 delivered", st)
		}
		if _, err := b.broker.Subscribe(ctx, b.school, report.Filter{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("subscribe with a cancelled context: %v", err)
		}
	})
}

// TestEventsCarryEdges shows delivered events come with their user and sync profile
// loaded, once for all subscribers, so that a subscription selecting them costs no
// query per subscriber.
func TestEventsCarryEdges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db, live.Options{})
		subs := []*live.Subscription{b.subscribe(t, b.school, report.Filter{}), b.subscribe(t, b.school, report.Filter{})}
		b.record(t, b.school, login("alice"), ldapSync("ldap", 3))
		for _, s := range subs {
			if e := receive(t, s); e.Edges.User == nil || e.Edges.User.Username != "alice" {
				t.Fatalf("login delivered without its user: %+v", e.Edges)
			}
			if e := receive(t, s); e.Edges.SyncProfile == nil || e.Edges.SyncProfile.Name != "ldap" {
				t.Fatalf("sync delivered without its profile: %+v", e.Edges)
			}
		}
	})
}
