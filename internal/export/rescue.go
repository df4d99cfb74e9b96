package export

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/provreport/provreport/ent"
	entexport "github.com/provreport/provreport/ent/export"
	"github.com/provreport/provreport/internal/tenant"
)

// A replica that dies while building an export (kill -9, a lost machine) leaves the
// export RUNNING and its job in River's running state, which River only rescues after
// RescueStuckJobsAfter: long, because that bound must exceed the longest job anyone may
// run. Exports do not wait for it. The worker building a file writes a heartbeat on the
// export's row, and a periodic job on any replica hands an export whose heartbeat
// stopped to a new build job, so another replica finishes it within a minute or so with
// the default settings.
const (
	// DefaultHeartbeat is how often the worker building an export says it is alive.
	DefaultHeartbeat = 5 * time.Second
	// DefaultStaleAfter is how long an export's heartbeat may be silent before another
	// replica takes the export over: four missed heartbeats.
	DefaultStaleAfter = 20 * time.Second
	// DefaultRescueEvery is how often a replica looks for exports whose heartbeat stopped.
	DefaultRescueEvery = 10 * time.Second
)

// errTakenOver ends a build whose export another worker has taken over.
var errTakenOver = errors.New("another worker took the export over")

// errHeartbeatLost ends a build that could not write its heartbeat for so long that
// another replica may have taken the export over: carrying on could build it twice at once.
var errHeartbeatLost = errors.New("could not write the export's heartbeat")

// RescueArgs is the periodic job that hands exports whose worker died to a new job.
type RescueArgs struct{}

// Kind implements river.JobArgs.
func (RescueArgs) Kind() string { return "export_rescue" }

type rescueWorker struct {
	river.WorkerDefaults[RescueArgs]
	s *Service
}

// Work rescues the exports whose heartbeat stopped.
func (w *rescueWorker) Work(ctx context.Context, _ *river.Job[RescueArgs]) error {
	n, err := w.s.Rescue(ctx, time.Now())
	if n > 0 && w.s.Logger != nil {
		w.s.Logger.Info("exports whose worker stopped were queued again", "exports", n)
	}
	return err
}

func (s *Service) heartbeat() time.Duration {
	if s.Heartbeat > 0 {
		return s.Heartbeat
	}
	return DefaultHeartbeat
}

func (s *Service) staleAfter() time.Duration {
	if s.StaleAfter > 0 {
		return s.StaleAfter
	}
	return DefaultStaleAfter
}

func (s *Service) rescueEvery() time.Duration {
	if s.RescueEvery > 0 {
		return s.RescueEvery
	}
	return DefaultRescueEvery
}

// Rescue queues again, each with a new build job, the RUNNING exports whose heartbeat
// is older than the stale bound at now, and returns how many. An export is taken only
// if it is still in the state that was read (same status, attempt and heartbeat), so two
// replicas rescuing at once, or a worker that comes back to life, never make two owners.
// RUNNING exports without a heartbeat were started by a server from before heartbeats
// and are left to River's own rescue.
func (s *Service) Rescue(ctx context.Context, now time.Time) (int, error) {
	sys := tenant.System(ctx)
	cutoff := now.UTC().Add(-s.staleAfter())
	stuck, err := s.DB.Client.Export.Query().
		Where(entexport.StatusEQ(entexport.StatusRUNNING), entexport.HeartbeatAtLT(cutoff)).Limit(100).All(sys)
	if err != nil {
		return 0, fmt.Errorf("rescue exports: %w", err)
	}
	n := 0
	for _, e := range stuck {
		var taken bool
		err := s.inTx(sys, func(tx *sql.Tx, c *ent.Client) error {
			k, err := c.Export.Update().Where(entexport.ID(e.ID), entexport.StatusEQ(entexport.StatusRUNNING),
				entexport.Attempts(e.Attempts), entexport.HeartbeatAtLT(cutoff)).
				SetStatus(entexport.StatusQUEUED).ClearHeartbeatAt().Save(sys)
			if err != nil || k == 0 {
				return err
			}
			taken = true
			// A distinct Retry value: the dead worker's job still counts as running for
			// River, and a job with the same arguments would be refused as a duplicate.
			return s.Queue.InsertTx(sys, tx, BuildArgs{ExportID: e.ID, Retry: now.UnixNano()}, s.buildOpts())
		})
		if err != nil {
			return n, fmt.Errorf("rescue export %d: %w", e.ID, err)
		}
		if taken {
			n++
			if e2, err := s.DB.Client.Export.Get(sys, e.ID); err == nil {
				s.updated(sys, e2)
			}
		}
	}
	return n, nil
}

// claim marks the export RUNNING for this worker, as attempt one more, unless another
// worker is building it (RUNNING with a fresh heartbeat) or it is finished. It returns
// the export as claimed, or nil when the job has nothing to do.
func (s *Service) claim(ctx context.Context, id int) (*ent.Export, error) {
	now := time.Now().UTC()
	k, err := s.DB.Client.Export.Update().Where(entexport.ID(id), entexport.Or(
		entexport.StatusIn(entexport.StatusQUEUED, entexport.StatusFAILED),
		entexport.And(entexport.StatusEQ(entexport.StatusRUNNING),
			entexport.Or(entexport.HeartbeatAtIsNil(), entexport.HeartbeatAtLT(now.Add(-s.staleAfter())))),
	)).SetStatus(entexport.StatusRUNNING).SetStartedAt(now).SetHeartbeatAt(now).AddAttempts(1).Save(ctx)
	if err != nil || k == 0 {
		return nil, err
	}
	return s.DB.Client.Export.Get(ctx, id)
}

// beat writes the heartbeat of the export e, built as attempt e.Attempts, until ctx
// ends. It stops the build (through stop) when another worker has taken the export
// over, or when it could not write the heartbeat for longer than half the stale bound,
// so that a worker cut off from the database gives the export up before another replica
// may take it.
func (s *Service) beat(ctx context.Context, e *ent.Export, stop context.CancelCauseFunc) {
	t := time.NewTicker(s.heartbeat())
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k, err := s.DB.Client.Export.Update().Where(entexport.ID(e.ID), entexport.StatusEQ(entexport.StatusRUNNING),
			entexport.Attempts(e.Attempts)).SetHeartbeatAt(time.Now().UTC()).Save(ctx)
		switch {
		case err == nil && k == 0:
			stop(errTakenOver)
			return
		case err == nil:
			last = time.Now()
		case ctx.Err() == nil && time.Since(last) > s.staleAfter()/2:
			stop(fmt.Errorf("%w: %w", errHeartbeatLost, err))
			return
		}
	}
}
