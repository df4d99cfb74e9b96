package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// beforeFlags is the last migration before the run flags existed.
const beforeFlags = 20261205131500

// TestBackfillFlags stores runs as the release before the flags did, migrates, and
// finds every run flagged as the recorder flags it: by (date_finished, id), against the
// profile's earlier runs that count, whatever order the rows were stored in.
func TestBackfillFlags(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, exec := migratedUpTo(t, kind, beforeFlags)
			now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			school := exec("INSERT INTO schools (create_time, name, slug, timezone) VALUES (?, ?, ?, ?)", now, "Old", "old", "UTC")
			profile := func(name string) int64 {
				return exec("INSERT INTO sync_profiles (create_time, name, kind, school_id) VALUES (?, ?, ?, ?)",
					now, name, "LDAP", school)
			}
			staff, pupils := profile("Staff"), profile("Pupils")
			run := func(p int64, typ string, day, processed, deleted int) int64 {
				at := now.Add(time.Duration(day) * 24 * time.Hour)
				return exec(`INSERT INTO events (type, date_started, date_finished, processed, added, updated, deleted,
	disabled, errors, details, problems, school_id, sync_profile_id, recorded_at)
	VALUES (?, ?, ?, ?, 0, 0, ?, 0, 0, '', '[]', ?, ?, ?)`, typ, at, at, processed, deleted, school, p, now)
			}
			sync := "ACCOUNT_SYNCHRONIZATION"
			// Stored out of order: the last run first.
			dropped := run(staff, sync, 7, 100, 0)
			want := map[int64]health.Flags{dropped: health.ProcessedDrop}
			for day := 1; day <= 3; day++ {
				want[run(staff, sync, day, 1000, 0)] = 0
			}
			// A failed run is judged like any other, but never counts towards a baseline.
			want[run(staff, "SYNC_ERROR", 4, 5, 0)] = health.ProcessedDrop
			want[run(staff, sync, 5, 1000, 200)] = health.MassDelete
			want[run(staff, sync, 6, 0, 0)] = health.NothingProcessed
			// Two earlier runs are no baseline.
			want[run(pupils, sync, 1, 1000, 0)] = 0
			want[run(pupils, sync, 2, 1000, 0)] = 0
			want[run(pupils, sync, 3, 10, 500)] = 0

			require.NoError(t, db.Migrate(ctx))
			evs, err := db.Client.Event.Query().Select(event.FieldID, event.FieldFlags).
				All(tenant.WithSchool(ctx, int(school)))
			require.NoError(t, err)
			require.Len(t, evs, len(want))
			for _, ev := range evs {
				require.Equal(t, want[int64(ev.ID)].String(), health.Flags(ev.Flags).String(), "event %d of %v", ev.ID, want)
			}
		})
	}
}
