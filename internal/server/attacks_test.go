package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestCrossSchoolAttacksByCursorBulkAndOrigin covers the entry points
// TestCrossSchoolIsolation and graph's TestSchoolIsolation leave out: another school's
// cursor, another school's external IDs, user and profile names through the bulk
// endpoint, and a cross-site page opening a websocket with a signed-in user's cookie.
// Each attempt is refused or stays inside the caller's school; docs/RELIABILITY.md lists
// them with their answers.
func TestCrossSchoolAttacksByCursorBulkAndOrigin(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		a := srv.CreateSchool(t, "aa", "UTC")
		b := srv.CreateSchool(t, "bb", "UTC")
		addUser(t, db, a.ID, "ada", user.RoleADMIN, "ada-password-1")
		tokA := srv.Token(t, a.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		tokB := srv.Token(t, b.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		at := time.Now().UTC().Add(-time.Hour)
		var in []any
		for i := range 6 {
			at := at.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
			in = append(in, map[string]any{"type": "SYNC_ERROR", "syncProfile": "LDAP", "username": "shared", "errors": 1,
				"dateStarted": at, "dateFinished": at, "externalID": "x" + string(rune('0'+i))})
		}
		srv.Do(t, tokA, recordOne, map[string]any{"in": in[:3]}).OK(t)
		var recB struct {
			RecordEvents struct{ Events []struct{ ID string } }
		}
		srv.Do(t, tokB, recordOne, map[string]any{"in": in}).OK(t).Decode(t, &recB)
		var allB []string
		for _, e := range recB.RecordEvents.Events {
			allB = append(allB, e.ID)
		}
		countB := func() int {
			n, err := db.Client.Event.Query().Count(tenant.WithSchool(context.Background(), b.ID))
			require.NoError(t, err)
			return n
		}

		// B's cursor in A's query: a cursor is a position in the order, not a grant, so A
		// pages through A's own events from that position and never sees one of B's.
		page := func(tok string, vars map[string]any) (ids []string, end string) {
			var out struct {
				Events struct {
					Edges    []struct{ Node struct{ ID string } }
					PageInfo struct{ EndCursor string }
				}
			}
			srv.Do(t, tok, `query($after: Cursor) { events(first: 2, after: $after, filter: {activeOnly: false}) {
				edges { node { id } } pageInfo { endCursor } } }`, vars).OK(t).Decode(t, &out)
			for _, e := range out.Events.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids, out.Events.PageInfo.EndCursor
		}
		_, cursorB := page(tokB, nil)
		fromB, _ := page(tokA, map[string]any{"after": cursorB})
		require.NotEmpty(t, fromB, "A's events older than B's position")
		for _, id := range fromB {
			require.NotContains(t, allB, id, "A paged into B's events with B's cursor")
			_, err := db.Client.Event.Get(tenant.WithSchool(context.Background(), a.ID), apitest.IntID(t, id))
			require.NoError(t, err, "event %s is A's", id)
		}
		// A forged cursor is refused with a typed error, not a crash.
		r := srv.Do(t, tokA, `query($after: Cursor) { events(first: 2, after: $after) { totalCount } }`, map[string]any{"after": "gqFpzwAAAAEAAEN/"})
		require.NotEmpty(t, r.Errors)
		require.NotEqual(t, "INTERNAL_SERVER_ERROR", r.Errors[0].Code())
		// One that makes entgql's decoder panic (found by FuzzCursor) is refused the same way.
		r = srv.Do(t, tokA, `query($after: Cursor) { events(first: 2, after: $after) { totalCount } }`, map[string]any{"after": "gqF2000000000000oXY00000000"})
		require.NotEmpty(t, r.Errors)
		require.Equal(t, "BAD_USER_INPUT", r.Errors[0].Code(), r.Errors[0].Message)

		// The bulk endpoint with A's token and B's external IDs, usernames and profile
		// names writes A's rows; B is untouched.
		before := countB()
		var body strings.Builder
		for _, e := range in {
			line, _ := json.Marshal(e)
			body.Write(line)
			body.WriteByte('\n')
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events", strings.NewReader(body.String()))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+tokA)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
		var bulk struct {
			Recorded, Duplicates int
			IDs                  []string
		}
		require.NoError(t, json.Unmarshal(raw, &bulk))
		require.Equal(t, 3, bulk.Recorded, "B's external IDs are new in A")
		require.Equal(t, 3, bulk.Duplicates, "A's own are duplicates")
		for _, id := range bulk.IDs {
			require.NotContains(t, allB, id)
		}
		require.Equal(t, before, countB(), "school B unchanged")
		// B still sees exactly its own six.
		var total struct{ Events struct{ TotalCount int } }
		srv.Do(t, tokB, `{ events(filter: {activeOnly: false}) { totalCount } }`, nil).OK(t).Decode(t, &total)
		require.Equal(t, 6, total.Events.TotalCount)

		// Cross-site websocket hijacking: a page on another origin opens the websocket
		// with the signed-in user's session cookie. The upgrade is refused (403) before
		// any message; the same cookie from the dashboard's own origin is accepted, so
		// the refusal is the origin's, not the cookie's.
		ada := newClient(t, srv.URL)
		require.Empty(t, ada.signIn("aa", "ada", "ada-password-1").Errors)
		for _, origin := range []string{"https://evil.example", "http://127.0.0.1.evil.example", "null"} {
			h := ada.cookieHeader()
			h.Set("Origin", origin)
			_, err := dialWS(t, srv.URL, h, map[string]any{})
			var se *httpStatusError
			require.ErrorAs(t, err, &se, "origin %s", origin)
			require.Equal(t, http.StatusForbidden, se.code, "origin %s", origin)
		}
		h := ada.cookieHeader()
		h.Set("Origin", srv.URL)
		ws, err := dialWS(t, srv.URL, h, map[string]any{})
		require.NoError(t, err, "the dashboard's own origin with the cookie")
		ws.c.CloseNow()
	})
}
