package report_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSummaryFromSumsAgreesWithEvents holds the summary read from the per-quarter-hour
// sums to the summary read from the events themselves: the same buckets and totals for
// many random filters, on both databases, after the events are recorded, after raw SQL
// flags some of them and takes others off their sync profile (the update path), and
// after raw SQL deletes some (the retention path). Another school's events sit in the
// same quarter hours and must not show.
func TestSummaryFromSumsAgreesWithEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		f := setup(t, db)
		other := setupSchool(t, db, "other")
		require.NotEmpty(t, other.events)
		loc, err := time.LoadLocation("Australia/Sydney")
		require.NoError(t, err)

		check := func(stage string) {
			t.Helper()
			rng := rand.New(rand.NewPCG(5, 6))
			fromSums := 0
			for i := range 60 {
				flt := f.randomFilter(rng)
				if rng.IntN(3) == 0 {
					flt.Flagged = ptr(rng.IntN(2) == 0)
				}
				if i%4 == 0 {
					flt.UserID = nil
				}
				if flt.From != nil && flt.To != nil && flt.From.After(*flt.To) {
					flt.From, flt.To = flt.To, flt.From
				}
				if _, ok := flt.RollupPredicates(); ok {
					fromSums++
				}
				got, err := report.Summarize(f.ctx, f.client, db.Dialect, loc, flt)
				require.NoError(t, err)
				want, err := report.SummarizeEvents(f.ctx, f.client, db.Dialect, loc, flt)
				require.NoError(t, err)
				require.Equal(t, want, got, "%s: %s", stage, describe(flt))
			}
			require.Greater(t, fromSums, 20, "%s: too few filters read the sums to test them", stage)
		}
		check("recorded")

		ids := func(every int) string {
			var s []string
			for i, e := range f.events {
				if i%every == 0 {
					s = append(s, fmt.Sprint(e.ID))
				}
			}
			return strings.Join(s, ", ")
		}
		exec := func(q string) {
			t.Helper()
			_, err := db.SQL.ExecContext(t.Context(), q)
			require.NoError(t, err, q)
		}
		exec("UPDATE events SET flags = 1 WHERE id IN (" + ids(5) + ")")
		exec(fmt.Sprintf("UPDATE events SET sync_profile_id = NULL WHERE sync_profile_id = %d", f.profiles[0]))
		check("updated")
		exec("DELETE FROM events WHERE id IN (" + ids(3) + ")")
		check("deleted")

		var rows int
		require.NoError(t, db.SQL.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+report.RollupTable+" WHERE events <= 0").Scan(&rows))
		require.Zero(t, rows, "rows of sums left empty or negative")
	})
}

// TestRollupMigrationsFollowTheRule holds the triggers and backfill that keep the sums
// to the activity rule: each migration that writes them spells out IdleSQL, for the
// statement's rows on PostgreSQL and for NEW and OLD rows on SQLite.
func TestRollupMigrationsFollowTheRule(t *testing.T) {
	t.Parallel()
	bare := report.IdleSQL(func(c string) string { return c })
	for dir, forms := range map[string][]string{
		"postgres": {bare},
		"sqlite": {bare, report.IdleSQL(func(c string) string { return "NEW." + c }),
			report.IdleSQL(func(c string) string { return "OLD." + c })},
	} {
		files, err := filepath.Glob(filepath.Join("..", "store", "migrations", dir, "*.sql"))
		require.NoError(t, err)
		found := 0
		for _, name := range files {
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			if !strings.Contains(string(b), "INSERT INTO "+report.RollupTable) &&
				!strings.Contains(string(b), "INSERT INTO `"+report.RollupTable+"`") {
				continue
			}
			found++
			for _, form := range forms {
				require.Contains(t, string(b), form, "%s writes the sums with another idle rule", name)
			}
		}
		require.NotZero(t, found, "no %s migration writes the sums", dir)
	}
}
