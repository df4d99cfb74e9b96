package report_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/migrate"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/report"
)

// TestIsIdle is the activity rule as a table: for every event type, every shape of
// counts, whether the event is idle.
func TestIsIdle(t *testing.T) {
	t.Parallel()
	candidates := map[string]bool{
		"ACCOUNT_SYNCHRONIZATION": true, "ACCOUNT_PROVISIONING": true,
		"USER_CSV_PROCESSED": true, "GROUPS_CSV_PROCESSED": true,
	}
	shapes := []struct {
		name   string
		counts [6]int // processed, added, updated, deleted, disabled, errors
		idle   bool   // for a candidate type
	}{
		{"processed, nothing changed", [6]int{120, 0, 0, 0, 0, 0}, true},
		{"processed one, nothing changed", [6]int{1, 0, 0, 0, 0, 0}, true},
		{"processed nothing", [6]int{0, 0, 0, 0, 0, 0}, false},
		{"added", [6]int{120, 1, 0, 0, 0, 0}, false},
		{"updated", [6]int{120, 0, 1, 0, 0, 0}, false},
		{"deleted", [6]int{120, 0, 0, 1, 0, 0}, false},
		{"disabled", [6]int{120, 0, 0, 0, 1, 0}, false},
		{"errors", [6]int{120, 0, 0, 0, 0, 1}, false},
		{"processed nothing but added", [6]int{0, 3, 0, 0, 0, 0}, false},
		{"processed nothing but errors", [6]int{0, 0, 0, 0, 0, 2}, false},
	}
	require.Len(t, eventtype.Values(), 12)
	for _, typ := range eventtype.Values() {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%s", typ, s.name), func(t *testing.T) {
				e := &ent.Event{Type: event.Type(typ), Processed: s.counts[0], Added: s.counts[1], Updated: s.counts[2],
					Deleted: s.counts[3], Disabled: s.counts[4], Errors: s.counts[5]}
				require.Equal(t, candidates[typ] && s.idle, report.IsIdle(e))
				// A flagged run is never idle, whatever its counts.
				e.Flags = int(health.ProcessedDrop)
				require.False(t, report.IsIdle(e))
			})
		}
	}
	require.ElementsMatch(t, []string{"ACCOUNT_SYNCHRONIZATION", "ACCOUNT_PROVISIONING", "USER_CSV_PROCESSED", "GROUPS_CSV_PROCESSED"},
		report.IdleCandidates())
}

// TestActiveIndexMatchesRule holds the partial index of the events table to the rule:
// its WHERE clause must be the very text NotIdle renders, or PostgreSQL stops using it
// for the default report.
func TestActiveIndexMatchesRule(t *testing.T) {
	t.Parallel()
	var where []string
	for _, idx := range migrate.EventsTable.Indexes {
		if idx.Annotation != nil && idx.Annotation.Where != "" {
			where = append(where, idx.Annotation.Where)
		}
	}
	require.NotEmpty(t, where, "the events table has no partial index")
	for _, w := range where {
		require.Equal(t, report.ActiveIndexPredicate(), w)
	}
}
