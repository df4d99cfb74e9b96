package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestCSVInjectionNeutralised records events whose details and sync profile are
// formulas in the forms that slipped through (after a space, fullwidth, after a line
// break the writer turns into CR LF) and checks every text cell of the written file, as
// a spreadsheet reads it: none starts, after white space, with a formula character
// unless it starts with the apostrophe.
func TestCSVInjectionNeutralised(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "csv", "UTC")
		token := srv.Token(t, sc.ID, "events:write")
		attacks := []string{"=1+1", " =1+1", "＝1+1", "\n=1+1", "\r\n+SUM(A1)", "\t@cmd", "  －1", "＠SUM(1)", "\u3000=1+1", "\uFEFF=1"}
		var in []any
		for i, a := range attacks {
			in = append(in, map[string]any{"type": "SYNC_ERROR", "syncProfile": "p" + a, "details": a,
				"dateStarted": "2026-03-01T10:00:00Z", "dateFinished": "2026-03-01T10:0" + string(rune('0'+i)) + ":00Z"})
			in = append(in, map[string]any{"type": "SYNC_ERROR", "syncProfile": a, "details": "fine",
				"dateStarted": "2026-03-01T11:00:00Z", "dateFinished": "2026-03-01T11:0" + string(rune('0'+i)) + ":00Z"})
		}
		srv.Do(t, token, recordMutation, map[string]any{"in": in}).OK(t)

		var buf bytes.Buffer
		n, _, err := export.WriteCSV(context.Background(), db.SQL, db.Dialect, export.Rows{SchoolID: sc.ID, MaxEventID: math.MaxInt64, Filter: report.Filter{}}, &buf)
		require.NoError(t, err)
		require.Equal(t, len(in), n)
		records, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		seen := 0
		for _, rec := range records[1:] {
			for _, col := range []int{4, 5, 10} {
				cell := rec[col]
				trimmed := strings.TrimLeft(cell, " \t\r\n\u3000\uFEFF")
				if trimmed == "" {
					continue
				}
				if strings.ContainsRune("=+-@＝＋－＠", []rune(trimmed)[0]) {
					t.Errorf("cell %q reads as a formula", cell)
				}
				if strings.HasPrefix(cell, "'") {
					seen++
				}
			}
		}
		require.Equal(t, 2*len(attacks), seen, "every attack cell is neutralised")
	})
}
