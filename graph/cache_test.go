package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/retention"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

const cachePage = `query Page($f: ReportFilter) {
  events(first: 500, filter: $f) { totalCount edges { node { id type user { username role } syncProfile { name } } } }
}`

type cachePageJSON struct {
	Events struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				ID   string
				Type string
				User *struct{ Username, Role string }
			}
		}
	}
}

// TestReportCache: repeated report queries are answered from memory, and every write that
// changes the report (recordEvents on either of two replicas, setUserRole, retention) is
// seen by the very next query; answers never cross schools, and a caller without
// reports:read is refused even when the answer is cached.
func TestReportCache(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		replica := apitest.New(t, db) // a second server on the same database
		other := b.srv.CreateSchool(t, "school-b", "")
		otherToken := b.srv.Token(t, other.ID, auth.Scopes()...)
		writeOnly := b.srv.Token(t, b.school.ID, auth.ScopeEventsWrite)
		cache := b.srv.App.ReportCache
		require.NotNil(t, cache, "the cache is on by default")

		page := func(srv *apitest.Server, token string, vars map[string]any) cachePageJSON {
			var out cachePageJSON
			srv.Do(t, token, cachePage, vars).OK(t).Decode(t, &out)
			return out
		}
		ids := func(p cachePageJSON) map[string]bool {
			m := map[string]bool{}
			for _, e := range p.Events.Edges {
				m[e.Node.ID] = true
			}
			return m
		}

		base := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		rng := rand.New(rand.NewPCG(3, 9))
		all := map[string]any{"f": map[string]any{"activeOnly": false}}
		first, _ := record(t, b.srv, b.token, genEvents(rng, 30, base, "c1"))
		p1 := page(b.srv, b.token, all)
		require.Equal(t, 30, p1.Events.TotalCount)

		h0, m0 := cache.Stats()
		again := page(b.srv, b.token, all)
		h1, m1 := cache.Stats()
		require.Equal(t, h0+1, h1, "the same query again is a hit")
		require.Equal(t, m0, m1)
		require.Equal(t, p1, again)

		// Another school asking the very same query gets its own (empty) report.
		require.Equal(t, 0, page(b.srv, otherToken, all).Events.TotalCount)
		// A token without reports:read is refused, cached answer or not.
		r := b.srv.Do(t, writeOnly, cachePage, all)
		require.NotEmpty(t, r.Errors)
		require.Equal(t, "FORBIDDEN", r.Errors[0].Code())

		// Recording through the other replica is seen at once through this one.
		more, _ := record(t, replica, b.token, genEvents(rng, 5, base.Add(24*time.Hour), "c2"))
		p2 := page(b.srv, b.token, all)
		require.Equal(t, 35, p2.Events.TotalCount)
		got := ids(p2)
		for _, e := range append(first, more...) {
			require.True(t, got[fmt.Sprint(e.ID)], "event %d listed", e.ID)
		}
		// And the replica's own cache was not left behind either.
		require.Equal(t, 35, page(replica, b.token, all).Events.TotalCount)

		// A role change shows in the next answer.
		var users struct {
			Users struct {
				Edges []struct{ Node struct{ ID, Role string } }
			}
		}
		usersQuery := `{ users(first: 50) { edges { node { id role } } } }`
		b.srv.Do(t, b.token, usersQuery, nil).OK(t).Decode(t, &users)
		require.NotEmpty(t, users.Users.Edges)
		anyUser := users.Users.Edges[0].Node
		require.Equal(t, "NONE", anyUser.Role)
		admin := signedInAdmin(t, b.srv, b.school.ID, "school-a")
		res := admin(`mutation($id: ID!) { setUserRole(userID: $id, role: VIEWER) { id role } }`, map[string]any{"id": anyUser.ID})
		require.Contains(t, res, `"role":"VIEWER"`)
		b.srv.Do(t, b.token, usersQuery, nil).OK(t).Decode(t, &users)
		roles := map[string]string{}
		for _, e := range users.Users.Edges {
			roles[e.Node.ID] = e.Node.Role
		}
		require.Equal(t, "VIEWER", roles[anyUser.ID], "the new role is served, not the cached one")

		// Retention deletes events; the report stops showing them at once.
		_, err := retention.Purge(context.Background(), db, base.Add(12*time.Hour))
		require.NoError(t, err)
		p3 := page(b.srv, b.token, all)
		require.Equal(t, 5, p3.Events.TotalCount, "only the events after the cutoff remain")

		// Mutations and other queries are never cached.
		h2, m2 := cache.Stats()
		b.srv.Do(t, b.token, `{ me { id } }`, nil).OK(t)
		b.srv.Do(t, b.token, `{ school { name } syncProfiles { name } }`, nil).OK(t)
		h3, m3 := cache.Stats()
		require.Equal(t, h2, h3)
		require.Equal(t, m2, m3, "a query with an uncached field is not looked up")
	})
}

