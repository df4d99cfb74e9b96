package live

import (
	"slices"
	"testing"
	"time"

	"github.com/provreport/provreport/ent"
)

// TestPayloads shows payloads stay under PostgreSQL's 8000 bytes, carry one school
// each and decode to the events' IDs in order.
func TestPayloads(t *testing.T) {
	t.Parallel()
	var events []*ent.Event
	want := map[int][]int{}
	for i := range 5000 {
		school := 8589934592 + i%3
		id := 4294967296 + i*7919
		events = append(events, &ent.Event{ID: id, SchoolID: school})
		want[school] = append(want[school], id)
	}
	payloads := encodePayloads(events)
	got := map[int][]int{}
	for _, p := range payloads {
		if len(p) >= 8000 || len(p) > maxPayload {
			t.Fatalf("payload of %d bytes", len(p))
		}
		school, ids, err := decodePayload(p)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		got[school] = append(got[school], ids...)
	}
	if len(payloads) < 6 {
		t.Fatalf("%d payloads for 55 kB of IDs", len(payloads))
	}
	for school, ids := range want {
		if !slices.Equal(got[school], ids) {
			t.Fatalf("school %d: IDs differ after a round trip", school)
		}
	}
	for _, bad := range []string{"", "1", "1:", "x:1", "1:2,,3", "1:2,x"} {
		if _, _, err := decodePayload(bad); err == nil {
			t.Errorf("decodePayload(%q) accepted", bad)
		}
	}
}

// TestSeen shows the set of seen IDs forgets by size and by age.
func TestSeen(t *testing.T) {
	t.Parallel()
	s := newSeen(3)
	base := ent.Event{}.RecordedAt
	for id := 1; id <= 4; id++ {
		s.add(id, base.Add(time.Duration(id)*time.Second))
	}
	if s.has(1) || !s.has(2) || !s.has(4) || s.len() != 3 {
		t.Fatalf("after 4 adds to a set of 3: has(1)=%v has(2)=%v len=%d", s.has(1), s.has(2), s.len())
	}
	s.add(4, base) // already there: no change
	s.expire(base.Add(4 * time.Second))
	if s.has(3) || !s.has(4) || s.len() != 1 {
		t.Fatalf("after expiring: has(3)=%v has(4)=%v len=%d", s.has(3), s.has(4), s.len())
	}
}

func TestChannelFor(t *testing.T) {
	t.Parallel()
	for schema, want := range map[string]string{
		"":         DefaultChannel,
		"public":   DefaultChannel,
		"t_0a1b2c": DefaultChannel + ":t_0a1b2c",
	} {
		if got := channelFor(schema); got != want {
			t.Errorf("channelFor(%q) = %q, want %q", schema, got, want)
		}
	}
	long := channelFor("a_schema_name_long_enough_to_push_the_channel_past_63_bytes")
	if len(long) > 63 || long == channelFor("another_schema_name_long_enough_to_push_the_channel_past_63") {
		t.Errorf("long schema names give %q", long)
	}
}
