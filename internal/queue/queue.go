// Package queue runs provreport's durable background jobs (exports, emails, expiry,
// retention) on River, which has drivers for both SQLite and PostgreSQL. Jobs live in
// the database, so they survive restarts and are shared by every replica; a job is
// worked by one replica at a time, retried with backoff, and rescued when the replica
// working it dies.
package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/provreport/provreport/internal/store"
)

// Options tune the queue.
type Options struct {
	// Workers is how many jobs this replica works at once.
	Workers int
	// JobTimeout cancels a job that runs longer.
	JobTimeout time.Duration
	// RescueAfter is how long a job may run before another replica assumes its worker
	// died and runs it again; it must exceed JobTimeout.
	RescueAfter time.Duration
	// FetchInterval is how often idle workers poll on SQLite (PostgreSQL is woken by
	// LISTEN/NOTIFY as well).
	FetchInterval time.Duration
	// Periodic jobs to schedule.
	Periodic []*river.PeriodicJob
	// InsertOnly makes a client that enqueues but works nothing (for tools and tests).
	InsertOnly bool
	// Logger receives River's logs.
	Logger *slog.Logger
}

// Queue enqueues jobs in the caller's transaction and works them.
type Queue struct {
	insert func(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error
	start  func(ctx context.Context) error
	stop   func(ctx context.Context) error
	cancel func(ctx context.Context) error
}

// Migrate creates or upgrades River's tables.
func Migrate(ctx context.Context, db *store.DB) error {
	var err error
	if db.Dialect == dialect.Postgres {
		var m *rivermigrate.Migrator[*sql.Tx]
		m, err = rivermigrate.New(riverdatabasesql.New(db.SQL), nil)
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	} else {
		var m *rivermigrate.Migrator[*sql.Tx]
		m, err = rivermigrate.New(riversqlite.New(db.SQL), nil)
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// New builds the queue for db with the given workers.
func New(db *store.DB, workers *river.Workers, o Options) (*Queue, error) {
	if o.Workers == 0 {
		o.Workers = 2
	}
	if o.JobTimeout == 0 {
		o.JobTimeout = 30 * time.Minute
	}
	if o.RescueAfter == 0 {
		o.RescueAfter = o.JobTimeout + 5*time.Minute
	}
	if o.FetchInterval == 0 {
		o.FetchInterval = 500 * time.Millisecond
	}
	cfg := func() *river.Config {
		c := &river.Config{
			JobTimeout:           o.JobTimeout,
			RescueStuckJobsAfter: o.RescueAfter,
			FetchPollInterval:    o.FetchInterval,
			FetchCooldown:        min(100*time.Millisecond, o.FetchInterval),
			Logger:               o.Logger,
			MaxAttempts:          8,
		}
		if !o.InsertOnly {
			c.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}}
			c.Workers = workers
			c.PeriodicJobs = o.Periodic
		}
		return c
	}
	q := &Queue{}
	if db.Dialect == dialect.Postgres {
		// ent runs on database/sql, so jobs are enqueued through a database/sql driver on
		// the same *sql.Tx as the rows they concern; the pgx driver works them and
		// listens for new jobs.
		inserter, err := river.NewClient(riverdatabasesql.New(db.SQL), &river.Config{Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("job queue inserter: %w", err)
		}
		q.insert = func(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error {
			_, err := inserter.InsertTx(ctx, tx, args, opts)
			return err
		}
		if o.InsertOnly {
			q.start, q.stop, q.cancel = noop, noop, noop
			return q, nil
		}
		worker, err := river.NewClient(riverpgxv5.New(db.Pool), cfg())
		if err != nil {
			return nil, fmt.Errorf("job queue: %w", err)
		}
		q.start, q.stop, q.cancel = worker.Start, worker.Stop, worker.StopAndCancel
		return q, nil
	}
	c := cfg()
	// SQLite has no LISTEN/NOTIFY: poll.
	c.PollOnly = true
	client, err := river.NewClient(riversqlite.New(db.SQL), c)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	q.insert = func(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error {
		_, err := client.InsertTx(ctx, tx, args, opts)
		return err
	}
	if o.InsertOnly {
		q.start, q.stop, q.cancel = noop, noop, noop
	} else {
		q.start, q.stop, q.cancel = client.Start, client.Stop, client.StopAndCancel
	}
	return q, nil
}

func noop(context.Context) error { return nil }

// InsertTx enqueues a job in tx, so the job exists exactly when tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if err := q.insert(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Start begins working jobs until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.start(ctx) }

// Stop stops fetching new jobs and waits for running ones to finish or ctx to end.
func (q *Queue) Stop(ctx context.Context) error { return q.stop(ctx) }

// StopAndCancel cancels running jobs and stops; they are retried later (and, if the
// process dies instead, rescued by another replica).
func (q *Queue) StopAndCancel(ctx context.Context) error { return q.cancel(ctx) }
