package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/demo"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSeed checks that the demo school looks like a real one: about 1,500 users, the
// five sync profiles, LDAP syncs every 15 minutes that are mostly idle, weekly CSV
// uploads of which a few fail with row-level problems, and logins, some failed.
func TestSeed(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		// Six weeks rather than the default 90 days keeps the test quick (the history is
		// dominated by about a thousand logins a day) while still holding a dozen CSV
		// uploads; the seeded randomness makes the outcome the same on every run.
		const days = 42
		start := time.Now()
		res, err := demo.Seed(context.Background(), db.Client, demo.Options{Days: days, Now: now})
		require.NoError(t, err)
		t.Logf("seeded %d events in %s", res.Events, time.Since(start))
		ctx := tenant.WithSchool(context.Background(), res.SchoolID)

		require.Equal(t, demo.Slug, res.Slug)
		require.InDelta(t, 1500, res.Users, 10)
		nUsers, err := db.Client.User.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, res.Users, nUsers)
		admins, err := db.Client.User.Query().Where(user.RoleEQ(user.RoleADMIN)).Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, admins)

		profiles, err := db.Client.SyncProfile.Query().All(ctx)
		require.NoError(t, err)
		require.Len(t, profiles, 5)
		kinds := map[syncprofile.Kind]int{}
		for _, p := range profiles {
			kinds[p.Kind]++
		}
		require.Equal(t, map[syncprofile.Kind]int{syncprofile.KindLDAP: 2, syncprofile.KindUSER_CSV: 1,
			syncprofile.KindGROUP_CSV: 1, syncprofile.KindSCRIPT: 1}, kinds)

		all, err := db.Client.Event.Query().All(ctx)
		require.NoError(t, err)
		require.Len(t, all, res.Events)
		byType := map[event.Type][]*ent.Event{}
		for _, e := range all {
			byType[e.Type] = append(byType[e.Type], e)
			require.False(t, e.DateFinished.After(now), "no event in the future")
			require.False(t, e.DateFinished.Before(now.AddDate(0, 0, -days-1)), "no event before the history")
			require.False(t, e.DateStarted.After(e.DateFinished))
		}

		// LDAP: two profiles every 15 minutes; most runs idle.
		ldap := append(append([]*ent.Event{}, byType[event.TypeACCOUNT_SYNCHRONIZATION]...), byType[event.TypeSYNC_ERROR]...)
		require.InDelta(t, 2*days*24*4, len(ldap), 2)
		idle := 0
		for _, e := range byType[event.TypeACCOUNT_SYNCHRONIZATION] {
			if report.IsIdle(e) {
				idle++
			}
		}
		share := float64(idle) / float64(len(ldap))
		require.Greater(t, share, 0.75, "mostly idle")
		require.Less(t, share, 0.95, "but not all")
		require.NotEmpty(t, byType[event.TypeSYNC_ERROR])
		// Every count column has something to show: some syncs remove leavers' accounts.
		var deleted, disabled int
		for _, e := range byType[event.TypeACCOUNT_SYNCHRONIZATION] {
			deleted += e.Deleted
			disabled += e.Disabled
		}
		require.Positive(t, deleted, "some accounts deleted")
		require.Positive(t, disabled, "some accounts disabled")

		// CSV uploads: weekly, by the admin, a few failed, failures carry problems.
		uploads := 0
		for _, typ := range []event.Type{event.TypeUSER_CSV_PROCESSED, event.TypeUSER_CSV_PROCESSED_WITH_ERRORS, event.TypeUSER_CSV_FAILED} {
			uploads += len(byType[typ])
		}
		require.InDelta(t, days/7, uploads, 1, "one user CSV upload a week")
		failed := append(append([]*ent.Event{}, byType[event.TypeUSER_CSV_FAILED]...), byType[event.TypeGROUP_CSV_FAILED]...)
		require.NotEmpty(t, failed)
		require.Less(t, len(failed), uploads, "a few, not most")
		for _, e := range append(failed, append(byType[event.TypeUSER_CSV_PROCESSED_WITH_ERRORS], byType[event.TypeGROUPS_CSV_PROCESSED_WITH_ERRORS]...)...) {
			require.NotEmpty(t, e.Problems, "%s has problems", e.Type)
			require.Positive(t, e.Errors)
			require.NotNil(t, e.UserID, "an upload has its uploader")
			for _, p := range e.Problems {
				require.NotEmpty(t, p.Field)
				require.NotEmpty(t, p.Message)
			}
		}

		// Logins: thousands, some failed, with users and no profiles.
		logins := len(byType[event.TypeAUTHENTICATION]) + len(byType[event.TypeAUTHORISATION]) + len(byType[event.TypeAUTHENTICATION_FAILED])
		require.Greater(t, logins, 10_000)
		require.NotEmpty(t, byType[event.TypeAUTHENTICATION_FAILED])
		require.Less(t, len(byType[event.TypeAUTHENTICATION_FAILED]), logins/10)
		for _, typ := range []event.Type{event.TypeAUTHENTICATION, event.TypeAUTHORISATION, event.TypeAUTHENTICATION_FAILED} {
			for _, e := range byType[typ] {
				require.NotNil(t, e.UserID)
				require.Nil(t, e.SyncProfileID)
			}
		}

		// The token it prints works and can do everything.
		v, err := auth.Authenticate(context.Background(), db.Client, res.Token)
		require.NoError(t, err)
		require.Equal(t, res.SchoolID, v.SchoolID)
		require.ElementsMatch(t, auth.Scopes(), v.Scopes)

		// Seeding again is a no-op once there is a school.
		again, err := demo.SeedIfEmpty(context.Background(), db.Client, demo.Options{Days: 1})
		require.NoError(t, err)
		require.Nil(t, again)
	})
}
