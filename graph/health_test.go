package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

const settingsQuery = `{ syncHealthSettings { deletePercent disablePercent updatePercent processedDropPercent } }`

// TestSyncHealthSettings reads the defaults, lets only an admin change them, refuses a
// percentage out of range, and flags the runs recorded afterwards with the new
// threshold, through the GraphQL endpoint.
func TestSyncHealthSettings(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		r := b.srv.Do(t, b.token, settingsQuery, nil).OK(t)
		require.JSONEq(t, `{"syncHealthSettings":{"deletePercent":10,"disablePercent":10,"updatePercent":75,"processedDropPercent":50}}`,
			string(r.Data))

		update := `mutation($in: SyncHealthSettingsInput!) { updateSyncHealthSettings(input: $in) { deletePercent updatePercent } }`
		b.srv.Do(t, b.token, update, map[string]any{"in": map[string]any{"deletePercent": 1}}).Error(t, "FORBIDDEN")

		admin := signedInAdmin(t, b.srv, b.school.ID, b.school.Slug)
		out := admin(update, map[string]any{"in": map[string]any{"deletePercent": 101}})
		require.Contains(t, out, "input.deletePercent", out)
		out = admin(update, map[string]any{"in": map[string]any{"deletePercent": 1}})
		require.JSONEq(t, `{"data":{"updateSyncHealthSettings":{"deletePercent":1,"updatePercent":75}}}`, out)

		// 11 deleted of a baseline of 1,000: above 1%, below the default 10%.
		base := time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)
		var in []map[string]any
		for day := range 4 {
			at := base.Add(time.Duration(day) * 24 * time.Hour).Format(time.RFC3339)
			e := map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "dateStarted": at, "dateFinished": at,
				"syncProfile": "Staff", "processed": 1000, "externalID": fmt.Sprint("h", day)}
			if day == 3 {
				e["deleted"] = 11
			}
			in = append(in, e)
		}
		evs, _ := record(t, b.srv, b.token, in)
		require.Equal(t, [][]string{nil, nil, nil, {"MASS_DELETE"}},
			[][]string{nilIfEmpty(evs[0].Flags), nilIfEmpty(evs[1].Flags), nilIfEmpty(evs[2].Flags), evs[3].Flags})
	})
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
