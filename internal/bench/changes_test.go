package bench_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/provreport/provreport/internal/bench"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
)

// TestGeneratedChanges checks the generated changes against the rules ingestion
// enforces (per action at most the event's count, FAILED against errors; one change
// an account a run; at most ingest.MaxChanges a run), that they name the school's own
// users, that the dataset comes out at the configured ratio, and that it is the same
// twice.
func TestGeneratedChanges(t *testing.T) {
	t.Parallel()
	for _, cfg := range []bench.Config{
		// District scale in miniature: the counts are scaled up to reach the ratio.
		{Events: 150_000, Schools: 20, Users: 20_000, Seed: 3},
		// Mostly weekly uploads: the counts give more than wanted, so runs send samples.
		{Events: 3_000, Schools: 20, Users: 20_000, Seed: 3, ChangesPerEvent: 1},
	} {
		t.Run(fmt.Sprintf("events=%d", cfg.Events), func(t *testing.T) {
			t.Parallel()
			cfg = cfg.Defaults()
			schools := cfg.SchoolList()
			fingerprint := func() (events, changes int, sum uint64) {
				err := cfg.Generate(schools, func(e *bench.Event) error {
					events++
					changes += len(e.Changes)
					count := map[string]int64{
						eventtype.ActionAdded: e.Added, eventtype.ActionUpdated: e.Updated, eventtype.ActionDeleted: e.Deleted,
						eventtype.ActionDisabled: e.Disabled, eventtype.ActionFailed: e.Errors,
					}
					if len(e.Changes) > ingest.MaxChanges {
						t.Fatalf("%s has %d changes; ingestion takes at most %d", e.ExternalID, len(e.Changes), ingest.MaxChanges)
					}
					seen := map[int]bool{}
					for _, c := range e.Changes {
						count[c.Action]--
						if count[c.Action] < 0 {
							t.Fatalf("%s (%s) has more %s changes than its count", e.ExternalID, e.Type, c.Action)
						}
						if c.User < 0 || c.User >= len(schools[e.School].Users) {
							t.Fatalf("%s: change names user %d of a school of %d", e.ExternalID, c.User, len(schools[e.School].Users))
						}
						if seen[c.User] {
							t.Fatalf("%s changes user %d twice", e.ExternalID, c.User)
						}
						seen[c.User] = true
						sum = sum*31 + uint64(c.User)*7 + uint64(len(c.Attributes))
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return events, changes, sum
			}
			events, changes, sum := fingerprint()
			ratio := float64(changes) / float64(events)
			t.Logf("%d events, %d changes (%.2f an event)", events, changes, ratio)
			if math.Abs(ratio-cfg.ChangesPerEvent) > 0.1*cfg.ChangesPerEvent {
				t.Errorf("%.2f changes an event; want about %.2f", ratio, cfg.ChangesPerEvent)
			}
			if e2, c2, s2 := fingerprint(); e2 != events || c2 != changes || s2 != sum {
				t.Errorf("a second generation differs: %d events, %d changes, fingerprint %x; first %d, %d, %x", e2, c2, s2, events, changes, sum)
			}
		})
	}
}
