package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSyncProfilesHealthOneLoad: syncProfiles { health } runs the same statements for one
// profile as for seven (one read of the runs of all of them, one of the school's
// settings), and every profile's health equals the rule applied to that profile's own
// latest runs read one profile at a time.
func TestSyncProfilesHealthOneLoad(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			tr := newTraced(t, kind, "batch")
			ctx, db, srv, token := context.Background(), tr.db, tr.srv, tr.token
			statements := func(q string) []string { return tr.statements(t, q, nil, nil) }
			q := `{ syncProfiles { id name health { status lastRunAt lastSuccessAt expectedEvery overdueSince lastFlags } } }`

			now := time.Now().UTC().Truncate(time.Second)
			day := 24 * time.Hour
			runs := func(profile, typ string, n int, last time.Time, every time.Duration, processed func(i int) int) []map[string]any {
				var in []map[string]any
				for i := n - 1; i >= 0; i-- {
					at := last.Add(-time.Duration(i) * every).Format(time.RFC3339)
					in = append(in, map[string]any{"type": typ, "dateStarted": at, "dateFinished": at, "syncProfile": profile,
						"processed": processed(i), "externalID": fmt.Sprint(profile, "-", i)})
				}
				return in
			}
			steady := func(int) int { return 1000 }
			srv.Do(t, token, recordMutation, map[string]any{"in": runs("Staff", "ACCOUNT_SYNCHRONIZATION", 3, now.Add(-time.Hour), day, steady)}).OK(t)
			one := statements(q)
			require.Equal(t, 1, countContaining(one, "LIMIT 10"), "%q", one)

			// Six more profiles: 25 hourly runs (more than the 10 read), quiet for days,
			// failing, processed nothing last, two runs only, and one without runs.
			for _, in := range [][]map[string]any{
				runs("Students", "ACCOUNT_SYNCHRONIZATION", 25, now.Add(-30*time.Minute), time.Hour, steady),
				runs("Old", "ACCOUNT_SYNCHRONIZATION", 5, now.Add(-5*day), day, steady),
				append(runs("Failing", "ACCOUNT_SYNCHRONIZATION", 4, now.Add(-2*time.Hour), time.Hour, steady),
					map[string]any{"type": "SYNC_ERROR", "dateStarted": now.Add(-time.Hour).Format(time.RFC3339),
						"dateFinished": now.Add(-time.Hour).Format(time.RFC3339), "syncProfile": "Failing", "externalID": "f"}),
				runs("Zero", "ACCOUNT_PROVISIONING", 6, now.Add(-time.Hour), time.Hour, func(i int) int { return map[bool]int{true: 0, false: 50}[i == 0] }),
				runs("Few", "USER_CSV_PROCESSED", 2, now.Add(-day), day, steady),
			} {
				srv.Do(t, token, recordMutation, map[string]any{"in": in}).OK(t)
			}
			require.NoError(t, db.Client.SyncProfile.Create().SetName("Empty").SetKind("LDAP").Exec(tenant.WithSchool(ctx, tr.school)))
			seven := statements(q)
			require.Len(t, seven, len(one), "the same statements for 7 profiles as for 1:\n%s\n---\n%s",
				strings.Join(seven, "\n"), strings.Join(one, "\n"))
			// One statement reads the runs: one short read per profile, joined.
			require.Equal(t, 1, countContaining(seven, "LIMIT 10"))
			for _, s := range seven {
				if strings.Contains(s, "LIMIT 10") {
					require.Equal(t, 7, strings.Count(s, "LIMIT 10"), s)
				}
			}

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
			srv.Do(t, token, q, nil).OK(t).Decode(t, &out)
			asked := time.Now()
			require.Len(t, out.SyncProfiles, 7)
			sctx := tenant.WithSchool(ctx, tr.school)
			statuses := map[string]string{}
			for _, p := range out.SyncProfiles {
				// The rule applied to the profile's own latest runs, read alone.
				prof, err := db.Client.SyncProfile.Query().Where(syncprofile.Name(p.Name)).Only(sctx)
				require.NoError(t, err)
				evs, err := db.Client.Event.Query().Where(event.SyncProfileID(prof.ID)).
					Order(event.ByDateFinished(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())).Limit(health.StatusRuns).All(sctx)
				require.NoError(t, err)
				var rs []health.ProfileRun
				for _, e := range evs {
					rs = append(rs, health.ProfileRun{Type: string(e.Type), DateFinished: e.DateFinished, Errors: e.Errors, Flags: health.Flags(e.Flags)})
				}
				want := health.Judge(rs, asked, health.ProfileSettings{QuietAfterMinimum: health.DefaultQuietAfterMinimum})
				got := p.Health
				statuses[p.Name] = got.Status
				require.Equal(t, string(want.Status), got.Status, p.Name)
				requireSameTime(t, want.LastRunAt, got.LastRunAt, p.Name)
				requireSameTime(t, want.LastSuccessAt, got.LastSuccessAt, p.Name)
				requireSameTime(t, want.OverdueSince, got.OverdueSince, p.Name)
				if want.ExpectedEvery == nil {
					require.Nil(t, got.ExpectedEvery, p.Name)
				} else {
					require.Equal(t, int(*want.ExpectedEvery/time.Second), *got.ExpectedEvery, p.Name)
				}
				require.Equal(t, want.LastFlags.Names(), append([]string{}, got.LastFlags...), p.Name)
			}
			require.Equal(t, map[string]string{"Staff": "HEALTHY", "Students": "HEALTHY", "Old": "QUIET", "Failing": "FAILING",
				"Zero": "FAILING", "Few": "UNKNOWN", "Empty": "UNKNOWN"}, statuses)
		})
	}
}

func countContaining(ss []string, sub string) int {
	n := 0
	for _, s := range ss {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func requireSameTime(t *testing.T, want, got *time.Time, msg string) {
	t.Helper()
	if want == nil {
		require.Nil(t, got, msg)
		return
	}
	require.NotNil(t, got, msg)
	require.True(t, want.Equal(*got), "%s: want %v, got %v", msg, want, got)
}
