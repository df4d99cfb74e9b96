package live_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// replicas is two brokers on two separate connections pools to one PostgreSQL schema,
// as two server replicas have: a bundle (the first replica, with the recorder) and a
// second broker.
func replicas(t *testing.T, opts live.Options) (*bundle, live.Broker) {
	t.Helper()
	if os.Getenv(testdb.EnvPostgres) == "" {
		t.Skipf("%s is not set", testdb.EnvPostgres)
	}
	first := testdb.Open(t, "postgres")
	second, err := store.Open(context.Background(), first.URL)
	if err != nil {
		t.Fatalf("open second replica: %v", err)
	}
	t.Cleanup(func() { second.Close() })
	b := setup(t, first, live.Options{})
	return b, newBroker(t, second, opts)
}

// TestReplicas shows an event recorded through one replica reaches subscribers on
// both, loaded with its edges, and a batch too large for one notification arrives whole.
func TestReplicas(t *testing.T) {
	t.Parallel()
	// A short health interval has the idle listener check its connection between
	// deliveries.
	b, other := replicas(t, live.Options{Buffer: 2 * ingest.MaxBatch, HealthInterval: 20 * time.Millisecond})
	if live.ChannelOf(b.broker) != live.ChannelOf(other) || live.ChannelOf(other) == live.DefaultChannel {
		t.Fatalf("channels %q and %q: want one channel named after the test's schema", live.ChannelOf(b.broker), live.ChannelOf(other))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	remote, err := other.Subscribe(ctx, b.school, report.Filter{ActiveOnly: ptr(false)})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	local := b.subscribe(t, b.school, report.Filter{ActiveOnly: ptr(false)})

	time.Sleep(100 * time.Millisecond)
	e := b.record(t, b.school, login("alice"))[0]
	for name, sub := range map[string]*live.Subscription{"remote": remote, "local": local} {
		got := receive(t, sub)
		if got.ID != e.ID || got.Edges.User == nil || got.Edges.User.Username != "alice" {
			t.Fatalf("%s replica got %+v, want event %d with its user loaded", name, got, e.ID)
		}
	}

	time.Sleep(100 * time.Millisecond)
	// Ten-digit IDs make a full batch about 11 kB of payload: two notifications.
	in := make([]*ingest.Input, ingest.MaxBatch)
	for i := range in {
		in[i] = ldapSync(fmt.Sprintf("profile-%d", i%7), i%3)
	}
	batch := ids(b.record(t, b.school, in...))
	if got := receiveIDs(t, remote, len(batch)); !slices.Equal(got, batch) {
		t.Fatalf("remote replica got %d events, not the batch of %d in order", len(got), len(batch))
	}
	empty(t, remote)
	if st := settledStats(t, other, func(st live.Stats) bool { return st.Delivered == int64(1+len(batch)) }); st.Delivered != int64(1+len(batch)) || st.Reconnects != 0 {
		t.Fatalf("remote stats %+v", st)
	}
}

// TestListenerReconnects drops the second replica's listener connection three times
// while events are recorded through the first, and shows every event still arrives
// exactly once, those recorded while it was disconnected by catching up.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	// A slow first reconnect guarantees events are recorded while nobody listens.
	b, other := replicas(t, live.Options{ReconnectMin: 300 * time.Millisecond, ReconnectMax: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := other.Subscribe(ctx, b.school, report.Filter{ActiveOnly: ptr(false)})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}

	var (
		mu       sync.Mutex
		recorded []int
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for w := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				// Batches of one to three from two writers, so that IDs and commit
				// order can disagree.
				in := []*ingest.Input{login(fmt.Sprintf("user%d-%d", w, i%50))}
				for range i % 3 {
					in = append(in, ldapSync(fmt.Sprintf("ldap%d", w), i%2))
				}
				evs, err := b.rec.Record(tenant.WithSchool(context.Background(), b.school), in)
				if err != nil {
					t.Errorf("record: %v", err)
					return
				}
				mu.Lock()
				recorded = append(recorded, ids(evs)...)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	got := map[int]int{}
	var order []int
	take := func(until func() bool) {
		t.Helper()
		deadline := time.After(2 * wait)
		for !until() {
			select {
			case e, ok := <-sub.C:
				if !ok {
					t.Fatalf("subscription ended: %v", sub.Err())
				}
				got[e.ID]++
				order = append(order, e.ID)
			case <-deadline:
				t.Fatalf("timed out: received %d events", len(order))
			case <-time.After(10 * time.Millisecond):
			}
		}
	}

	admin, err := pgx.Connect(context.Background(), b.db.URL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer admin.Close(context.Background())
	for round := range 3 {
		take(func() bool { return len(order) >= 20*(round+1) })
		pid := live.ListenerPID(other)
		var killed bool
		if err := admin.QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", int(pid)).Scan(&killed); err != nil || !killed {
			t.Fatalf("terminate listener %d: %v, %v", pid, killed, err)
		}
		take(func() bool { p := live.ListenerPID(other); return p != 0 && p != pid })
	}
	take(func() bool { return len(order) >= 80 })
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	want := slices.Clone(recorded)
	mu.Unlock()
	take(func() bool { return len(got) >= len(want) })
	// Leave room for a late duplicate to show up.
	late := time.After(200 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case e := <-sub.C:
			got[e.ID]++
		case <-late:
			waiting = false
		}
	}
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("event %d delivered %d times", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("received %d distinct events, recorded %d", len(got), len(want))
	}
	st := other.Stats()
	if st.Reconnects != 3 || st.CaughtUp == 0 {
		t.Fatalf("stats %+v: want 3 reconnects and events found by catching up", st)
	}
	t.Logf("%d events, %d of them caught up after 3 reconnects", len(want), st.CaughtUp)
}

// TestListenerSurvivesOutage makes the database unreachable for the second replica for
// a second, through a TCP proxy the test controls, while the first keeps recording: the
// listener retries with backoff until the database is back, then catches up.
func TestListenerSurvivesOutage(t *testing.T) {
	t.Parallel()
	if os.Getenv(testdb.EnvPostgres) == "" {
		t.Skipf("%s is not set", testdb.EnvPostgres)
	}
	first := testdb.Open(t, "postgres")
	b := setup(t, first, live.Options{})
	u, err := url.Parse(first.URL)
	if err != nil {
		t.Fatalf("parse URL: %v", err)
	}
	proxy := newProxy(t, u.Host)
	u.Host = proxy.addr
	second, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("open second replica: %v", err)
	}
	t.Cleanup(func() { second.Close() })
	other := newBroker(t, second, live.Options{ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := other.Subscribe(ctx, b.school, report.Filter{})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}

	var want []int
	want = append(want, ids(b.record(t, b.school, login("before")))...)
	if got := receive(t, sub).ID; got != want[0] {
		t.Fatalf("got %d, want %d", got, want[0])
	}
	proxy.down(true)
	for i := range 10 {
		want = append(want, ids(b.record(t, b.school, login(fmt.Sprintf("during%d", i))))...)
		time.Sleep(100 * time.Millisecond)
	}
	proxy.down(false)
	want = append(want, ids(b.record(t, b.school, login("after")))...)
	got := append([]int{want[0]}, receiveIDs(t, sub, len(want)-1)...)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	st := other.Stats()
	if st.Reconnects != 1 || st.CaughtUp < 10 {
		t.Fatalf("stats %+v: want one reconnect after several attempts, and 10 events caught up", st)
	}
}

// proxy forwards TCP connections to a database, and can play a database that is down:
// it then cuts every connection and refuses new ones.
type proxy struct {
	addr, target string
	ln           net.Listener

	mu    sync.Mutex
	off   bool
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, ln: ln}
	t.Cleanup(func() {
		ln.Close()
		p.down(true)
	})
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		off := p.off
		p.mu.Unlock()
		if off {
			c.Close()
			continue
		}
		d, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, d)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(d, c); d.Close() }()
		go func() { _, _ = io.Copy(c, d); c.Close() }()
	}
}

// down cuts every connection and refuses new ones until down(false).
func (p *proxy) down(off bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = off
	if off {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}
