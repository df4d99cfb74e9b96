package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestEventFlagBaseline reads the baseline a flagged run was measured against: the
// median of the profile's earlier runs that count (a failed run and one that processed
// nothing are left out), and none for a run without flags or with too few earlier runs.
func TestEventFlagBaseline(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		start := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
		at := func(i int) string { return start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339) }
		run := func(i int, typ string, processed, deleted int) map[string]any {
			return map[string]any{"type": typ, "dateStarted": at(i), "dateFinished": at(i), "syncProfile": "Staff",
				"processed": processed, "deleted": deleted, "externalID": fmt.Sprint("r", i)}
		}
		record(t, b.srv, b.token, []map[string]any{
			// Two runs are too few for a baseline: the second run's mass delete is not raised.
			run(0, "ACCOUNT_SYNCHRONIZATION", 1000, 0),
			run(1, "ACCOUNT_SYNCHRONIZATION", 1400, 0),
			run(2, "SYNC_ERROR", 0, 0),
			run(3, "ACCOUNT_SYNCHRONIZATION", 0, 0),
			run(4, "ACCOUNT_SYNCHRONIZATION", 1300, 0),
			run(5, "ACCOUNT_SYNCHRONIZATION", 1200, 0),
			run(6, "ACCOUNT_SYNCHRONIZATION", 1350, 412),
		})

		q := `query($f: ReportFilter) { events(first: 50, filter: $f, orderBy: {field: DATE_FINISHED, direction: ASC}) {
			edges { node { processed flags flagBaseline { runs processed errors } } } } }`
		var out struct {
			Events struct {
				Edges []struct {
					Node struct {
						Processed    int
						Flags        []string
						FlagBaseline *struct {
							Runs              int
							Processed, Errors float64
						}
					}
				}
			}
		}
		b.srv.Do(t, b.token, q, map[string]any{"f": map[string]any{"activeOnly": false}}).OK(t).Decode(t, &out)
		require.Len(t, out.Events.Edges, 7)
		for i, e := range out.Events.Edges {
			switch i {
			case 3:
				// Flagged NOTHING_PROCESSED with only two runs before it that count.
				require.Equal(t, []string{"NOTHING_PROCESSED"}, e.Node.Flags)
				require.Nil(t, e.Node.FlagBaseline)
			case 6:
				require.Equal(t, []string{"MASS_DELETE"}, e.Node.Flags)
				require.NotNil(t, e.Node.FlagBaseline)
				// The median of 1000, 1400, 1300 and 1200: the failed run and the empty one do not count.
				require.Equal(t, 4, e.Node.FlagBaseline.Runs)
				require.InDelta(t, 1250, e.Node.FlagBaseline.Processed, 0)
				require.InDelta(t, 0, e.Node.FlagBaseline.Errors, 0)
			default:
				require.Empty(t, e.Node.Flags, "run %d", i)
				require.Nil(t, e.Node.FlagBaseline, "run %d", i)
			}
		}

		// An agent that may only record events reads its run's flags back, but not the
		// medians of the school's other runs.
		write := b.srv.Token(t, b.school.ID, auth.ScopeEventsWrite)
		mutation := `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { flags %s } } }`
		in := map[string]any{"in": []map[string]any{run(7, "ACCOUNT_SYNCHRONIZATION", 1300, 400)}}
		b.srv.Do(t, write, fmt.Sprintf(mutation, "flagBaseline { runs }"), in).Error(t, "FORBIDDEN")
		require.JSONEq(t, `{"recordEvents":{"events":[{"flags":["MASS_DELETE"]}]}}`,
			string(b.srv.Do(t, write, fmt.Sprintf(mutation, ""), in).OK(t).Data))
	})
}
