package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDeliveryAcrossReplicas subscribes on the first server with the graphql-ws client
// and records through the second: the events that match the filter arrive, with their
// user and sync profile, and the others, and other schools' events, never do.
func TestDeliveryAcrossReplicas(t *testing.T) {
	t.Parallel()
	c := start(t, "north", "south")
	filter := map[string]any{"filter": map[string]any{"types": []string{"ACCOUNT_SYNCHRONIZATION", "AUTHENTICATION"}}}
	north := subscribe(t, c.first, c.read["north"], eventQuery, filter, 1, 1)
	south := subscribe(t, c.first, c.read["south"], eventQuery, map[string]any{"filter": map[string]any{"activeOnly": false}}, 1, 1)
	settle(t, c, north, "north", 1)
	settle(t, c, south, "south", 1)

	theirs := record(t, c.second, c.write["south"], run("ACCOUNT_SYNCHRONIZATION", "south-ldap", 0), login("alice"))
	ours := record(t, c.second, c.write["north"],
		run("ACCOUNT_SYNCHRONIZATION", "north-ldap", 0), // idle: hidden by the activity rule
		run("ACCOUNT_SYNCHRONIZATION", "north-ldap", 4),
		run("USER_CSV_PROCESSED", "north-csv", 12), // a type the filter leaves out
		login("alice"),
	)
	last := record(t, c.second, c.write["north"], login("bob"))

	for _, want := range []struct {
		id, typ, user, profile string
	}{
		{ours[1], "ACCOUNT_SYNCHRONIZATION", "", "north-ldap"},
		{ours[3], "AUTHENTICATION", "alice", ""},
		{last[0], "AUTHENTICATION", "bob", ""},
	} {
		_, e := north.event(t)
		if e.ID != want.id || e.Type != want.typ || name(e.User) != want.user || profile(e.SyncProfile) != want.profile {
			t.Fatalf("north got %s %s user %q profile %q; want %s %s user %q profile %q (recorded %v, south %v)",
				e.ID, e.Type, name(e.User), profile(e.SyncProfile), want.id, want.typ, want.user, want.profile, ours, theirs)
		}
	}
	// South's events were recorded before north's last, and delivery keeps order, so
	// they would have arrived by now.
	north.quiet(t, 200*time.Millisecond)

	lastSouth := record(t, c.second, c.write["south"], login("carol"))
	for _, want := range append(theirs, lastSouth...) {
		if _, e := south.event(t); e.ID != want {
			t.Fatalf("south got event %s, want %s (north recorded %v)", e.ID, want, ours)
		}
	}
	south.quiet(t, 200*time.Millisecond)
}

func name(u *struct{ Username string }) string {
	if u == nil {
		return ""
	}
	return u.Username
}

func profile(p *struct{ Name string }) string {
	if p == nil {
		return ""
	}
	return p.Name
}

// TestDeliveryResumesAfterListenerDrop ends both replicas' LISTEN connections three
// times while events are recorded through the second server without pause, and shows
// the first server's graphql-ws subscriber still receives every event exactly once.
func TestDeliveryResumesAfterListenerDrop(t *testing.T) {
	t.Parallel()
	c := start(t, "north")
	sub := subscribe(t, c.first, c.read["north"], eventQuery, map[string]any{"filter": map[string]any{"activeOnly": false}}, 1, 1)
	settle(t, c, sub, "north", 1)
	if n := len(c.listeners(t, false)); n != 2 {
		t.Fatalf("%d listener connections on the schema, want one per replica", n)
	}

	var (
		mu       sync.Mutex
		recorded []string
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for w := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				in := []input{login(fmt.Sprintf("user-%d-%d", w, i%20))}
				if i%3 == 0 {
					in = append(in, run("ACCOUNT_SYNCHRONIZATION", "ldap", i%2))
				}
				ids, err := tryRecord(c.second, c.write["north"], in...)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				recorded = append(recorded, ids...)
				mu.Unlock()
			}
		})
	}
	got := map[string]int{}
	receive := func(n int) {
		t.Helper()
		for range n {
			_, e := sub.event(t)
			got[e.ID]++
		}
	}
	for range 3 {
		receive(15)
		killed := c.terminateListeners(t)
		if len(killed) != 2 {
			t.Fatalf("terminated %d listeners, want 2", len(killed))
		}
		receive(15)
		deadline := time.Now().Add(wait)
		for pids := c.listeners(t, false); len(pids) != 2 || slices.ContainsFunc(pids, func(p int) bool { return slices.Contains(killed, p) }); pids = c.listeners(t, false) {
			if time.Now().After(deadline) {
				t.Fatalf("listeners %v did not come back (ended %v)", pids, killed)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	want := slices.Clone(recorded)
	mu.Unlock()
	for len(got) < len(want) {
		receive(1)
	}
	sub.quiet(t, 300*time.Millisecond)
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("event %s delivered %d times", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("received %d distinct events, recorded %d", len(got), len(want))
	}
	log := c.first.Log()
	if n := strings.Count(log, "live: listener reconnected"); n != 3 {
		t.Errorf("first server logged %d reconnects, want 3:\n%s", n, log)
	}
	t.Logf("%d events recorded across 3 listener drops; first server: %s", len(want), caughtUp(log))
}

// caughtUp lists what the server's reconnect log lines say it caught up.
func caughtUp(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if i := strings.Index(l, "caught_up="); i >= 0 && strings.Contains(l, "listener reconnected") {
			out = append(out, l[i:])
		}
	}
	return strings.Join(out, ", ")
}
