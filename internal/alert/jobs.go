package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/tenant"
)

// CheckArgs is the periodic job that recomputes every school's statuses. River's
// leader enqueues it once per interval for all replicas.
type CheckArgs struct{}

// Kind implements river.JobArgs.
func (CheckArgs) Kind() string { return "health_check" }

// What an alert email is about (EmailArgs.Alert).
const (
	KindFlagged = "flagged"
	KindStatus  = "status"
	KindDigest  = "digest"
)

// EmailArgs is one alert email to one user; its fields are the job's uniqueness key,
// so the same alert is never enqueued twice for a person.
type EmailArgs struct {
	Alert     string `json:"alert"`
	SchoolID  int    `json:"school_id"`
	UserID    int    `json:"user_id"`
	EventID   int    `json:"event_id,omitempty"`
	ProfileID int    `json:"profile_id,omitempty"`
	Status    string `json:"status,omitempty"`
	Previous  string `json:"previous,omitempty"`
	// At is when the status changed, in Unix nanoseconds: a profile may fail, recover
	// and fail again, and each time is an alert of its own.
	At int64 `json:"at,omitempty"`
	// Date is the digest's day (the day it is sent, school time), as 2006-01-02.
	Date string `json:"date,omitempty"`
}

// Kind implements river.JobArgs.
func (EmailArgs) Kind() string { return "alert_email" }

// DigestArgs is one school's digest of one day; unique by both, so it is sent once
// per school and day whichever replica schedules it.
type DigestArgs struct {
	SchoolID int    `json:"school_id"`
	Date     string `json:"date"`
}

// Kind implements river.JobArgs.
func (DigestArgs) Kind() string { return "health_digest" }

// Register adds the watch's workers and returns its periodic job.
func (w *Watch) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &checkWorker{w: w})
	river.AddWorker(workers, &emailWorker{w: w})
	river.AddWorker(workers, &digestWorker{w: w})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(w.interval()),
		func() (river.JobArgs, *river.InsertOpts) {
			// One check waiting or running is enough: a slow check does not pile up
			// others behind it.
			return CheckArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
				rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}
		},
		&river.PeriodicJobOpts{RunOnStart: true})}
}

type checkWorker struct {
	river.WorkerDefaults[CheckArgs]
	w *Watch
}

// Work recomputes the statuses. A check is worth nothing once the next is due, so it
// is not retried.
func (c *checkWorker) Work(ctx context.Context, _ *river.Job[CheckArgs]) error {
	if err := c.w.CheckAll(ctx); err != nil {
		c.w.logger().WarnContext(ctx, "periodic health check", "err", err)
	}
	return nil
}

// Timeout bounds one check well below the interval of the next.
func (c *checkWorker) Timeout(*river.Job[CheckArgs]) time.Duration { return 5 * time.Minute }

type emailWorker struct {
	river.WorkerDefaults[EmailArgs]
	w *Watch
}

// Work renders and sends one alert email. A user who since lost the address, the
// access or the wish for it gets nothing; an SMTP failure is retried with backoff.
func (e *emailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	a := job.Args
	ctx = tenant.WithSchool(ctx, a.SchoolID)
	u, err := e.w.DB.Client.User.Get(ctx, a.UserID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("alert email: user %d: %w", a.UserID, err)
	}
	if u.Email == "" || u.Role == user.RoleNONE {
		return nil
	}
	msg, ok, err := e.w.render(ctx, a, u)
	if err != nil || !ok {
		return err
	}
	return e.w.Mail.Send(ctx, msg)
}

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	w *Watch
}

// Work enqueues the day's digest email for each user who wants it, when there is
// something to say.
func (d *digestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	return d.w.sendDigest(ctx, job.Args)
}
