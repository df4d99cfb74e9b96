package ingest_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestRecordBulk records a bulk batch (COPY on PostgreSQL): every stored row holds what
// the recorder answered, field by field; repeats within the batch and across batches
// answer with the stored event; the created events are announced once; the report data
// version moves with new events only; and a batch the database refuses halfway stores
// nothing, not even the users it created.
func TestRecordBulk(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		var heard []int
		b.rec.OnRecorded = func(_ context.Context, created []*ent.Event) {
			for _, e := range created {
				heard = append(heard, e.ID)
			}
		}
		version := func() int64 {
			v, err := report.DataVersion(b.ctx, db.Client, b.school)
			require.NoError(t, err)
			return v
		}
		v0 := version()

		full := syncRun("full")
		full.Details, full.Service = ptr("a\nmultiline\tdetail"), ptr("directory")
		full.Problems = []*ingest.ProblemInput{{Line: 3, Field: "email", Message: "is empty"}}
		anonymous := syncRun("")
		anonymous.ExternalID = nil
		in := []*ingest.Input{syncRun("a"), login("b", "alice"), syncRun("a"), full, anonymous}
		out, dup, err := b.rec.RecordBulk(b.ctx, in)
		require.NoError(t, err)
		require.Len(t, out, len(in))
		require.Equal(t, 1, dup, "the repeat within the batch")
		require.Equal(t, out[0].ID, out[2].ID)
		require.Equal(t, []int{out[0].ID, out[1].ID, out[3].ID, out[4].ID}, heard, "created events, announced once, in input order")
		require.Equal(t, 4, b.count(t))
		for i, e := range out {
			stored, err := db.Client.Event.Get(b.ctx, e.ID)
			require.NoError(t, err)
			requireSameEvent(t, stored, e, fmt.Sprintf("input[%d]", i))
		}
		u, err := db.Client.User.Query().Where(user.Username("alice")).Only(b.ctx)
		require.NoError(t, err)
		require.Equal(t, user.RoleNONE, u.Role)
		v1 := version()
		require.Greater(t, v1, v0, "new events bump the version")

		again, dup, err := b.rec.RecordBulk(b.ctx, []*ingest.Input{syncRun("full"), login("b", "mallory")})
		require.NoError(t, err)
		require.Equal(t, 2, dup)
		require.Equal(t, []int{out[3].ID, out[1].ID}, []int{again[0].ID, again[1].ID})
		require.Equal(t, 4, b.count(t))
		require.Equal(t, v1, version(), "repeats store nothing and keep the version")
		require.Len(t, heard, 4, "repeats are not announced")

		if db.Dialect == dialect.Postgres {
			// PostgreSQL refuses text that is not UTF-8 (SQLite stores it), which makes
			// the last row fail inside the write, after the new user was created.
			bad := syncRun("bad")
			bad.Details = ptr("\xff")
			_, _, err = b.rec.RecordBulk(b.ctx, []*ingest.Input{login("z", "zed"), syncRun("c"), bad})
			require.Error(t, err)
			require.Equal(t, 4, b.count(t), "nothing of a failed batch is stored")
			n, err := db.Client.User.Query().Where(user.Username("zed")).Count(b.ctx)
			require.NoError(t, err)
			require.Zero(t, n, "nor the users it created")
			require.Equal(t, v1, version())
		}
	})
}

// requireSameEvent compares every exported field of two events but their edges, so that
// a column added to events cannot go unwritten or unread by one path unnoticed.
func requireSameEvent(t *testing.T, want, got *ent.Event, where string) {
	t.Helper()
	wv, gv := reflect.ValueOf(want).Elem(), reflect.ValueOf(got).Elem()
	for i := range wv.NumField() {
		f := wv.Type().Field(i)
		if !f.IsExported() || f.Name == "Edges" {
			continue
		}
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if wt, ok := w.(time.Time); ok {
			require.True(t, wt.Equal(g.(time.Time)), "%s: %s is %v, want %v", where, f.Name, g, w)
			continue
		}
		require.Equal(t, w, g, "%s: %s", where, f.Name)
	}
}

// TestRecordBulkConcurrent races bulk batches that share external IDs (in different
// orders) and a new profile name: every caller gets the same events, each stored once.
func TestRecordBulkConcurrent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		race(t, 6, func(i int) ([]*ent.Event, error) {
			// Batches long enough to overlap: a short one is done before the pool has
			// opened a second connection.
			in := []*ingest.Input{login("race-user", "new.user")}
			for k := range 2000 {
				in = append(in, syncRun(fmt.Sprintf("race-%d", k)))
			}
			in[1].SyncProfile = ptr("Brand New")
			if i%2 == 1 {
				slices.Reverse(in)
			}
			out, _, err := b.rec.RecordBulk(b.ctx, in)
			if i%2 == 1 {
				slices.Reverse(out)
			}
			return out, err
		})
		require.Equal(t, 2001, b.count(t))
	})
}

// TestRecordBulkRefreshesStatistics records a few thousand events into a new PostgreSQL
// database and finds the events table analyzed soon after, without autovacuum: a
// school's report then is planned for the rows it has (see store.AnalyzeIfStale).
func TestRecordBulkRefreshesStatistics(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != dialect.Postgres {
			return // SQLite's plans here do not depend on statistics.
		}
		b := setup(t, db)
		in := make([]*ingest.Input, 3000)
		for i := range in {
			in[i] = syncRun(fmt.Sprint("run-", i))
		}
		_, _, err := b.rec.RecordBulk(b.ctx, in)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			var analyzed bool
			require.NoError(t, db.SQL.QueryRowContext(b.ctx,
				"SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relid = 'events'::regclass").Scan(&analyzed))
			return analyzed
		}, 30*time.Second, 100*time.Millisecond, "the events table was not analyzed after the batch")
	})
}
