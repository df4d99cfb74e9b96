package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// reportCSV fetches GET /report.csv with client c (and a bearer token when given).
func reportCSV(t *testing.T, c *http.Client, base, token string, filter map[string]any, columns string) (int, http.Header, []byte) {
	t.Helper()
	q := url.Values{}
	if filter != nil {
		b, err := json.Marshal(filter)
		require.NoError(t, err)
		q.Set("filter", string(b))
	}
	if columns != "" {
		q.Set("columns", columns)
	}
	req, err := http.NewRequest(http.MethodGet, base+"/report.csv?"+q.Encode(), nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, body
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	require.NoError(t, json.Unmarshal(body, &out), string(body))
	require.Len(t, out.Errors, 1, string(body))
	require.NotEmpty(t, out.Errors[0].Message)
	return out.Errors[0].Extensions.Code
}

// TestDownloadNow shows GET /report.csv answers the same rows the events query returns
// for the filter, with the export's header and columns, for the caller's school only,
// and refuses more events than its limit with 413 TOO_MANY_ROWS.
func TestDownloadNow(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const limit = 12
		srv := apitest.NewWithConfig(t, db, server.Config{DownloadNowMaxRows: limit})
		north := srv.CreateSchool(t, "north", "Australia/Sydney")
		south := srv.CreateSchool(t, "south", "UTC")
		createAdmin(t, db, north.ID, "amy", "amy@north.test", "north-password-1")
		createAdmin(t, db, south.ID, "sam", "sam@south.test", "south-password-1")
		northToken := srv.Token(t, north.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		southToken := srv.Token(t, south.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		writeOnly := srv.Token(t, north.ID, auth.ScopeEventsWrite)

		base := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		record := func(token string, n int, details string) {
			var in []any
			for i := 0; i < n; i++ {
				fin := base.Add(time.Duration(i) * time.Hour)
				in = append(in, map[string]any{"type": "AUTHENTICATION_FAILED", "username": "kid" + strconv.Itoa(i%3),
					"dateStarted": fin.Format(time.RFC3339), "dateFinished": fin.Format(time.RFC3339), "details": details})
			}
			srv.Do(t, token, recordMutation, map[string]any{"in": in}).OK(t)
		}
		record(northToken, 20, "north sign-in")
		record(southToken, 5, "south sign-in")

		amy := signIn(t, srv.URL, "north", "amy", "north-password-1")
		// Ten events (19:00 on 1 April to 05:00 on 2 April in Sydney): within the limit, the same rows as the events query, newest first.
		filter := map[string]any{"from": base.Format(time.RFC3339), "to": base.Add(10 * time.Hour).Format(time.RFC3339)}
		status, h, body := reportCSV(t, amy.c, srv.URL, "", filter, "USERNAME")
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, "text/csv; charset=utf-8", h.Get("Content-Type"))
		require.Equal(t, `attachment; filename="provisioning-report-north-2026-04-01-2026-04-02.csv"`, h.Get("Content-Disposition"))
		records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
		require.NoError(t, err)
		require.Equal(t, append(append([]string{}, export.Header...), "username"), records[0])
		want := allEvents(t, amy, filter)
		require.Len(t, want, 10)
		require.Len(t, records, 11)
		loc, _ := time.LoadLocation("Australia/Sydney")
		for i, ev := range want {
			fin, _ := time.Parse(time.RFC3339, ev["dateFinished"].(string))
			require.Equal(t, fin.In(loc).Format(time.RFC3339), records[i+1][7], "row %d", i+1)
			require.Equal(t, "north sign-in", records[i+1][10])
			require.Regexp(t, `^kid[0-2]$`, records[i+1][11])
		}

		// Exactly the limit is served; one more is 413 with a typed code.
		filter["to"] = base.Add(limit * time.Hour).Format(time.RFC3339)
		status, _, body = reportCSV(t, amy.c, srv.URL, "", filter, "")
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, limit+1, bytes.Count(body, []byte("\r\n")))
		status, _, body = reportCSV(t, amy.c, srv.URL, "", map[string]any{"activeOnly": false}, "")
		require.Equal(t, http.StatusRequestEntityTooLarge, status)
		require.Equal(t, "TOO_MANY_ROWS", errorCode(t, body))

		// An API token with reports:read works like a session; one without it is refused,
		// and nobody signed in is told to sign in.
		status, _, body = reportCSV(t, http.DefaultClient, srv.URL, northToken, filter, "")
		require.Equal(t, http.StatusOK, status, string(body))
		status, _, body = reportCSV(t, http.DefaultClient, srv.URL, writeOnly, filter, "")
		require.Equal(t, http.StatusForbidden, status)
		require.Equal(t, "FORBIDDEN", errorCode(t, body))
		status, _, body = reportCSV(t, http.DefaultClient, srv.URL, "", filter, "")
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, "UNAUTHENTICATED", errorCode(t, body))

		// Another school sees its own five events and nothing of north's, even asking for
		// north's user by ID.
		sam := signIn(t, srv.URL, "south", "sam", "south-password-1")
		status, _, body = reportCSV(t, sam.c, srv.URL, "", map[string]any{"activeOnly": false}, "")
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, 6, bytes.Count(body, []byte("\r\n")))
		require.NotContains(t, string(body), "north")
		northUser := dig(amy.gql(`{ users(search: "kid0", first: 1) { edges { node { id } } } }`, nil), "data", "users", "edges").([]any)
		require.Len(t, northUser, 1)
		uid := northUser[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		status, _, body = reportCSV(t, sam.c, srv.URL, "", map[string]any{"userID": uid}, "")
		require.Equal(t, http.StatusBadRequest, status, string(body))
		require.Equal(t, "BAD_USER_INPUT", errorCode(t, body))

		// A malformed filter or an unknown column is the caller's mistake.
		for _, bad := range []string{"filter=%7Bnope", "columns=DETAILS", `filter={"types":["NOPE"]}`} {
			resp, err := amy.c.Get(srv.URL + "/report.csv?" + bad)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad)
			require.Equal(t, "BAD_USER_INPUT", errorCode(t, b), bad)
		}
	})
}
