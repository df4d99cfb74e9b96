package report_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// countingDriver counts the statements a client sends.
type countingDriver struct {
	dialect.Driver
	queries *atomic.Int64
	last    *atomic.Value
}

func (d countingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.queries.Add(1)
	d.last.Store(query)
	return d.Driver.Query(ctx, query, args, v)
}

// countingClient is a client of db, with the people join installed as store.Open does
// (reading through pool when it is set, else through the client's driver), whose
// statements through ent's driver are counted.
func countingClient(db *store.DB, pool *pgxpool.Pool) (*ent.Client, *atomic.Int64, *atomic.Value) {
	n, last := &atomic.Int64{}, &atomic.Value{}
	drv := countingDriver{entsql.OpenDB(db.Dialect, db.SQL), n, last}
	c := ent.NewClient(ent.Driver(drv))
	c.Event.Intercept(report.JoinPeople(drv, pool))
	return c, n, last
}

// readers are the ways the event list's statement can be read on db: through ent's
// driver, and on PostgreSQL also through pgx, as store.Open installs it there.
func readers(db *store.DB) map[string]*pgxpool.Pool {
	r := map[string]*pgxpool.Pool{"driver": nil}
	if db.Pool != nil {
		r["pgx"] = db.Pool
	}
	return r
}

// TestWithPeople holds the event list's join to ent's own loading: a marked query loads
// each event, its user and its sync profile in one statement, and they equal what ent
// loads edge by edge, for random filters, on both databases.
func TestWithPeople(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// Values the readers could mix up: every user column distinct, and events with a
		// service, details and problems.
		for i, id := range f.users {
			require.NoError(t, db.Client.User.UpdateOneID(id).SetDisplayName(fmt.Sprintf("Display %d", i)).
				SetEmail(fmt.Sprintf("u%d@example.org", i)).SetRole([]user.Role{user.RoleADMIN, user.RoleVIEWER}[i%2]).Exec(f.ctx))
		}
		for i, e := range f.events[:120] {
			u := db.Client.Event.UpdateOneID(e.ID).SetDetails(fmt.Sprintf("details %d\nline", i))
			if i%2 == 0 {
				u.SetService(fmt.Sprintf("service %d", i))
			}
			if i%3 == 0 {
				u.SetProblems([]eventtype.Problem{{Line: i, Field: "email", Message: "bad"}})
			}
			require.NoError(t, u.Exec(f.ctx))
		}
		for reader, pool := range readers(db) {
			t.Run(reader, func(t *testing.T) { testWithPeople(t, db, f, pool) })
		}
	})
}

