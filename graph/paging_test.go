package graph_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// tiedEvents returns n inputs that share only four finish times, so that nearly every
// page boundary falls inside a tie. Every other one is idle, so that the default filter
// is in play as well.
func tiedEvents(n int, base time.Time, prefix string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range n {
		fin := base.Add(time.Duration(i%4) * time.Minute)
		processed := 10
		added := i % 2
		out[i] = map[string]any{
			"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP Staff",
			"dateStarted": fin.Add(-time.Minute).Format(time.RFC3339Nano), "dateFinished": fin.Format(time.RFC3339Nano),
			"processed": processed, "added": added, "externalID": fmt.Sprintf("%s-%d", prefix, i),
		}
	}
	return out
}

// sortOrder orders recorded events by (dateFinished, id), ascending or descending.
func sortOrder(es []recorded, desc bool) []int {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b recorded) int {
		c := a.Finished.Compare(b.Finished)
		if c == 0 {
			c = a.ID - b.ID
		}
		if desc {
			return -c
		}
		return c
	})
	return ids(es)
}

// TestEventsPaging pages forward and back through heavy ties on dateFinished, in both
// orders, and checks the pages concatenate to exactly the reference order.
func TestEventsPaging(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		base := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
		evs, _ := record(t, b.srv, b.token, tiedEvents(61, base, "p"))
		all := map[string]any{"activeOnly": false}

		for _, tc := range []struct {
			name  string
			order map[string]any
			desc  bool
		}{
			{"default order", nil, true},
			{"DESC", map[string]any{"field": "DATE_FINISHED", "direction": "DESC"}, true},
			{"ASC", map[string]any{"field": "DATE_FINISHED", "direction": "ASC"}, false},
		} {
			want := sortOrder(evs, tc.desc)

			// Forward: first/after.
			var got []int
			var after any
			for pages := 0; ; pages++ {
				require.Less(t, pages, 20, "%s: paging does not end", tc.name)
				c := events(t, b.srv, b.token, map[string]any{"f": all, "first": 7, "after": after, "order": tc.order})
				require.Equal(t, len(evs), c.TotalCount, tc.name)
				got = append(got, c.ids(t)...)
				if !c.PageInfo.HasNextPage {
					break
				}
				require.Len(t, c.Edges, 7)
				require.Equal(t, c.Edges[6].Cursor, *c.PageInfo.EndCursor)
				after = *c.PageInfo.EndCursor
			}
			require.Equal(t, want, got, "%s forward", tc.name)

			// Backward: last/before, from the end.
			got = nil
			var before any
			for pages := 0; ; pages++ {
				require.Less(t, pages, 20, "%s: paging back does not end", tc.name)
				c := events(t, b.srv, b.token, map[string]any{"f": all, "last": 7, "before": before, "order": tc.order})
				got = append(c.ids(t), got...)
				if !c.PageInfo.HasPreviousPage {
					break
				}
				require.Equal(t, c.Edges[0].Cursor, *c.PageInfo.StartCursor)
				before = *c.PageInfo.StartCursor
			}
			require.Equal(t, want, got, "%s backward", tc.name)

			// After and before together are refused rather than answered wrongly.
			c := events(t, b.srv, b.token, map[string]any{"f": all, "first": 500, "order": tc.order})
			e := b.srv.Do(t, b.token, eventsQuery, map[string]any{"f": all, "first": 500,
				"after": c.Edges[10].Cursor, "before": c.Edges[30].Cursor, "order": tc.order}).Error(t, "BAD_USER_INPUT")
			require.Contains(t, e.Message, "before")
		}

		// The default filter (active only) pages the same way.
		active := expect(evs, refFilter{})
		require.Less(t, len(active), len(evs))
		var got []int
		var after any
		for {
			c := events(t, b.srv, b.token, map[string]any{"first": 4, "after": after})
			require.Equal(t, len(active), c.TotalCount)
			got = append(got, c.ids(t)...)
			if !c.PageInfo.HasNextPage {
				break
			}
			after = *c.PageInfo.EndCursor
		}
		require.Equal(t, ids(active), got)
	})
}

