package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// beforeRollups is the last migration before the summary's sums existed.
const beforeRollups = 20261207000000

// TestRollupBackfill stores events as the release before the sums did, migrates, and
// finds the summary (now read from the sums the migration built) equal to totals taken
// in Go over the same events: with idle runs shown and hidden, flagged runs, a run
// without a profile, failed sign-ins, and another school's events in the same quarter
// hours.
func TestRollupBackfill(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, exec := migratedUpTo(t, kind, beforeRollups)
			base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			type run struct {
				typ                                                       string
				minute                                                    int
				profile                                                   bool
				processed, added, updated, deleted, disabled, errs, flags int
			}
			runs := []run{
				{"ACCOUNT_SYNCHRONIZATION", 1, true, 100, 0, 0, 0, 0, 0, 0},  // idle
				{"ACCOUNT_SYNCHRONIZATION", 2, true, 100, 0, 0, 0, 0, 0, 4},  // flagged, so not idle
				{"ACCOUNT_SYNCHRONIZATION", 14, true, 90, 3, 2, 1, 1, 0, 0},  // same quarter hour
				{"USER_CSV_PROCESSED", 16, true, 40, 0, 0, 0, 0, 2, 0},       // next quarter hour
				{"ACCOUNT_PROVISIONING", 75, false, 7, 7, 0, 0, 0, 0, 0},     // no profile
				{"AUTHENTICATION_FAILED", 76, false, 0, 0, 0, 0, 0, 0, 0},    // a failed sign-in
				{"AUTHENTICATION_FAILED", 200, false, 0, 0, 0, 0, 0, 0, 0},   // another
				{"GROUPS_CSV_PROCESSED", 24 * 60, true, 5, 0, 0, 0, 0, 0, 0}, // idle, the next day
			}
			now := base.Add(-time.Hour)
			var want [2]report.Totals // [0] idle hidden, [1] shown
			for _, slug := range []string{"old", "other"} {
				school := exec("INSERT INTO schools (create_time, name, slug, timezone) VALUES (?, ?, ?, ?)", now, slug, slug, "UTC")
				profile := exec("INSERT INTO sync_profiles (create_time, name, kind, school_id) VALUES (?, ?, ?, ?)",
					now, "Staff", "LDAP", school)
				for _, r := range runs {
					at := base.Add(time.Duration(r.minute) * time.Minute)
					var p any
					if r.profile {
						p = profile
					}
					exec(`INSERT INTO events (type, date_started, date_finished, processed, added, updated, deleted,
	disabled, errors, flags, details, problems, school_id, sync_profile_id, recorded_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '[]', ?, ?, ?)`, r.typ, at, at, r.processed, r.added, r.updated,
						r.deleted, r.disabled, r.errs, r.flags, school, p, now)
					if slug != "old" {
						continue
					}
					t := report.Totals{Events: 1, Processed: r.processed, Added: r.added, Updated: r.updated,
						Deleted: r.deleted, Disabled: r.disabled, Errors: r.errs}
					if r.typ == "AUTHENTICATION_FAILED" {
						t.FailedLogins = 1
					}
					idle := report.IsIdle(&ent.Event{Type: event.Type(r.typ), Processed: r.processed, Added: r.added,
						Updated: r.updated, Deleted: r.deleted, Disabled: r.disabled, Errors: r.errs, Flags: r.flags})
					for shown := range 2 {
						if shown == 1 || !idle {
							want[shown].Add(t)
						}
					}
				}
			}
			require.NoError(t, db.Migrate(ctx))

			var oldID int
			require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT id FROM schools WHERE slug = 'old'").Scan(&oldID))
			sctx := tenant.WithSchool(ctx, oldID)
			from, to := base.Add(-time.Hour), base.Add(48*time.Hour)
			for shown := range 2 {
				for _, f := range []report.Filter{{}, {From: &from, To: &to}} {
					f.ActiveOnly = ptr(shown == 0)
					_, fromSums := f.RollupPredicates()
					require.True(t, fromSums)
					s, err := report.Summarize(sctx, db.Client, db.Dialect, time.UTC, f)
					require.NoError(t, err)
					require.Equal(t, want[shown], s.Totals, "idle shown: %v, range: %v", shown == 1, f.From != nil)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