// signedInAdmin creates an admin of the school, signs it in with a cookie jar and returns
// a function posting GraphQL as that user (the raw response body).
func signedInAdmin(t *testing.T, srv *apitest.Server, schoolID int, slug string) func(query string, vars map[string]any) string {
	t.Helper()
	hash, err := auth.HashPassword("admin-password-1")
	require.NoError(t, err)
	require.NoError(t, srv.DB.Client.User.Create().SetSchoolID(schoolID).SetUsername("cache-admin").SetEmail("a@example.org").
		SetRole(user.RoleADMIN).SetPasswordHash(hash).Exec(tenant.WithSchool(context.Background(), schoolID)))
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	post := func(query string, vars map[string]any) string {
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		require.NoError(t, err)
		res, err := c.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(out)
	}
	r := post(`mutation($s: String!) { signIn(school: $s, username: "cache-admin", password: "admin-password-1") { id } }`, map[string]any{"s": slug})
	require.NotContains(t, r, "errors", r)
	return post
}

// TestReportCacheBudget: the cache keeps no more bytes than its budget, so an answer
// larger than the budget is never kept, while a small one is.
func TestReportCacheBudget(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{ReportCacheBytes: 2048})
	sc := srv.CreateSchool(t, "budget", "")
	token := srv.Token(t, sc.ID, auth.Scopes()...)
	record(t, srv, token, genEvents(rand.New(rand.NewPCG(5, 5)), 40, time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC), "b"))
	cache := srv.App.ReportCache

	big := map[string]any{"f": map[string]any{"activeOnly": false}}
	r := srv.Do(t, token, cachePage, big).OK(t)
	require.Greater(t, len(r.Data), 2048, "the page is larger than the budget")
	h0, _ := cache.Stats()
	srv.Do(t, token, cachePage, big).OK(t)
	h1, _ := cache.Stats()
	require.Equal(t, h0, h1, "an answer over the budget is not kept")

	small := `{ events(first: 1) { totalCount } }`
	srv.Do(t, token, small, nil).OK(t)
	srv.Do(t, token, small, nil).OK(t)
	h2, _ := cache.Stats()
	require.Equal(t, h1+1, h2, "a small answer is kept")
}

// TestReportCacheDropsOldVersions: once a school's data version moves, the answers kept at
// its older version are dropped (they can never be asked for again), while another
// school's answers stay; without this, continuous ingestion filled the whole budget with
// dead answers.
func TestReportCacheDropsOldVersions(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	a := srv.CreateSchool(t, "versions-a", "")
	b := srv.CreateSchool(t, "versions-b", "")
	tokenA := srv.Token(t, a.ID, auth.Scopes()...)
	tokenB := srv.Token(t, b.ID, auth.Scopes()...)
	rng := rand.New(rand.NewPCG(8, 8))
	base := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	record(t, srv, tokenA, genEvents(rng, 10, base, "va"))
	record(t, srv, tokenB, genEvents(rng, 10, base, "vb"))
	cache := srv.App.ReportCache

	ask := func(token string, n int) {
		srv.Do(t, token, `query($n: Int) { events(first: $n) { totalCount } }`, map[string]any{"n": n}).OK(t)
	}
	for n := 1; n <= 4; n++ {
		ask(tokenA, n)
	}
	ask(tokenB, 1)
	held, bytesBefore := cache.Held()
	require.Equal(t, 5, held, "four answers of school A and one of school B")

	record(t, srv, tokenA, genEvents(rng, 1, base.Add(time.Hour), "va2"))
	ask(tokenA, 1)
	held, bytesAfter := cache.Held()
	require.Equal(t, 2, held, "school A's four answers at its old version are gone; B's stays")
	require.Less(t, bytesAfter, bytesBefore)

	h0, _ := cache.Stats()
	ask(tokenB, 1)
	ask(tokenA, 1)
	h1, _ := cache.Stats()
	require.Equal(t, h0+2, h1, "both kept answers still hit")
}
