package graph_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestCountsBounded: counts above 10,000,000 per event are refused, and a summary over
// counts that would overflow 64 bits (rows from before the bound) answers, capped,
// instead of failing with an internal error.
func TestCountsBounded(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ev := func(processed int) map[string]any {
			return map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP",
				"dateStarted": "2026-03-01T10:00:00Z", "dateFinished": "2026-03-01T10:01:00Z", "processed": processed, "added": 1}
		}
		huge := 1 << 62
		r := b.srv.Do(t, b.token, recordMutation, map[string]any{"in": []any{ev(huge), ev(huge), ev(huge)}})
		e := r.Error(t, "BAD_USER_INPUT")
		require.Contains(t, e.Message, "input[0].processed")
		require.Contains(t, e.Message, "at most 10000000")
		r = b.srv.Do(t, b.token, recordMutation, map[string]any{"in": []any{ev(10_000_001)}})
		r.Error(t, "BAD_USER_INPUT")

		record(t, b.srv, b.token, []map[string]any{ev(10_000_000), ev(1), ev(2)})
		// Rows recorded before the bound existed may hold any 64-bit count.
		ctx := tenant.WithSchool(context.Background(), b.school.ID)
		require.NoError(t, db.Client.Event.Update().SetProcessed(huge).Exec(ctx))
		var out struct{ EventSummary summaryJSON }
		b.srv.Do(t, b.token, summaryQuery, map[string]any{"f": map[string]any{"activeOnly": false}}).OK(t).Decode(t, &out)
		require.Equal(t, math.MaxInt64, out.EventSummary.Processed)
		require.Equal(t, 3, out.EventSummary.Events)
		require.Equal(t, 3, out.EventSummary.Added)
	})
}
