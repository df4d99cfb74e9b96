package auth

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/provreport/provreport/ent"
)

// CleanupArgs is the periodic job that deletes expired sessions and stale throttles.
type CleanupArgs struct{}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "auth_cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	client *ent.Client
}

// Work deletes expired sessions.
func (w *cleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	_, err := DeleteExpiredSessions(ctx, w.client)
	return err
}

// RegisterWorkers adds the auth package's workers.
func RegisterWorkers(workers *river.Workers, client *ent.Client) {
	river.AddWorker(workers, &cleanupWorker{client: client})
}

// Periodic returns the auth package's scheduled jobs.
func Periodic(*ent.Client) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}