func testWithPeople(t *testing.T, db *store.DB, f *fixture, pool *pgxpool.Pool) {
	c, statements, last := countingClient(db, pool)
	// Through pgx the page statement bypasses ent's driver: none is counted there.
	viaDriver := int64(1)
	if pool != nil {
		viaDriver = 0
	}
	rng := rand.New(rand.NewPCG(3, 4))
	sawUser, sawNoUser, sawProfile, sawNoProfile, sawIDsFirst := false, false, false, false, false
	for range 40 {
		flt := f.randomFilter(rng)
		if rng.IntN(3) == 0 {
			// An active type filter: the page's IDs are picked first.
			flt.ActiveOnly, flt.Types = nil, []event.Type{event.TypeACCOUNT_SYNCHRONIZATION, event.TypeAUTHENTICATION_FAILED, event.TypeUSER_CSV_FAILED}
		}
		limit := 1 + rng.IntN(60)
		preds := flt.Predicates()
		page := report.Page{Desc: rng.IntN(3) > 0}
		if rng.IntN(2) == 0 {
			// A cursor, as entgql's pager adds it after the filter.
			at := f.events[rng.IntN(len(f.events))]
			if page.Desc {
				preds = append(preds, event.Or(event.DateFinishedLT(at.DateFinished),
					event.And(event.DateFinishedEQ(at.DateFinished), event.IDLT(at.ID))))
			} else {
				preds = append(preds, event.Or(event.DateFinishedGT(at.DateFinished),
					event.And(event.DateFinishedEQ(at.DateFinished), event.IDGT(at.ID))))
			}
		}
		var dir []sql.OrderTermOption
		if page.Desc {
			dir = append(dir, sql.OrderDesc())
		}
		q := func(c *ent.Client) *ent.EventQuery {
			// Ordered the way entgql's pager orders a page.
			return c.Event.Query().Where(preds...).
				Order(event.ByDateFinished(dir...), event.ByID(dir...)).Limit(limit)
		}
		idsFirst := flt.Active() && (len(flt.Types) > 0 || flt.SyncProfileID != nil)
		want, err := q(db.Client).WithUser().WithSyncProfile().All(f.ctx)
		require.NoError(t, err)
		sawIDsFirst = sawIDsFirst || (idsFirst && len(want) > 1)
		statements.Store(0)
		got, err := q(c).All(report.WithPeople(f.ctx, flt, page))
		require.NoError(t, err)
		require.EqualValues(t, viaDriver, statements.Load(), "one statement for the page and its people")
		if pool == nil {
			require.Equal(t, idsFirst, strings.HasPrefix(last.Load().(string), "WITH "), "IDs first exactly for an active type or profile filter: %s", last.Load())
		}
		require.Len(t, got, len(want))
		for i, w := range want {
			g := got[i]
			require.Equal(t, w.ID, g.ID)
			require.Equal(t, w.Type, g.Type)
			require.Equal(t, w.DateFinished.Format(time.RFC3339Nano), g.DateFinished.Format(time.RFC3339Nano))
			require.Equal(t, w.DateStarted.Format(time.RFC3339Nano), g.DateStarted.Format(time.RFC3339Nano))
			require.Equal(t, w.RecordedAt.Format(time.RFC3339Nano), g.RecordedAt.Format(time.RFC3339Nano))
			require.Equal(t, []any{w.SchoolID, w.Added, w.Updated, w.Deleted, w.Disabled, w.Errors, w.Service, w.ExternalID},
				[]any{g.SchoolID, g.Added, g.Updated, g.Deleted, g.Disabled, g.Errors, g.Service, g.ExternalID})
			require.Equal(t, w.Problems, g.Problems)
			require.Equal(t, w.Details, g.Details)
			require.Equal(t, w.Processed, g.Processed)
			require.Equal(t, w.UserID, g.UserID)
			require.Equal(t, w.SyncProfileID, g.SyncProfileID)
			if wu := w.Edges.User; wu == nil {
				sawNoUser = true
				require.Nil(t, g.Edges.User)
			} else {
				sawUser = true
				gu := g.Edges.User
				require.NotNil(t, gu)
				require.Equal(t, []any{wu.ID, wu.SchoolID, wu.Username, wu.DisplayName, wu.Email, wu.Role},
					[]any{gu.ID, gu.SchoolID, gu.Username, gu.DisplayName, gu.Email, gu.Role})
				require.Equal(t, wu.CreateTime.Format(time.RFC3339Nano), gu.CreateTime.Format(time.RFC3339Nano))
				require.Empty(t, gu.PasswordHash)
			}
			if wp := w.Edges.SyncProfile; wp == nil {
				sawNoProfile = true
				require.Nil(t, g.Edges.SyncProfile)
			} else {
				sawProfile = true
				gp := g.Edges.SyncProfile
				require.NotNil(t, gp)
				require.Equal(t, []any{wp.ID, wp.SchoolID, wp.Name, wp.Kind}, []any{gp.ID, gp.SchoolID, gp.Name, gp.Kind})
				require.Equal(t, wp.CreateTime.Format(time.RFC3339Nano), gp.CreateTime.Format(time.RFC3339Nano))
			}
		}

		// A count of a marked query is the count.
		n, err := c.Event.Query().Where(flt.Predicates()...).Count(report.WithPeople(f.ctx, flt, page))
		require.NoError(t, err)
		all, err := db.Client.Event.Query().Where(flt.Predicates()...).All(f.ctx)
		require.NoError(t, err)
		require.Equal(t, len(all), n)
	}
	require.True(t, sawUser && sawNoUser && sawProfile && sawNoProfile, "the filters covered events with and without a user and a profile")
	require.True(t, sawIDsFirst, "some filters took the IDs-first shape")

	// A query that selects some columns still gets the edges' keys and people.
	statements.Store(0)
	got, err := c.Event.Query().Select(event.FieldType).Order(ent.Desc(event.FieldID)).Limit(20).All(report.WithPeople(f.ctx, report.Filter{}, report.Page{Desc: true}))
	require.NoError(t, err)
	require.EqualValues(t, viaDriver, statements.Load())
	withUser := 0
	for _, e := range got {
		require.NotEmpty(t, e.Type)
		require.NotZero(t, e.ID)
		if e.UserID != nil {
			withUser++
			require.NotNil(t, e.Edges.User)
			require.Equal(t, *e.UserID, e.Edges.User.ID)
		}
	}
	require.Positive(t, withUser)

	// Unmarked, the query is ent's own: no people.
	plain, err := c.Event.Query().Limit(5).All(f.ctx)
	require.NoError(t, err)
	for _, e := range plain {
		require.Nil(t, e.Edges.User)
		require.Nil(t, e.Edges.SyncProfile)
	}
}

// TestLoadPeople: the users and profiles of a batch of events come in one query each,
// and equal what ent loads edge by edge.
func TestLoadPeople(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c, statements, _ := countingClient(db, nil)
		want, err := db.Client.Event.Query().Order(ent.Asc(event.FieldID)).WithUser().WithSyncProfile().All(f.ctx)
		require.NoError(t, err)
		for _, which := range []struct{ users, profiles bool }{{true, true}, {true, false}, {false, true}, {false, false}} {
			got, err := db.Client.Event.Query().Order(ent.Asc(event.FieldID)).All(f.ctx)
			require.NoError(t, err)
			statements.Store(0)
			require.NoError(t, report.LoadPeople(f.ctx, c, got, which.users, which.profiles))
			queries := 0
			if which.users {
				queries++
			}
			if which.profiles {
				queries++
			}
			require.EqualValues(t, queries, statements.Load(), "one query for all users, one for all profiles")
			withUser, withProfile := 0, 0
			for i, w := range want {
				g := got[i]
				if which.users && w.Edges.User != nil {
					withUser++
					require.Equal(t, w.Edges.User.ID, g.Edges.User.ID)
					require.Equal(t, w.Edges.User.Username, g.Edges.User.Username)
				} else {
					require.Nil(t, g.Edges.User)
				}
				if which.profiles && w.Edges.SyncProfile != nil {
					withProfile++
					require.Equal(t, w.Edges.SyncProfile.ID, g.Edges.SyncProfile.ID)
					require.Equal(t, w.Edges.SyncProfile.Name, g.Edges.SyncProfile.Name)
				} else {
					require.Nil(t, g.Edges.SyncProfile)
				}
			}
			require.Equal(t, which.users, withUser > 0)
			require.Equal(t, which.profiles, withProfile > 0)
		}
	})
}
