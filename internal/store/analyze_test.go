package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestAnalyzeIfStale fills the events table of a new PostgreSQL database faster than
// autovacuum looks at it, and finds that AnalyzeIfStale analyzes it in the background,
// after which the planner expects a school's thousands of events instead of a handful;
// a second call while the statistics are current analyzes nothing.
func TestAnalyzeIfStale(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		if kind != dialect.Postgres {
			continue
		}
		ctx := context.Background()
		db, err := store.Open(ctx, testdb.URL(t, kind))
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		require.NoError(t, db.Migrate(ctx))

		var school int64
		require.NoError(t, db.SQL.QueryRowContext(ctx, `INSERT INTO schools (create_time, name, slug, timezone)
			VALUES (now(), 'Stats', 'stats', 'UTC') RETURNING id`).Scan(&school))
		_, err = db.SQL.ExecContext(ctx, `INSERT INTO events (type, date_started, date_finished, details, problems,
			school_id, recorded_at) SELECT 'AUTHENTICATION', now(), now() - i * interval '1 second', '', '[]', $1, now()
			FROM generate_series(1, 5000) AS i`, school)
		require.NoError(t, err)

		estimate := func() float64 {
			var plan []struct {
				Plan struct {
					Rows float64 `json:"Plan Rows"`
				}
			}
			var raw []byte
			require.NoError(t, db.SQL.QueryRowContext(ctx,
				"EXPLAIN (FORMAT JSON) SELECT id FROM events WHERE school_id = $1", school).Scan(&raw))
			require.NoError(t, json.Unmarshal(raw, &plan))
			return plan[0].Plan.Rows
		}
		analyzed := func() time.Time {
			var at sql.NullTime
			require.NoError(t, db.SQL.QueryRowContext(ctx,
				"SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'events'::regclass").Scan(&at))
			return at.Time
		}
		require.Less(t, estimate(), 1000.0, "the planner already knows the table: the test shows nothing")

		db.AnalyzeIfStale("events")
		require.Eventually(t, func() bool { return !analyzed().IsZero() }, 30*time.Second, 100*time.Millisecond,
			"the events table was not analyzed")
		require.Greater(t, estimate(), 4000.0)

		first := analyzed()
		require.NoError(t, db.AnalyzeStaleNow(ctx, "events"))
		require.Equal(t, first, analyzed(), "current statistics were analyzed again")
	}
}