// TestEventsPagingWhileRecording inserts events between pages, at the very finish times
// the pages are tied on, and checks that no row that existed is repeated or skipped and
// that the order never goes backwards.
func TestEventsPagingWhileRecording(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		base := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
		evs, _ := record(t, b.srv, b.token, tiedEvents(40, base, "w"))
		byID := map[int]recorded{}
		for _, e := range evs {
			byID[e.ID] = e
		}
		for _, desc := range []bool{true, false} {
			dir := "ASC"
			if desc {
				dir = "DESC"
			}
			order := map[string]any{"field": "DATE_FINISHED", "direction": dir}
			seen := map[int]bool{}
			var got []int
			var after any
			for pages := 0; ; pages++ {
				require.Less(t, pages, 40)
				c := events(t, b.srv, b.token, map[string]any{"f": map[string]any{"activeOnly": false}, "first": 6, "after": after, "order": order})
				for _, id := range c.ids(t) {
					require.False(t, seen[id], "%s: event %d repeated", dir, id)
					seen[id] = true
					got = append(got, id)
				}
				// New events at every tied finish time, before and after the page.
				more, _ := record(t, b.srv, b.token, tiedEvents(4, base, fmt.Sprintf("w-%s-%d", dir, pages)))
				for _, e := range more {
					byID[e.ID] = e
				}
				if !c.PageInfo.HasNextPage {
					break
				}
				after = *c.PageInfo.EndCursor
			}
			for _, e := range evs {
				require.True(t, seen[e.ID], "%s: event %d skipped", dir, e.ID)
			}
			// What was seen is in order, new events included.
			var seenEvs []recorded
			for _, id := range got {
				seenEvs = append(seenEvs, byID[id])
			}
			require.Equal(t, sortOrder(seenEvs, desc), got, "%s: order", dir)
		}
	})
}

// TestEventsPageSize checks the default page of 50, the maximum of 500 and the errors
// beyond it.
func TestEventsPageSize(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		base := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
		evs, _ := record(t, b.srv, b.token, tiedEvents(120, base, "s"))
		all := map[string]any{"activeOnly": false}

		c := events(t, b.srv, b.token, map[string]any{"f": all})
		require.Len(t, c.Edges, 50, "default page size")
		require.Equal(t, 120, c.TotalCount)
		require.True(t, c.PageInfo.HasNextPage)
		require.Equal(t, sortOrder(evs, true)[:50], c.ids(t))

		c = events(t, b.srv, b.token, map[string]any{"f": all, "first": 500})
		require.Len(t, c.Edges, 120)
		require.False(t, c.PageInfo.HasNextPage)
		c = events(t, b.srv, b.token, map[string]any{"f": all, "last": 500})
		require.Len(t, c.Edges, 120)
		require.False(t, c.PageInfo.HasPreviousPage)
		c = events(t, b.srv, b.token, map[string]any{"f": all, "first": 0})
		require.Empty(t, c.Edges)
		require.Equal(t, 120, c.TotalCount)

		for _, vars := range []map[string]any{
			{"first": 501}, {"last": 501}, {"first": -1}, {"last": -1}, {"first": 5, "last": 5},
		} {
			vars["f"] = all
			e := b.srv.Do(t, b.token, eventsQuery, vars).Error(t, "BAD_USER_INPUT")
			name := "first"
			if _, ok := vars["first"]; !ok {
				name = "last"
			}
			require.Contains(t, e.Message, name, "%v", vars)
		}
		// The users typeahead has the same limit.
		e := b.srv.Do(t, b.token, `{ users(first: 501) { totalCount } }`, nil).Error(t, "BAD_USER_INPUT")
		require.True(t, strings.Contains(e.Message, "500"), e.Message)
	})
}

