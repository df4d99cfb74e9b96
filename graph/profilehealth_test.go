package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSyncProfileHealth reads each profile's health through syncProfiles: an hourly sync
// that stopped a day ago is QUIET, a profile whose last run failed is FAILING, a CSV
// upload profile is never QUIET until an admin sets its schedule.
func TestSyncProfileHealth(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		last := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
		var in []map[string]any
		for i := range 4 {
			at := last.Add(-time.Duration(i) * time.Hour).Format(time.RFC3339)
			in = append(in,
				map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "dateStarted": at, "dateFinished": at,
					"syncProfile": "Staff", "processed": 100, "externalID": fmt.Sprint("s", i)},
				map[string]any{"type": "USER_CSV_PROCESSED", "dateStarted": at, "dateFinished": at,
					"syncProfile": "Uploads", "processed": 100, "externalID": fmt.Sprint("u", i)})
		}
		now := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
		in = append(in, map[string]any{"type": "SYNC_ERROR", "dateStarted": now, "dateFinished": now,
			"syncProfile": "Students", "externalID": "e0"})
		record(t, b.srv, b.token, in)

		q := `{ syncProfiles { id name health { status lastRunAt lastSuccessAt expectedEvery overdueSince lastFlags } } }`
		var out struct {
			SyncProfiles []struct {
				ID, Name string
				Health   struct {
					Status                                 string
					LastRunAt, LastSuccessAt, OverdueSince *time.Time
					ExpectedEvery                          *int
					LastFlags                              []string
				}
			}
		}
		b.srv.Do(t, b.token, q, nil).OK(t).Decode(t, &out)
		require.Len(t, out.SyncProfiles, 3)
		byName := map[string]int{}
		for i, p := range out.SyncProfiles {
			byName[p.Name] = i
		}
		staff := out.SyncProfiles[byName["Staff"]].Health
		require.Equal(t, "QUIET", staff.Status)
		require.Equal(t, 3600, *staff.ExpectedEvery)
		require.True(t, last.Equal(*staff.LastRunAt))
		require.True(t, last.Add(3*time.Hour).Equal(*staff.OverdueSince))
		require.Empty(t, staff.LastFlags)
		students := out.SyncProfiles[byName["Students"]].Health
		require.Equal(t, "FAILING", students.Status)
		require.Nil(t, students.LastSuccessAt)
		require.Nil(t, students.ExpectedEvery)
		uploads := out.SyncProfiles[byName["Uploads"]]
		require.Equal(t, "HEALTHY", uploads.Health.Status)

		set := `mutation($id: ID!, $e: Int) { setSyncProfileSchedule(id: $id, expectedEvery: $e) { health { status expectedEvery } } }`
		vars := map[string]any{"id": uploads.ID, "e": 7200}
		b.srv.Do(t, b.token, set, vars).Error(t, "FORBIDDEN")
		admin := signedInAdmin(t, b.srv, b.school.ID, b.school.Slug)
		require.Contains(t, admin(set, map[string]any{"id": uploads.ID, "e": 59}), "expectedEvery")
		require.JSONEq(t, `{"data":{"setSyncProfileSchedule":{"health":{"status":"QUIET","expectedEvery":7200}}}}`, admin(set, vars))
		require.JSONEq(t, `{"data":{"setSyncProfileSchedule":{"health":{"status":"HEALTHY","expectedEvery":3600}}}}`,
			admin(set, map[string]any{"id": uploads.ID, "e": nil}))
	})
}
