package report_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
	"github.com/provreport/provreport/internal/usererr"
)

// fixture is a school with random events recorded through the ingest path.
type fixture struct {
	ctx      context.Context
	client   *ent.Client
	events   []*ent.Event
	users    []int
	profiles []int
	base     time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	return setupSchool(t, db, "s")
}

// setupSchool is setup for a school of the given slug: schools made with the same slug
// get the same events.
func setupSchool(t *testing.T, db *store.DB, slug string) *fixture {
	t.Helper()
	sc := apitest.CreateSchool(t, db.Client, slug, "Australia/Sydney")
	ctx := tenant.WithSchool(context.Background(), sc.ID)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)
	users := []string{"alice", "bob", "carol"}
	profiles := []string{"LDAP Staff", "User CSV Upload", "Provisioning Scripts"}
	var in []*ingest.Input
	for i := range 300 {
		typ := eventtype.Values()[rng.IntN(12)]
		fin := base.Add(time.Duration(rng.IntN(10)) * time.Hour)
		if rng.IntN(4) == 0 {
			fin = fin.Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
		}
		e := &ingest.Input{Type: event.Type(typ), DateStarted: fin.Add(-time.Minute), DateFinished: fin,
			ExternalID: ptr(fmt.Sprintf("e%d", i))}
		if eventtype.IsAuth(typ) {
			e.Username = ptr(users[rng.IntN(3)])
		} else {
			e.SyncProfile = ptr(profiles[rng.IntN(3)])
			if rng.IntN(2) == 0 {
				e.Username = ptr(users[rng.IntN(3)])
			}
			switch rng.IntN(3) {
			case 0:
				e.Processed = ptr(1 + rng.IntN(100))
			case 1:
			default:
				e.Processed = ptr(rng.IntN(100))
				counts := []**int{&e.Added, &e.Updated, &e.Deleted, &e.Disabled, &e.Errors}
				*counts[rng.IntN(5)] = ptr(1 + rng.IntN(3))
			}
		}
		in = append(in, e)
	}
	evs, err := ingest.NewRecorder(db).Record(ctx, in)
	require.NoError(t, err)
	f := &fixture{ctx: ctx, client: db.Client, events: evs, base: base}
	for _, e := range evs {
		if e.UserID != nil && !slices.Contains(f.users, *e.UserID) {
			f.users = append(f.users, *e.UserID)
		}
		if e.SyncProfileID != nil && !slices.Contains(f.profiles, *e.SyncProfileID) {
			f.profiles = append(f.profiles, *e.SyncProfileID)
		}
	}
	require.Len(t, f.users, 3)
	require.Len(t, f.profiles, 3)
	return f
}

// randomFilter draws a filter whose bounds often land exactly on event finish times.
func (f *fixture) randomFilter(rng *rand.Rand) report.Filter {
	var flt report.Filter
	at := func() *time.Time {
		if rng.IntN(3) == 0 {
			return ptr(f.events[rng.IntN(len(f.events))].DateFinished)
		}
		return ptr(f.base.Add(time.Duration(rng.IntN(11)) * time.Hour).In(time.FixedZone("x", 3600*rng.IntN(12))))
	}
	if rng.IntN(2) == 0 {
		flt.From = at()
	}
	if rng.IntN(2) == 0 {
		flt.To = at()
	}
	if rng.IntN(3) == 0 {
		flt.UserID = ptr(f.users[rng.IntN(len(f.users))])
	}
	if rng.IntN(3) == 0 {
		flt.SyncProfileID = ptr(f.profiles[rng.IntN(len(f.profiles))])
	}
	for _, typ := range eventtype.Values() {
		if rng.IntN(4) == 0 {
			flt.Types = append(flt.Types, event.Type(typ))
		}
	}
	if r := rng.IntN(3); r > 0 {
		flt.ActiveOnly = ptr(r == 1)
	}
	return flt
}

