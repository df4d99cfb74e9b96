package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/demo"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/health"
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
		// The directory, and the accounts the last month's runs provisioned.
		enrolled := requireChanges(t, db, res.SchoolID, now, demo.Slug)
		require.InDelta(t, 1500, res.Users-enrolled, 10)
		nUsers, err := db.Client.User.Query().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, res.Users, nUsers)
		admins, err := db.Client.User.Query().Where(user.RoleEQ(user.RoleADMIN)).Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, admins)

		profiles, err := db.Client.SyncProfile.Query().All(ctx)
		require.NoError(t, err)
		require.Len(t, profiles, 10)
		kinds := map[syncprofile.Kind]int{}
		for _, p := range profiles {
			kinds[p.Kind]++
		}
		require.Equal(t, map[syncprofile.Kind]int{syncprofile.KindLDAP: 4, syncprofile.KindUSER_CSV: 1,
			syncprofile.KindGROUP_CSV: 1, syncprofile.KindSCRIPT: 4}, kinds)
		requireEveryStatus(t, db, res.SchoolID, now, demo.Slug)
		profileID := map[string]int{}
		for _, p := range profiles {
			profileID[p.Name] = p.ID
		}

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
		// The health profiles' runs (see internal/demo/health.go) are counted apart.
		var ldapOnly []*ent.Event
		for _, e := range ldap {
			if *e.SyncProfileID == profileID["LDAP Staff"] || *e.SyncProfileID == profileID["LDAP Students"] {
				ldapOnly = append(ldapOnly, e)
			}
		}
		require.InDelta(t, 2*days*24*4+7, len(ldapOnly), 2, "every 15 minutes, and the recent week's seven")
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
		// One upload a week, and the recent week's six (see TestRecentWeekAnyDay).
		require.InDelta(t, days/7+6, uploads, 1, "one user CSV upload a week")
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

// TestRecentWeekAnyDay seeds the demo at 30 different clocks (any time of day, either side
// of Sydney's daylight-saving changes, clocks read in several zones, different random
// seeds) and checks that the last seven days always hold what a newcomer and the browser
// tests look for in the report's default view (idle runs hidden): two events of every
// type, failed User and Group CSV uploads with problem rows, a run that processed
// nothing, and logins of several people; and that idle runs exist too.
func TestRecentWeekAnyDay(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	zones := []string{"UTC", "Australia/Sydney", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"}
	start := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		loc, err := time.LoadLocation(zones[i%len(zones)])
		require.NoError(t, err)
		// Steps of 12 days and 7 hours 13 minutes walk through every weekday, many
		// times of day, both daylight-saving changes and the turn of the year.
		now := start.Add(time.Duration(i) * (12*24*time.Hour + 7*time.Hour + 13*time.Minute)).In(loc)
		slug := fmt.Sprintf("clock-%02d", i)
		res, err := demo.Seed(context.Background(), db.Client, demo.Options{
			Days: 8, Now: now, Slug: slug, Students: 60, Staff: 8, Seed: uint64(i * 7919),
		})
		require.NoError(t, err, slug)
		ctx := tenant.WithSchool(context.Background(), res.SchoolID)
		week, err := db.Client.Event.Query().
			Where(event.DateFinishedGT(now.AddDate(0, 0, -7)), event.DateFinishedLTE(now)).All(ctx)
		require.NoError(t, err)

		shown := map[event.Type]int{}
		idle, nothing := 0, 0
		loggedIn := map[int]bool{}
		failedUploads := map[event.Type]bool{}
		for _, e := range week {
			if report.IsIdle(e) {
				idle++
				continue
			}
			shown[e.Type]++
			if e.SyncProfileID != nil && e.Processed == 0 && e.Type == event.TypeACCOUNT_SYNCHRONIZATION {
				nothing++
			}
			if (e.Type == event.TypeUSER_CSV_FAILED || e.Type == event.TypeGROUP_CSV_FAILED) && len(e.Problems) > 0 {
				failedUploads[e.Type] = true
			}
			if e.Type == event.TypeAUTHENTICATION || e.Type == event.TypeAUTHORISATION {
				loggedIn[*e.UserID] = true
			}
		}
		for _, typ := range eventtype.Values() {
			require.GreaterOrEqual(t, shown[event.Type(typ)], 2, "%s at %s: events of type %s in the default view", slug, now, typ)
		}
		require.True(t, failedUploads[event.TypeUSER_CSV_FAILED], "%s at %s: a failed User CSV upload with problems", slug, now)
		require.True(t, failedUploads[event.TypeGROUP_CSV_FAILED], "%s at %s: a failed Group CSV upload with problems", slug, now)
		require.Positive(t, nothing, "%s at %s: a run that processed nothing", slug, now)
		require.Positive(t, idle, "%s at %s: idle runs", slug, now)
		require.GreaterOrEqual(t, len(loggedIn), 3, "%s at %s: logins of several people", slug, now)
		requireEveryStatus(t, db, res.SchoolID, now, slug)
		requireChanges(t, db, res.SchoolID, now, slug)
	}
}

