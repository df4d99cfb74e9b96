// Package retention deletes events older than the retention period, in small batches so
// that the report stays responsive while it runs.
package retention

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"

	"github.com/provreport/provreport/internal/store"
)

// DefaultDays is how long events are kept when PROVREPORT_RETENTION_DAYS is not set.
const DefaultDays = 365

// batch bounds one DELETE: short transactions never hold up ingestion or the report.
const batch = 5000

// Purge deletes events that finished before cutoff, batch by batch, and returns how many
// it deleted.
func Purge(ctx context.Context, db *store.DB, cutoff time.Time) (int64, error) {
	q := "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE date_finished < ? LIMIT ?)"
	if db.Dialect == dialect.Postgres {
		q = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE date_finished < $1 LIMIT $2)"
	}
	var total int64
	for {
		res, err := db.SQL.ExecContext(ctx, q, cutoff.UTC(), batch)
		if err != nil {
			return total, fmt.Errorf("retention: delete events before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < batch {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Args is the daily retention job.
type Args struct{}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "retention" }

type worker struct {
	river.WorkerDefaults[Args]
	db   *store.DB
	days int
}

// Work purges events older than the retention period.
func (w *worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	_, err := Purge(ctx, w.db, time.Now().AddDate(0, 0, -w.days))
	return err
}

// Register adds the retention worker and returns its schedule (daily, and at start).
// days <= 0 keeps events forever.
func Register(workers *river.Workers, db *store.DB, days int) []*river.PeriodicJob {
	river.AddWorker(workers, &worker{db: db, days: days})
	if days <= 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}
