package export_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// readyCSV waits for an export to be READY and returns its file's records.
func readyCSV(t *testing.T, b *browser, id string) [][]string {
	t.Helper()
	var dl string
	require.Eventually(t, func() bool {
		out := b.gql(`query($id: ID!) { export(id: $id) { status downloadURL } }`, map[string]any{"id": id})
		s, _ := dig(out, "data", "export", "downloadURL").(string)
		dl = s
		return dig(out, "data", "export", "status") == "READY"
	}, 30*time.Second, 50*time.Millisecond, "export %s becomes READY", id)
	resp, err := b.c.Get(dl)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	require.NoError(t, err)
	return records
}

// TestExportColumns shows the file keeps exactly the eleven standard columns unless the
// request asks for more, and that USERNAME, SERVICE and PROBLEMS are appended after
// details in that order whatever order they were asked in.
func TestExportColumns(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "cols", "UTC")
		createAdmin(t, db, sc.ID, "ann", "ann@cols.test", "cols-password-1")
		token := srv.Token(t, sc.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		fin := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		at := func(d time.Duration) string { return fin.Add(d).Format(time.RFC3339) }
		srv.Do(t, token, recordMutation, map[string]any{"in": []any{
			map[string]any{"type": "USER_CSV_PROCESSED_WITH_ERRORS", "syncProfile": "User CSV", "processed": 3, "errors": 2,
				"dateStarted": at(-time.Minute), "dateFinished": at(0), "details": "two rows rejected",
				"problems": []any{
					map[string]any{"line": 4, "field": "email", "message": "not an email address"},
					map[string]any{"line": 9, "field": "year", "message": "=13 is not a year"},
				}},
			map[string]any{"type": "AUTHORISATION", "username": "zoë", "service": "Canvas",
				"dateStarted": at(time.Hour), "dateFinished": at(time.Hour)},
		}}).OK(t)
		ann := signIn(t, srv.URL, "cols", "ann", "cols-password-1")

		request := func(cols any) (string, []any) {
			out := ann.gql(`mutation($c: [ExportColumn!]) { requestExport(filter: {activeOnly: false}, columns: $c) { id columns } }`,
				map[string]any{"c": cols})
			require.Empty(t, out["errors"])
			return dig(out, "data", "requestExport", "id").(string), dig(out, "data", "requestExport", "columns").([]any)
		}

		for _, cols := range []any{nil, []string{}} {
			id, got := request(cols)
			require.Empty(t, got)
			records := readyCSV(t, ann, id)
			require.Equal(t, export.Header, records[0], "columns %v", cols)
			require.Len(t, records, 3)
			for _, r := range records[1:] {
				require.Len(t, r, 11)
			}
		}

		id, got := request([]string{"PROBLEMS", "USERNAME", "SERVICE", "PROBLEMS"})
		require.Equal(t, []any{"USERNAME", "SERVICE", "PROBLEMS"}, got, "file order, no repeats")
		records := readyCSV(t, ann, id)
		require.Equal(t, append(append([]string{}, export.Header...), "username", "service", "problems"), records[0])
		require.Len(t, records, 3)
		// Newest first: the sign-in, then the upload.
		require.Equal(t, []string{"zoë", "Canvas", ""}, records[1][11:])
		require.Equal(t, "Authorisation", records[1][4])
		require.Equal(t, []string{"", "", "line 4, email: not an email address; line 9, year: =13 is not a year"}, records[2][11:])

		id, _ = request([]string{"PROBLEMS"})
		records = readyCSV(t, ann, id)
		require.Equal(t, append(append([]string{}, export.Header...), "problems"), records[0])
		require.Equal(t, "line 4, email: not an email address; line 9, year: =13 is not a year", records[2][11])

		out := ann.gql(`mutation { requestExport(columns: [DETAILS]) { id } }`, nil)
		require.NotEmpty(t, out["errors"], "an unknown column is refused")
	})
}
