package report_test

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// eventsStatement matches a statement that reads events, however the dialect quotes.
var eventsStatement = regexp.MustCompile("FROM [`\"]events[`\"]")

// recordingDriver keeps the last statement a client sent.
type recordingDriver struct {
	dialect.Driver
	last *atomic.Value
}

func (d recordingDriver) Query(ctx context.Context, query string, args, v any) error {
	if eventsStatement.MatchString(query) {
		d.last.Store(query)
	}
	return d.Driver.Query(ctx, query, args, v)
}

// recordingClient is a client of db with the IDs-first page installed as store.Open
// installs it, which keeps the last statement it sent about events.
func recordingClient(db *store.DB) (*ent.Client, *atomic.Value) {
	last := &atomic.Value{}
	c := ent.NewClient(ent.Driver(recordingDriver{entsql.OpenDB(db.Dialect, db.SQL), last}))
	c.Event.Intercept(report.IDsFirst())
	return c, last
}

// TestIDsFirst holds the event list's IDs-first page to ent's plain query: a marked
// query answers the same rows in the same order, for random filters, cursors, limits and
// directions, on both databases, and takes the IDs-first shape exactly for an active type
// or profile filter.
func TestIDsFirst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c, last := recordingClient(db)
		rng := rand.New(rand.NewPCG(3, 4))
		sawIDsFirst := false
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
				// Ordered the way entgql's pager orders a page, people loaded as it loads them.
				return c.Event.Query().Where(preds...).
					Order(event.ByDateFinished(dir...), event.ByID(dir...)).Limit(limit).WithUser().WithSyncProfile()
			}
			idsFirst := flt.Active() && (len(flt.Types) > 0 || flt.SyncProfileID != nil)
			want, err := q(db.Client).All(f.ctx)
			require.NoError(t, err)
			sawIDsFirst = sawIDsFirst || (idsFirst && len(want) > 1)
			got, err := q(c).All(report.WithPage(f.ctx, flt, page))
			require.NoError(t, err)
			require.Equal(t, idsFirst, strings.HasPrefix(last.Load().(string), "WITH "), "IDs first exactly for an active type or profile filter: %s", last.Load())
			require.Len(t, got, len(want))
			for i, w := range want {
				require.Equal(t, w.ID, got[i].ID)
				require.Equal(t, w.Edges.User == nil, got[i].Edges.User == nil)
				require.Equal(t, w.Edges.SyncProfile == nil, got[i].Edges.SyncProfile == nil)
			}

			// A count of a marked query is the count.
			n, err := c.Event.Query().Where(flt.Predicates()...).Count(report.WithPage(f.ctx, flt, page))
			require.NoError(t, err)
			all, err := db.Client.Event.Query().Where(flt.Predicates()...).All(f.ctx)
			require.NoError(t, err)
			require.Equal(t, len(all), n)
		}
		require.True(t, sawIDsFirst, "some filters took the IDs-first shape")
	})
}

// TestLoadEvents: the loader of the live feed and recordEvents reads the events in ID
// order with their users and profiles, as ent loads them edge by edge, without the
// password hash of anyone; events, users and profiles can still be queried after it
// returned (on PostgreSQL it loads them in a transaction of its own).
func TestLoadEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		want, err := db.Client.Event.Query().Order(ent.Asc(event.FieldID)).WithUser().WithSyncProfile().All(f.ctx)
		require.NoError(t, err)
		ids := make([]int, len(want))
		for i, e := range want {
			ids[len(want)-1-i] = e.ID
		}
		got, err := report.LoadEvents(f.ctx, db.Client, db.Dialect, ids)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		withUser, withProfile := 0, 0
		for i, w := range want {
			g := got[i]
			require.Equal(t, w.ID, g.ID)
			if w.Edges.User != nil {
				withUser++
				require.Equal(t, w.Edges.User.Username, g.Edges.User.Username)
			} else {
				require.Nil(t, g.Edges.User)
			}
			if w.Edges.SyncProfile != nil {
				withProfile++
				require.Equal(t, w.Edges.SyncProfile.Name, g.Edges.SyncProfile.Name)
			} else {
				require.Nil(t, g.Edges.SyncProfile)
			}
		}
		require.Positive(t, withUser)
		require.Positive(t, withProfile)
		for _, g := range got {
			_, err := g.QuerySchool().Only(f.ctx)
			require.NoError(t, err, "event %d's school", g.ID)
			if g.Edges.User != nil {
				_, err := g.Edges.User.QuerySchool().Only(f.ctx)
				require.NoError(t, err, "user %d's school", g.Edges.User.ID)
			}
			if g.Edges.SyncProfile != nil {
				_, err := g.Edges.SyncProfile.QuerySchool().Only(f.ctx)
				require.NoError(t, err, "profile %d's school", g.Edges.SyncProfile.ID)
			}
		}
	})
}
