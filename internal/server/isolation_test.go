package server_test

import (
	"context"
	"net/http"
	"strconv"
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

// TestCrossSchoolIsolation tries every mutation, subscription and export entry point of
// school A with IDs of school B, and shows B's data is never returned or changed. (The
// query side is covered field by field in graph's isolation tests.)
func TestCrossSchoolIsolation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		a := srv.CreateSchool(t, "aa", "UTC")
		b := srv.CreateSchool(t, "bb", "UTC")
		addUser(t, db, a.ID, "ada", user.RoleADMIN, "ada-password-1")
		addUser(t, db, b.ID, "bob", user.RoleADMIN, "bob-password-1")
		bViewer := addUser(t, db, b.ID, "bev", user.RoleVIEWER, "bev-password-1")
		writeA := srv.Token(t, a.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		bTok, bSecret := apitest.CreateToken(t, db.Client, b.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)

		// B's data: events with a user and a profile, and an export.
		at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
		res := srv.Do(t, bSecret, recordOne, map[string]any{"in": []any{
			map[string]any{"type": "AUTHENTICATION_FAILED", "username": "shared", "dateStarted": at, "dateFinished": at, "externalID": "x1"},
			map[string]any{"type": "SYNC_ERROR", "syncProfile": "LDAP", "errors": 1, "dateStarted": at, "dateFinished": at},
		}}).OK(t)
		var rec struct {
			RecordEvents struct{ Events []struct{ ID string } }
		}
		res.Decode(t, &rec)
		bEvent := rec.RecordEvents.Events[0].ID
		bob := newClient(t, srv.URL)
		require.Empty(t, bob.signIn("bb", "bob", "bob-password-1").Errors)
		r := bob.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
		require.Empty(t, r.Errors)
		bExport := r.Data["requestExport"].(map[string]any)["id"].(string)
		r = bob.gql(`{ users(search: "shared") { edges { node { id } } } syncProfiles { id } }`, nil)
		bUser := r.Data["users"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		bProfile := r.Data["syncProfiles"].([]any)[0].(map[string]any)["id"].(string)
		bToken := strconv.Itoa(bTok.ID)

		ada := newClient(t, srv.URL)
		require.Empty(t, ada.signIn("aa", "ada", "ada-password-1").Errors)

		for _, id := range []string{bEvent, bUser, bProfile, bToken, bExport, strconv.Itoa(b.ID)} {
			r := ada.gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			require.Equal(t, "NOT_FOUND", r.code(), "node %s", id)
			r = ada.gql(`query($id: ID!) { nodes(ids: [$id]) { id } }`, map[string]any{"id": id})
			require.Equal(t, []any{nil}, r.Data["nodes"], "nodes %s", id)
		}
		for _, f := range []map[string]any{{"userID": bUser}, {"syncProfileID": bProfile}} {
			require.Equal(t, "BAD_USER_INPUT", ada.gql(`query($f: ReportFilter) { events(filter: $f) { totalCount } }`, map[string]any{"f": f}).code())
			require.Equal(t, "BAD_USER_INPUT", ada.gql(`query($f: ReportFilter) { eventSummary(filter: $f) { events } }`, map[string]any{"f": f}).code())
			require.Equal(t, "BAD_USER_INPUT", ada.gql(`mutation($f: ReportFilter) { requestExport(filter: $f) { id } }`, map[string]any{"f": f}).code())
		}

		// Exports.
		r = ada.gql(`query($id: ID!) { export(id: $id) { id } }`, map[string]any{"id": bExport})
		require.Empty(t, r.Errors)
		require.Nil(t, r.Data["export"])
		require.Equal(t, "NOT_FOUND", ada.gql(`mutation($id: ID!) { retryExport(id: $id) { id } }`, map[string]any{"id": bExport}).code())
		r = ada.gql(`{ exports { totalCount } apiTokens { id } }`, nil)
		require.EqualValues(t, 0, r.Data["exports"].(map[string]any)["totalCount"])
		require.NotContains(t, mustString(r.Data["apiTokens"]), `"`+bToken+`"`)
		resp, err := ada.http.Get(srv.URL + "/exports/" + bExport + "/download")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		// Admin mutations on B's rows change nothing.
		require.Equal(t, "NOT_FOUND", ada.gql(`mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": bToken}).code())
		require.Empty(t, srv.Do(t, bSecret, `{ events { totalCount } }`, nil).Errors, "B's token still works")
		require.Equal(t, "NOT_FOUND", ada.gql(`mutation($u: ID!) { setUserRole(userID: $u, role: ADMIN) { id } }`, map[string]any{"u": bViewer}).code())
		bev, err := db.Client.User.Get(tenant.System(context.Background()), bViewer)
		require.NoError(t, err)
		require.Equal(t, user.RoleVIEWER, bev.Role)

		// recordEvents with A's token never touches B: same external ID and names make A's own rows.
		before, err := db.Client.Event.Query().Count(tenant.WithSchool(context.Background(), b.ID))
		require.NoError(t, err)
		res = srv.Do(t, writeA, recordOne, map[string]any{"in": []any{
			map[string]any{"type": "AUTHENTICATION_FAILED", "username": "shared", "dateStarted": at, "dateFinished": at, "externalID": "x1"},
			map[string]any{"type": "SYNC_ERROR", "syncProfile": "LDAP", "errors": 1, "dateStarted": at, "dateFinished": at},
		}}).OK(t)
		res.Decode(t, &rec)
		require.NotEqual(t, bEvent, rec.RecordEvents.Events[0].ID, "the external ID is per school")
		after, err := db.Client.Event.Query().Count(tenant.WithSchool(context.Background(), b.ID))
		require.NoError(t, err)
		require.Equal(t, before, after)
		r = ada.gql(`{ users(search: "shared") { edges { node { id } } } syncProfiles { id } }`, nil)
		require.NotContains(t, mustString(r.Data), `"`+bUser+`"`)
		require.NotContains(t, mustString(r.Data), `"`+bProfile+`"`)

		// Subscriptions.
		ws, err := dialWS(t, srv.URL, nil, map[string]any{"token": writeA})
		require.NoError(t, err)
		ws.subscribe("1", `subscription($f: ReportFilter) { eventRecorded(filter: $f) { id } }`, map[string]any{"f": map[string]any{"userID": bUser}})
		m, err := ws.read(5 * time.Second)
		require.NoError(t, err)
		require.Contains(t, string(m.Payload), "BAD_USER_INPUT")
		ws.subscribe("2", `subscription($id: ID!) { exportUpdated(id: $id) { id status } }`, map[string]any{"id": bExport})
		for m.ID != "2" || m.Type == "complete" {
			m, err = ws.read(5 * time.Second)
			require.NoError(t, err)
		}
		require.Contains(t, string(m.Payload), "NOT_FOUND")
		require.False(t, strings.Contains(string(m.Payload), `"status"`), "no export data")
	})
}
