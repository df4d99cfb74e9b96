package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestInstantNames: every instant has an …At name, and the older names answer the same
// instant (on output) or are taken as the same input (recordEvents), so that clients
// written against either keep working.
func TestInstantNames(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		started, finished := t0.Format(time.RFC3339), t0.Add(time.Minute).Format(time.RFC3339)
		inputs := []map[string]any{
			{"type": "SYNC_ERROR", "syncProfile": "p", "startedAt": started, "finishedAt": finished, "externalID": "new"},
			{"type": "SYNC_ERROR", "syncProfile": "p", "dateStarted": started, "dateFinished": finished, "externalID": "old"},
			{"type": "SYNC_ERROR", "syncProfile": "p", "startedAt": started, "dateStarted": started,
				"finishedAt": finished, "dateFinished": finished, "externalID": "both"},
			{"type": "AUTHORISATION", "username": "u", "service": "Canvas", "startedAt": started, "dateFinished": finished, "externalID": "mixed"},
		}
		var out struct {
			RecordEvents struct {
				Events []struct {
					StartedAt, FinishedAt, DateStarted, DateFinished time.Time
					User                                             *struct{ CreatedAt, CreateTime time.Time }
					SyncProfile                                      *struct{ CreatedAt, CreateTime time.Time }
				}
			}
		}
		b.srv.Do(t, b.token, `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events {
			startedAt finishedAt dateStarted dateFinished
			user { createdAt createTime } syncProfile { createdAt createTime }
		} } }`, map[string]any{"in": inputs}).OK(t).Decode(t, &out)
		require.Len(t, out.RecordEvents.Events, len(inputs))
		for i, e := range out.RecordEvents.Events {
			require.True(t, e.StartedAt.Equal(t0), "event %d startedAt %s", i, e.StartedAt)
			require.True(t, e.FinishedAt.Equal(t0.Add(time.Minute)), "event %d finishedAt %s", i, e.FinishedAt)
			require.True(t, e.DateStarted.Equal(e.StartedAt) && e.DateFinished.Equal(e.FinishedAt), "event %d", i)
			for _, who := range []*struct{ CreatedAt, CreateTime time.Time }{e.User, e.SyncProfile} {
				if who != nil {
					require.False(t, who.CreatedAt.IsZero())
					require.True(t, who.CreatedAt.Equal(who.CreateTime))
				}
			}
		}

		var more struct {
			School       struct{ CreatedAt, CreateTime time.Time }
			EventSummary struct {
				Buckets []struct{ StartsAt, Start time.Time }
			}
		}
		b.srv.Do(t, b.token, `{ school { createdAt createTime }
			eventSummary(filter: {activeOnly: false}) { buckets { startsAt start } } }`, nil).OK(t).Decode(t, &more)
		require.False(t, more.School.CreatedAt.IsZero())
		require.True(t, more.School.CreatedAt.Equal(more.School.CreateTime))
		require.NotEmpty(t, more.EventSummary.Buckets)
		for _, bk := range more.EventSummary.Buckets {
			require.False(t, bk.StartsAt.IsZero())
			require.True(t, bk.StartsAt.Equal(bk.Start))
		}

		// The report's range and order are on finishedAt.
		var in struct {
			Events struct{ TotalCount int }
		}
		b.srv.Do(t, b.token, `query($f: ReportFilter) { events(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{
			"activeOnly": false, "from": t0.Add(time.Minute).Format(time.RFC3339), "to": t0.Add(2 * time.Minute).Format(time.RFC3339),
		}}).OK(t).Decode(t, &in)
		require.Equal(t, 4, in.Events.TotalCount)
	})
}

// relayPage is one page of a connection, as the paging tests read it.
type relayPage struct {
	IDs      []string
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

// walkBothWays pages through a connection with first/after to its end, then back with
// last/before to its start, and checks that both walks see the same items in the same
// order with pageInfo telling the truth at every step; then it pages back from a
// cursor in the middle. fetch asks for one page with the given arguments.
func walkBothWays(t *testing.T, fetch func(args map[string]any) relayPage, want int) []string {
	t.Helper()
	var forward []string
	var after *string
	for step := 0; ; step++ {
		p := fetch(map[string]any{"first": 2, "after": after})
		require.Equal(t, after != nil, p.PageInfo.HasPreviousPage, "forward step %d", step)
		forward = append(forward, p.IDs...)
		if !p.PageInfo.HasNextPage {
			break
		}
		require.Len(t, p.IDs, 2, "a page that is not the last one is full")
		after = p.PageInfo.EndCursor
		require.Less(t, step, want, "paging forwards does not end")
	}
	require.Len(t, forward, want)

	var backward []string
	var before *string
	for step := 0; ; step++ {
		p := fetch(map[string]any{"last": 2, "before": before})
		require.Equal(t, before != nil, p.PageInfo.HasNextPage, "backward step %d", step)
		backward = append(slices.Clone(p.IDs), backward...)
		if !p.PageInfo.HasPreviousPage {
			break
		}
		require.Len(t, p.IDs, 2, "a page that is not the first one is full")
		before = p.PageInfo.StartCursor
		require.Less(t, step, want, "paging backwards does not end")
	}
	require.Equal(t, forward, backward, "paging back gives the same items in the same order")

	// Forwards two pages, then back one from there: the first page again.
	first := fetch(map[string]any{"first": 2})
	second := fetch(map[string]any{"first": 2, "after": first.PageInfo.EndCursor})
	back := fetch(map[string]any{"last": 2, "before": second.PageInfo.StartCursor})
	require.Equal(t, first.IDs, back.IDs)
	require.False(t, back.PageInfo.HasPreviousPage)
	require.True(t, back.PageInfo.HasNextPage)
	return forward
}

// TestUsersPageBothWays: the users typeahead pages backwards (last/before) over the same
// order it pages forwards, with and without a search.
func TestUsersPageBothWays(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		ctx := tenant.WithSchool(context.Background(), b.school.ID)
		var creates []*ent.UserCreate
		for i := range 7 {
			// Three "lee" prefix matches rank before the four that only contain it.
			name := fmt.Sprintf("lee%d", i)
			if i >= 3 {
				name = fmt.Sprintf("x%d.lee", i)
			}
			creates = append(creates, db.Client.User.Create().SetUsername(name))
		}
		require.NoError(t, db.Client.User.CreateBulk(creates...).Exec(ctx))
		for _, search := range []string{"", "LEE"} {
			fetch := func(args map[string]any) relayPage {
				args["q"] = search
				var out struct {
					Users struct {
						PageInfo json.RawMessage
						Edges    []struct{ Node struct{ Username string } }
					}
				}
				b.srv.Do(t, b.token, `query($q: String, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
					users(search: $q, first: $first, after: $after, last: $last, before: $before) {
						pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { username } }
					}
				}`, args).OK(t).Decode(t, &out)
				var p relayPage
				require.NoError(t, json.Unmarshal(out.Users.PageInfo, &p.PageInfo))
				for _, e := range out.Users.Edges {
					p.IDs = append(p.IDs, e.Node.Username)
				}
				return p
			}
			got := walkBothWays(t, fetch, 7)
			if search != "" {
				require.Equal(t, []string{"lee0", "lee1", "lee2", "x3.lee", "x4.lee", "x5.lee", "x6.lee"}, got)
			}
		}
		// Both cursors at once are refused rather than half applied.
		var first struct {
			Users struct{ PageInfo struct{ EndCursor string } }
		}
		b.srv.Do(t, b.token, `{ users(first: 1) { pageInfo { endCursor } } }`, nil).OK(t).Decode(t, &first)
		cur := first.Users.PageInfo.EndCursor
		b.srv.Do(t, b.token, `query($c: Cursor) { users(after: $c, before: $c) { totalCount } }`,
			map[string]any{"c": cur}).Error(t, "BAD_USER_INPUT")
	})
}

// TestExportsPageBothWays: the caller's exports page backwards (last/before) like
// events, in the default order (newest first) and in an orderBy of the caller's choice.
func TestExportsPageBothWays(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		tok, secret := apitest.CreateToken(t, db.Client, b.school.ID, auth.Scopes()...)
		ctx := tenant.WithSchool(context.Background(), b.school.ID)
		var want []string
		for i := range 5 {
			e, err := db.Client.Export.Create().SetFilter(json.RawMessage(`{}`)).SetMaxEventID(0).
				SetTokenID(tok.ID).SetRequestedAt(t0.Add(time.Duration(i) * time.Minute)).Save(ctx)
			require.NoError(t, err)
			want = append(want, apitest.ID(e.ID))
		}
		// Another token's export is not the caller's.
		_, err := db.Client.Export.Create().SetFilter(json.RawMessage(`{}`)).SetMaxEventID(0).Save(ctx)
		require.NoError(t, err)

		for _, order := range []map[string]any{nil, {"field": "REQUESTED_AT", "direction": "ASC"}} {
			fetch := func(args map[string]any) relayPage {
				args["o"] = order
				var out struct {
					Exports struct {
						PageInfo json.RawMessage
						Edges    []struct{ Node struct{ ID string } }
					}
				}
				b.srv.Do(t, secret, `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $o: ExportOrder) {
					exports(first: $first, after: $after, last: $last, before: $before, orderBy: $o) {
						pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } }
					}
				}`, args).OK(t).Decode(t, &out)
				var p relayPage
				require.NoError(t, json.Unmarshal(out.Exports.PageInfo, &p.PageInfo))
				for _, e := range out.Exports.Edges {
					p.IDs = append(p.IDs, e.Node.ID)
				}
				return p
			}
			got := walkBothWays(t, fetch, len(want))
			expected := slices.Clone(want)
			if order == nil {
				slices.Reverse(expected)
			}
			require.Equal(t, expected, got)
		}
	})
}