// requireChanges checks the changes the school seeded at now records: some, all within
// the last 30 days and on runs, each run's a sample of at most 20 that never passes the
// run's count of an action, with the run's totals of changes and CSV rows; and among
// the accounts they provisioned, some signed in afterwards and some never did. It
// returns how many accounts the changes provisioned.
func requireChanges(t *testing.T, db *store.DB, schoolID int, now time.Time, slug string) int {
	t.Helper()
	ctx := tenant.WithSchool(context.Background(), schoolID)
	chs, err := db.Client.Change.Query().WithEvent().All(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, chs, "%s at %s: changes", slug, now)
	type tally struct{ n, rows int }
	perRun := map[int]*tally{}
	perAction := map[[2]any]int{}
	provisioned := map[int]time.Time{}
	for _, c := range chs {
		ev := c.Edges.Event
		require.True(t, c.At.Equal(ev.DateFinished), "%s: a change is at its run's finish", slug)
		require.False(t, c.At.After(now), "%s: no change in the future", slug)
		require.True(t, c.At.After(now.Add(-30*24*time.Hour)), "%s: changes within the last 30 days", slug)
		require.NotNil(t, ev.SyncProfileID, "%s: changes belong to runs", slug)
		if perRun[ev.ID] == nil {
			perRun[ev.ID] = &tally{}
		}
		perRun[ev.ID].n++
		perRun[ev.ID].rows += max(1, len(c.Attributes))
		perAction[[2]any{ev.ID, c.Action}]++
		limit := map[change.Action]int{change.ActionADDED: ev.Added, change.ActionUPDATED: ev.Updated,
			change.ActionDISABLED: ev.Disabled, change.ActionDELETED: ev.Deleted, change.ActionFAILED: ev.Errors}[c.Action]
		require.LessOrEqual(t, perAction[[2]any{ev.ID, c.Action}], limit, "%s: %s changes of run %d within its count", slug, c.Action, ev.ID)
		if c.Action == change.ActionADDED {
			require.NotNil(t, c.DisplayName)
			names := map[string]bool{}
			for _, a := range c.Attributes {
				names[a.Name] = true
			}
			require.Equal(t, map[string]bool{"givenName": true, "sn": true, "mail": true, "memberOf": true}, names)
			if first, ok := provisioned[c.UserID]; !ok || c.At.Before(first) {
				provisioned[c.UserID] = c.At
			}
		}
		if c.Action == change.ActionDISABLED {
			require.Equal(t, "accountDisabled", c.Attributes[0].Name)
		}
	}
	for id, n := range perRun {
		ev, err := db.Client.Event.Get(ctx, id)
		require.NoError(t, err)
		require.LessOrEqual(t, n.n, 20, "%s: a sample of at most 20 changes a run", slug)
		require.Equal(t, n.n, ev.ChangesRecorded, "%s: run %d's changes recorded", slug, id)
		require.Equal(t, n.rows, ev.ChangeRows, "%s: run %d's CSV rows", slug, id)
	}
	signed, never := 0, 0
	for id, at := range provisioned {
		n, err := db.Client.Event.Query().Where(event.UserID(id), event.TypeIn(event.TypeAUTHENTICATION, event.TypeAUTHORISATION),
			event.DateFinishedGTE(at)).Count(ctx)
		require.NoError(t, err)
		if n > 0 {
			signed++
		} else {
			never++
		}
	}
	require.Positive(t, signed, "%s at %s: provisioned accounts that signed in", slug, now)
	require.Positive(t, never, "%s at %s: provisioned accounts that never signed in", slug, now)
	return len(provisioned)
}

// requireEveryStatus checks that the Sync health page of the school seeded at now shows
// every status, each on the profile that tells its story, and that the runs behind
// them carry the flags the recording paths would have given them.
func requireEveryStatus(t *testing.T, db *store.DB, schoolID int, now time.Time, slug string) {
	t.Helper()
	ctx := tenant.WithSchool(context.Background(), schoolID)
	profiles, err := db.Client.SyncProfile.Query().All(ctx)
	require.NoError(t, err)
	ids := make([]int, len(profiles))
	for i, p := range profiles {
		ids[i] = p.ID
	}
	runs, err := health.LatestRuns(ctx, db.Client, ids)
	require.NoError(t, err)
	got := map[string]health.Status{}
	seen := map[health.Status]bool{}
	for _, p := range profiles {
		h := health.Judge(runs[p.ID], now, health.ProfileSettings{QuietAfterMinimum: health.DefaultQuietAfterMinimum})
		got[p.Name] = h.Status
		seen[h.Status] = true
	}
	for name, want := range map[string]health.Status{"LDAP Alumni": health.Quiet, "Google Workspace Sync": health.Failing,
		"Library System Sync": health.Warning, "Timetable Sync": health.Healthy, "Canvas Roster Sync": health.Unknown} {
		require.Equal(t, want, got[name], "%s at %s: %s", slug, now, name)
	}
	for _, st := range []health.Status{health.Quiet, health.Failing, health.Warning, health.Unknown, health.Healthy} {
		require.True(t, seen[st], "%s at %s: a profile %s", slug, now, st)
	}
	for _, f := range []health.Flags{health.MassDelete, health.NothingProcessed} {
		n, err := db.Client.Event.Query().Where(event.FlagsEQ(int(f))).Count(ctx)
		require.NoError(t, err)
		require.Positive(t, n, "%s at %s: a run flagged %s", slug, now, f)
	}
}