// TestPagingUnderAliases asks the events and exports lists with their connection fields
// renamed by aliases, directly and through fragments: the answers must carry the same
// page, count and pageInfo as the same questions without aliases. entgql's pager finds
// these fields by response key, and answered an aliased edges with an empty list and an
// aliased totalCount with 0.
func TestPagingUnderAliases(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		base := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
		record(t, b.srv, b.token, tiedEvents(9, base, "a"))
		for range 3 {
			b.srv.Do(t, b.token, `mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil).OK(t)
		}
		plain := `{ events(first: 3, filter: {activeOnly: false}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }
  exports(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`
		var want, got map[string]any
		b.srv.Do(t, b.token, plain, nil).OK(t).Decode(t, &want)
		require.EqualValues(t, 9, want["events"].(map[string]any)["totalCount"])
		require.EqualValues(t, 3, want["exports"].(map[string]any)["totalCount"])
		for name, q := range map[string]string{
			"aliases": `{ events(first: 3, filter: {activeOnly: false}) { n: totalCount p: pageInfo { hasNextPage endCursor } e: edges { cursor x: node { id } } }
  exports(first: 2) { n: totalCount p: pageInfo { hasNextPage endCursor } e: edges { cursor x: node { id } } } }`,
			"fragments": `{ events(first: 3, filter: {activeOnly: false}) { ...C } exports(first: 2) { ...X } }
  fragment C on EventConnection { n: totalCount ... on EventConnection { p: pageInfo { hasNextPage endCursor } } e: edges { ...E } }
  fragment E on EventEdge { cursor x: node { id } }
  fragment X on ExportConnection { ... on ExportConnection { n: totalCount p: pageInfo { hasNextPage endCursor } e: edges { cursor x: node { id } } } }`,
			"no count": `{ events(first: 3, filter: {activeOnly: false}) { p: pageInfo { hasNextPage endCursor } e: edges { cursor x: node { id } } }
  exports(first: 2) { p: pageInfo { hasNextPage endCursor } e: edges { cursor x: node { id } } } }`,
		} {
			got = nil
			b.srv.Do(t, b.token, q, nil).OK(t).Decode(t, &got)
			for _, list := range []string{"events", "exports"} {
				w, g := want[list].(map[string]any), got[list].(map[string]any)
				if _, ok := g["n"]; ok || name != "no count" {
					require.Equal(t, w["totalCount"], g["n"], "%s %s aliased totalCount", name, list)
				}
				require.Equal(t, w["pageInfo"], g["p"], "%s %s aliased pageInfo", name, list)
				var aliased []any
				for _, e := range g["e"].([]any) {
					e := e.(map[string]any)
					aliased = append(aliased, map[string]any{"cursor": e["cursor"], "node": e["x"]})
				}
				require.Equal(t, w["edges"], aliased, "%s %s aliased edges", name, list)
			}
		}
	})
}

// TestPageInfoWithoutEdges asks a connection's pageInfo alone: with no page to read it
// from, hasNextPage comes from entgql's count, as without the count-skipping pager.
func TestPageInfoWithoutEdges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		record(t, b.srv, b.token, tiedEvents(5, time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC), "w"))
		var got struct {
			Events struct{ PageInfo struct{ HasNextPage bool } }
		}
		b.srv.Do(t, b.token, `{ events(first: 2, filter: {activeOnly: false}) { pageInfo { hasNextPage } } }`, nil).OK(t).Decode(t, &got)
		require.True(t, got.Events.PageInfo.HasNextPage)
	})
}

// TestPagingArgumentsOfEveryConnection asks every paged list with first and last
// together, after and before together, and a page over the maximum: each is refused
// as bad input naming the argument, before anything is read.
func TestPagingArgumentsOfEveryConnection(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		in := tiedEvents(3, time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC), "args")
		in[0]["username"] = "pupil.args" // a user for the timeline
		evs, _ := record(t, b.srv, b.token, in)
		c := events(t, b.srv, b.token, map[string]any{"f": map[string]any{"activeOnly": false}})
		require.NotEmpty(t, c.Edges)
		cursor := c.Edges[0].Cursor
		var users struct {
			Users struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		b.srv.Do(t, b.token, `{ users(first: 1) { edges { node { id } } } }`, nil).OK(t).Decode(t, &users)
		require.NotEmpty(t, users.Users.Edges, "the school has a user")
		userID := users.Users.Edges[0].Node.ID

		const args = `(first: $first, after: $after, last: $last, before: $before)`
		const vars = `($first: Int, $after: Cursor, $last: Int, $before: Cursor)`
		const nodeVars = `($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor)`
		lists := map[string]string{
			"events":        `query` + vars + ` { events` + args + ` { totalCount } }`,
			"exports":       `query` + vars + ` { exports` + args + ` { totalCount } }`,
			"users":         `query` + vars + ` { users` + args + ` { totalCount } }`,
			"neverSignedIn": `query` + vars + ` { neverSignedIn` + args + ` { totalCount } }`,
			"changes":       `query` + nodeVars + ` { node(id: $id) { ... on Event { changes` + args + ` { totalCount } } } }`,
			"timeline":      `query` + nodeVars + ` { node(id: $id) { ... on User { timeline` + args + ` { totalCount } } } }`,
		}
		for list, q := range lists {
			var id any
			switch list {
			case "changes":
				id = strconv.Itoa(evs[0].ID)
			case "timeline":
				id = userID
			}
			for _, tc := range []struct {
				vars  map[string]any
				field string
			}{
				{map[string]any{"first": 5, "last": 5}, "last"},
				{map[string]any{"first": 5, "after": cursor, "before": cursor}, "before"},
				{map[string]any{"first": 501}, "first"},
				{map[string]any{"last": -1}, "last"},
			} {
				if id != nil {
					tc.vars["id"] = id
				}
				e := b.srv.Do(t, b.token, q, tc.vars).Error(t, "BAD_USER_INPUT")
				require.True(t, strings.HasPrefix(e.Message, tc.field+": "), "%s %v: %q", list, tc.vars, e.Message)
			}
			// Neither first nor last gives the default page.
			none := map[string]any{}
			if id != nil {
				none["id"] = id
			}
			b.srv.Do(t, b.token, q, none).OK(t)
		}
	})
}
