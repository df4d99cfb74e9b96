package graph_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSchoolIsolation gives two schools the same kind of data (the same usernames,
// profile names and external IDs) and checks, through every query and the mutation,
// that school A's token never sees or touches school B's rows.
func TestSchoolIsolation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		srv := apitest.New(t, db)
		schoolA := srv.CreateSchool(t, "a", "Australia/Sydney")
		schoolB := srv.CreateSchool(t, "b", "Europe/London")
		tokA := srv.Token(t, schoolA.ID, auth.Scopes()...)
		tokB := srv.Token(t, schoolB.ID, auth.Scopes()...)
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		// The same seed in both: equal usernames, profile names and external IDs.
		evA, jsA := record(t, srv, tokA, genEvents(rand.New(rand.NewPCG(9, 9)), 40, base, "x"))
		evB, jsB := record(t, srv, tokB, genEvents(rand.New(rand.NewPCG(9, 9)), 40, base, "x"))
		for i := range evA {
			require.NotEqual(t, evA[i].ID, evB[i].ID, "same externalID in two schools is two events")
			require.Equal(t, evA[i].ExternalID, evB[i].ExternalID)
			if jsA[i].SyncProfile != nil {
				require.NotEqual(t, jsA[i].SyncProfile.ID, jsB[i].SyncProfile.ID, "same profile name is two profiles")
			}
			if jsA[i].User != nil {
				require.NotEqual(t, jsA[i].User.ID, jsB[i].User.ID, "same username is two users")
			}
		}
		idsB := map[string]bool{apitest.ID(schoolB.ID): true}
		var userB, profileB string
		for _, e := range jsB {
			idsB[e.ID] = true
			if e.User != nil {
				idsB[e.User.ID], userB = true, e.User.ID
			}
			if e.SyncProfile != nil {
				idsB[e.SyncProfile.ID], profileB = true, e.SyncProfile.ID
			}
		}
		var bList []string
		for id := range idsB {
			bList = append(bList, id)
		}
		slices.Sort(bList)

		// events: only A's, and a filter naming B's user or profile is unknown.
		c := events(t, srv, tokA, map[string]any{"f": map[string]any{"activeOnly": false}, "first": 500})
		require.ElementsMatch(t, ids(evA), c.ids(t))
		for _, e := range c.Edges {
			if e.Node.User != nil {
				require.False(t, idsB[e.Node.User.ID])
			}
			if e.Node.SyncProfile != nil {
				require.False(t, idsB[e.Node.SyncProfile.ID])
			}
		}
		for _, f := range []map[string]any{{"userID": userB}, {"syncProfileID": profileB}} {
			e := srv.Do(t, tokA, eventsQuery, map[string]any{"f": f}).Error(t, "BAD_USER_INPUT")
			require.Contains(t, e.Message, "no ")
			srv.Do(t, tokA, `query($f: ReportFilter) { eventSummary(filter: $f) { events } }`, map[string]any{"f": f}).
				Error(t, "BAD_USER_INPUT")
		}

		// node and nodes: B's IDs of every type read as not found.
		for _, id := range bList {
			r := srv.Do(t, tokA, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			r.Error(t, "NOT_FOUND")
			require.JSONEq(t, `{"node": null}`, string(r.Data), id)
		}
		r := srv.Do(t, tokA, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": bList})
		require.Len(t, r.Errors, len(bList))
		for _, e := range r.Errors {
			require.Equal(t, "NOT_FOUND", e.Code())
		}
		var nodes struct{ Nodes []*struct{ ID string } }
		r.Decode(t, &nodes)
		require.Len(t, nodes.Nodes, len(bList))
		for _, n := range nodes.Nodes {
			require.Nil(t, n)
		}
		// A's own IDs are found, so the above is not a blanket failure.
		srv.Do(t, tokA, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": jsA[0].ID}).OK(t)
		srv.Do(t, tokA, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": apitest.ID(schoolA.ID)}).OK(t)

		// users, syncProfiles, school, eventSummary.
		var lists struct {
			Users struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
			SyncProfiles []struct{ ID string }
			School       struct{ ID, Slug string }
			EventSummary struct{ Events int }
		}
		srv.Do(t, tokA, `{
			users(first: 500) { totalCount edges { node { id } } }
			syncProfiles { id }
			school { id slug }
			eventSummary(filter: {activeOnly: false}) { events }
		}`, nil).OK(t).Decode(t, &lists)
		require.Equal(t, 4, lists.Users.TotalCount)
		for _, e := range lists.Users.Edges {
			require.False(t, idsB[e.Node.ID])
		}
		require.Len(t, lists.SyncProfiles, 3)
		for _, p := range lists.SyncProfiles {
			require.False(t, idsB[p.ID])
		}
		require.Equal(t, apitest.ID(schoolA.ID), lists.School.ID)
		require.Equal(t, "a", lists.School.Slug)
		require.Equal(t, len(evA), lists.EventSummary.Events)

		// recordEvents with A's token: an external ID B already used makes A's own
		// event; a profile name B already has makes A's own profile. B is untouched.
		countB := func() [3]int {
			ctx := tenant.WithSchool(context.Background(), schoolB.ID)
			e, err := db.Client.Event.Query().Count(ctx)
			require.NoError(t, err)
			u, err := db.Client.User.Query().Count(ctx)
			require.NoError(t, err)
			p, err := db.Client.SyncProfile.Query().Count(ctx)
			require.NoError(t, err)
			return [3]int{e, u, p}
		}
		beforeB := countB()
		in := syncInput("only-in-b")
		in["syncProfile"] = "Only In B"
		_, onlyB := record(t, srv, tokB, []map[string]any{in})
		beforeB = [3]int{beforeB[0] + 1, beforeB[1], beforeB[2] + 1}
		require.Equal(t, beforeB, countB())
		_, inA := record(t, srv, tokA, []map[string]any{in, loginInput("login-b-user", "alice")})
		require.NotEqual(t, onlyB[0].ID, inA[0].ID)
		require.NotEqual(t, onlyB[0].SyncProfile.ID, inA[0].SyncProfile.ID)
		require.False(t, idsB[inA[1].User.ID], "alice of A, not alice of B")
		require.Equal(t, beforeB, countB(), "school B unchanged")
		// And B still sees its own event, with its own profile.
		c = events(t, srv, tokB, map[string]any{"f": map[string]any{"syncProfileID": onlyB[0].SyncProfile.ID}})
		require.Equal(t, []int{apitest.IntID(t, onlyB[0].ID)}, c.ids(t))
	})
}

// TestScopes checks that each operation needs its scope, that a request without a token
// is UNAUTHENTICATED, and that a revoked, expired or unknown token is refused with HTTP
// 401 before any resolver runs.
func TestScopes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		read := b.srv.Token(t, b.school.ID, auth.ScopeReportsRead)
		write := b.srv.Token(t, b.school.ID, auth.ScopeEventsWrite)
		record(t, b.srv, b.token, []map[string]any{syncInput("seed")})
		before := rowCounts(t, db)

		mutation := map[string]any{"in": []map[string]any{syncInput("new")}}
		queries := []string{
			`{ events { totalCount } }`,
			`{ users { totalCount } }`,
			`{ syncProfiles { id } }`,
			`{ eventSummary { events } }`,
			`{ school { id } }`,
			`{ node(id: "` + apitest.ID(b.school.ID) + `") { id } }`,
			`{ nodes(ids: ["` + apitest.ID(b.school.ID) + `"]) { id } }`,
		}
		for _, q := range queries {
			b.srv.Do(t, read, q, nil).OK(t)
			b.srv.Do(t, write, q, nil).Error(t, "FORBIDDEN")
			b.srv.Do(t, "", q, nil).Error(t, "UNAUTHENTICATED")
		}
		e := b.srv.Do(t, read, recordMutation, mutation).Error(t, "FORBIDDEN")
		require.Contains(t, e.Message, "events:write")
		b.srv.Do(t, "", recordMutation, mutation).Error(t, "UNAUTHENTICATED")
		require.Equal(t, before, rowCounts(t, db), "refused writes wrote nothing")
		// The write token can write (the payload's fields need no read scope).
		b.srv.Do(t, write, `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`, mutation).OK(t)
		require.Equal(t, before[0]+1, rowCounts(t, db)[0])

		// Revoked, expired and unknown tokens: HTTP 401, UNAUTHENTICATED, nothing runs.
		ctx := tenant.WithSchool(context.Background(), b.school.ID)
		revoked, revokedSecret := apitest.CreateToken(t, db.Client, b.school.ID, auth.Scopes()...)
		_, err := auth.RevokeToken(ctx, db.Client, revoked.ID)
		require.NoError(t, err)
		expired, expiredSecret := apitest.CreateToken(t, db.Client, b.school.ID, auth.Scopes()...)
		require.NoError(t, db.Client.APIToken.UpdateOneID(expired.ID).SetExpiresAt(time.Now().Add(-time.Second)).Exec(ctx))
		for name, tok := range map[string]string{
			"revoked": revokedSecret, "expired": expiredSecret, "unknown": "prt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "garbage": "hello",
		} {
			for _, op := range []struct {
				q    string
				vars map[string]any
			}{{queries[0], nil}, {recordMutation, mutation}} {
				r := b.srv.Do(t, tok, op.q, op.vars)
				require.Equal(t, http.StatusUnauthorized, r.Status, name)
				require.Equal(t, "UNAUTHENTICATED", r.Error(t, "UNAUTHENTICATED").Code(), name)
				require.Equal(t, "null", string(orNull(r.Data)), name)
			}
		}
		require.Equal(t, before[0]+1, rowCounts(t, db)[0])
	})
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}