// TestMatchesAgreesWithPredicates holds the live feed's in-memory filter (Matches) to
// the SQL the report runs (Predicates): for many random filters, on both databases,
// they pick exactly the same events.
func TestMatchesAgreesWithPredicates(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := setup(t, db)
		// Events as read back from the database, as the live feed's subscribers may
		// see them, and as returned by the recorder.
		stored, err := f.client.Event.Query().All(f.ctx)
		require.NoError(t, err)
		require.Len(t, stored, len(f.events))

		rng := rand.New(rand.NewPCG(3, 4))
		filters := []report.Filter{{}, {ActiveOnly: ptr(false)}, {ActiveOnly: ptr(true)}, {Flagged: ptr(true)},
			{Flagged: ptr(false), ActiveOnly: ptr(false)}}
		for range 200 {
			filters = append(filters, f.randomFilter(rng))
		}
		nonEmpty := 0
		for _, flt := range filters {
			sqlIDs, err := f.client.Event.Query().Where(flt.Predicates()...).IDs(f.ctx)
			require.NoError(t, err)
			var goIDs, goStored []int
			for _, e := range f.events {
				if flt.Matches(e) {
					goIDs = append(goIDs, e.ID)
				}
			}
			for _, e := range stored {
				if flt.Matches(e) {
					goStored = append(goStored, e.ID)
				}
			}
			require.ElementsMatch(t, sqlIDs, goIDs, "filter %s", describe(flt))
			require.ElementsMatch(t, sqlIDs, goStored, "filter %s (stored events)", describe(flt))
			if len(sqlIDs) > 0 && len(sqlIDs) < len(f.events) {
				nonEmpty++
			}
		}
		require.Greater(t, nonEmpty, 100, "most filters select some but not all events")
	})
}

func describe(f report.Filter) string {
	s := ""
	if f.From != nil {
		s += " from=" + f.From.Format(time.RFC3339Nano)
	}
	if f.To != nil {
		s += " to=" + f.To.Format(time.RFC3339Nano)
	}
	if f.UserID != nil {
		s += fmt.Sprintf(" user=%d", *f.UserID)
	}
	if f.SyncProfileID != nil {
		s += fmt.Sprintf(" profile=%d", *f.SyncProfileID)
	}
	if len(f.Types) > 0 {
		s += fmt.Sprintf(" types=%v", f.Types)
	}
	return s + fmt.Sprintf(" active=%v", f.Active())
}

// TestFilterCheck checks the filter's own validation: a backwards range, an unknown
// type, and IDs that are not the caller's.
func TestFilterCheck(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := setup(t, db)
		other := apitest.CreateSchool(t, db.Client, "other", "")
		otherCtx := tenant.WithSchool(context.Background(), other.ID)
		u, err := db.Client.User.Create().SetUsername("alice").Save(otherCtx)
		require.NoError(t, err)

		now := time.Now()
		for _, tc := range []struct {
			name  string
			f     report.Filter
			field string
		}{
			{"from after to", report.Filter{From: ptr(now), To: ptr(now.Add(-time.Second))}, "filter.from"},
			{"unknown type", report.Filter{Types: []event.Type{"LOGIN"}}, "filter.types[0]"},
			{"unknown user", report.Filter{UserID: ptr(1)}, "filter.userID"},
			{"other school's user", report.Filter{UserID: ptr(u.ID)}, "filter.userID"},
			{"a profile as user", report.Filter{UserID: ptr(f.profiles[0])}, "filter.userID"},
			{"unknown profile", report.Filter{SyncProfileID: ptr(f.users[0])}, "filter.syncProfileID"},
		} {
			err := tc.f.Check(f.ctx, f.client)
			ue, ok := usererr.As(err)
			require.True(t, ok, "%s: %v", tc.name, err)
			require.Equal(t, usererr.BadUserInput, ue.Code, tc.name)
			require.Equal(t, tc.field, ue.Field, tc.name)
		}
		for _, ok := range []report.Filter{
			{},
			{From: ptr(now), To: ptr(now)},
			{UserID: ptr(f.users[0]), SyncProfileID: ptr(f.profiles[0]), Types: []event.Type{event.TypeSYNC_ERROR}},
		} {
			require.NoError(t, ok.Check(f.ctx, f.client))
		}
		// The other school's user is fine for the other school.
		require.NoError(t, report.Filter{UserID: ptr(u.ID)}.Check(otherCtx, db.Client))
	})
}

func ptr[T any](v T) *T { return &v }
