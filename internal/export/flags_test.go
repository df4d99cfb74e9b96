package export_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
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

// TestExportFlagsColumn shows the flags column is there only when asked for, in an
// emailed export and in Download now alike: each run's flag names joined by ";", empty
// for an unflagged run and for a login; the default file keeps its eleven columns.
func TestExportFlagsColumn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "flags", "UTC")
		createAdmin(t, db, sc.ID, "fay", "fay@flags.test", "flags-password-1")
		token := srv.Token(t, sc.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		base := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
		var in []any
		// Three nightly runs of 1,000 make the baseline; the fourth processed 400 (below
		// half of it) and deleted 200 (above 10% of it); the fifth processed nothing.
		for day, counts := range [][2]int{{1000, 0}, {1000, 0}, {1000, 0}, {400, 200}, {0, 0}} {
			at := base.Add(time.Duration(day) * 24 * time.Hour).Format(time.RFC3339)
			in = append(in, map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "Staff LDAP",
				"processed": counts[0], "deleted": counts[1], "dateStarted": at, "dateFinished": at,
				"externalID": fmt.Sprint("night-", day)})
		}
		login := base.Add(5 * 24 * time.Hour).Format(time.RFC3339)
		in = append(in, map[string]any{"type": "AUTHORISATION", "username": "zoë", "dateStarted": login, "dateFinished": login})
		srv.Do(t, token, recordMutation, map[string]any{"in": in}).OK(t)
		// Newest first: the login, then the nights from the last to the first.
		want := []string{"", "NOTHING_PROCESSED", "PROCESSED_DROP;MASS_DELETE", "", "", ""}
		header := append(append([]string{}, export.Header...), "flags")

		fay := signIn(t, srv.URL, "flags", "fay", "flags-password-1")
		request := func(cols any) [][]string {
			out := fay.gql(`mutation($c: [ExportColumn!]) { requestExport(filter: {activeOnly: false}, columns: $c) { id columns } }`,
				map[string]any{"c": cols})
			require.Empty(t, out["errors"])
			return readyCSV(t, fay, dig(out, "data", "requestExport", "id").(string))
		}
		download := func(columns string) [][]string {
			status, _, body := reportCSV(t, fay.c, srv.URL, "", map[string]any{"activeOnly": false}, columns)
			require.Equal(t, http.StatusOK, status, string(body))
			records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
			require.NoError(t, err)
			return records
		}
		flagsOf := func(records [][]string, col int) []string {
			var out []string
			for _, r := range records[1:] {
				out = append(out, r[col])
			}
			return out
		}

		for name, records := range map[string][][]string{"export": request([]string{"FLAGS"}), "download now": download("FLAGS")} {
			require.Equal(t, header, records[0], name)
			require.Equal(t, want, flagsOf(records, 11), name)
		}
		// With every optional column, flags comes last.
		for name, records := range map[string][][]string{
			"export":       request([]string{"FLAGS", "PROBLEMS", "USERNAME", "SERVICE"}),
			"download now": download("FLAGS,USERNAME,SERVICE,PROBLEMS"),
		} {
			require.Equal(t, append(append([]string{}, export.Header...), "username", "service", "problems", "flags"), records[0], name)
			require.Equal(t, want, flagsOf(records, 14), name)
			require.Equal(t, "zoë", records[1][11], name)
		}
		// The default file has no flags column, however flagged its runs are.
		for name, records := range map[string][][]string{"export": request(nil), "download now": download("")} {
			require.Equal(t, export.Header, records[0], name)
			require.Len(t, records, 7, name)
			for _, r := range records[1:] {
				require.Len(t, r, 11, name)
			}
		}
	})
}
