package graph_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

type userPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage bool
		EndCursor   *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ Username string }
	}
}

func (p userPage) names() []string {
	out := []string{}
	for _, e := range p.Edges {
		out = append(out, e.Node.Username)
	}
	return out
}

// TestUsersSearch checks the typeahead: case-insensitive matching on username, display
// name and email, prefix matches before the rest (each group by username), LIKE
// wildcards taken literally, and paging with after.
func TestUsersSearch(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		ctx := tenant.WithSchool(context.Background(), b.school.ID)
		var creates []*ent.UserCreate
		for _, u := range [][3]string{
			{"asmith", "Alex Smith", "alex@school.example"},            // contains, username
			{"Smithers", "Wayland Smithers", "ws@school.example"},      // prefix, username, upper case
			{"jdoe", "SMITH Jo", "jo@school.example"},                  // prefix, display name
			{"kwong", "Kim Wong", "smithy@school.example"},             // prefix, email
			{"bsmyth", "Bea Smyth", "bea@school.example"},              // no match
			{"zed", "Zed Blacksmith", "zed@school.example"},            // contains, display name
			{"m.jones", "Mary Jones", "mary.goldSMITH@school.example"}, // contains, email
			{"a_b", "Under Score", "a_b@school.example"},
			{"axb", "Not Under Score", "axb@school.example"},
			{"per%cent", "Per Cent", "pc@school.example"},
		} {
			creates = append(creates, db.Client.User.Create().SetUsername(u[0]).SetDisplayName(u[1]).SetEmail(u[2]))
		}
		require.NoError(t, db.Client.User.CreateBulk(creates...).Exec(ctx))
		// Another school's Smith never shows.
		other := b.srv.CreateSchool(t, "other", "")
		require.NoError(t, db.Client.User.Create().SetUsername("smith.other").
			Exec(tenant.WithSchool(context.Background(), other.ID)))

		search := func(q string, first int, after *string) userPage {
			var out struct{ Users userPage }
			b.srv.Do(t, b.token, `query($q: String, $n: Int, $a: Cursor) {
				users(search: $q, first: $n, after: $a) {
					totalCount pageInfo { hasNextPage endCursor } edges { cursor node { username } }
				}
			}`, map[string]any{"q": q, "n": first, "a": after}).OK(t).Decode(t, &out)
			return out.Users
		}
		want := []string{"jdoe", "kwong", "Smithers", "asmith", "m.jones", "zed"}
		for _, q := range []string{"smith", "SMITH", "Smith", " smith "} {
			p := search(q, 50, nil)
			require.Equal(t, want, p.names(), "search %q", q)
			require.Equal(t, len(want), p.TotalCount)
			require.False(t, p.PageInfo.HasNextPage)
		}
		// totalCount asked through a fragment is counted too (the count is skipped only
		// when nothing asks for it).
		var viaFragment struct{ Users struct{ TotalCount int } }
		b.srv.Do(t, b.token, `query { users(search: "smith") { ...Counted } }
			fragment Counted on UserConnection { totalCount }`, nil).OK(t).Decode(t, &viaFragment)
		require.Equal(t, len(want), viaFragment.Users.TotalCount)
		require.Equal(t, []string{"a_b"}, search("a_b", 50, nil).names(), "_ is not a wildcard")
		require.Equal(t, []string{"per%cent"}, search("%", 50, nil).names(), "% is not a wildcard")
		require.Empty(t, search("nobody-has-this", 50, nil).names())
		require.Len(t, search("", 50, nil).names(), 10, "an empty search lists every user of the school")

		// Paging two at a time walks the same list, prefix group into contains group.
		var got []string
		var after *string
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			p := search("smith", 2, after)
			require.Equal(t, len(want), p.TotalCount)
			got = append(got, p.names()...)
			if !p.PageInfo.HasNextPage {
				break
			}
			require.Len(t, p.Edges, 2)
			after = p.PageInfo.EndCursor
		}
		require.Equal(t, want, got)

		// The same with the empty search over every user.
		all := search("", 50, nil).names()
		got, after = nil, nil
		for {
			p := search("", 3, after)
			got = append(got, p.names()...)
			if !p.PageInfo.HasNextPage {
				break
			}
			after = p.PageInfo.EndCursor
		}
		require.Equal(t, all, got)
	})
}
