package alert

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/provreport/provreport/ent"
)

// Recorded is ingestion's post-commit hook (every path: recordEvents, POST
// /api/v1/events, the bulk COPY): it notes the profiles whose runs were recorded and
// the flagged runs among them, for the watch's loop to check and email without
// slowing the request that recorded them. Runs recorded while the loop is stopped are
// still judged by the next periodic check; only their flagged-run emails are lost.
func (w *Watch) Recorded(ctx context.Context, created []*ent.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending == nil {
		w.pending = map[int]map[int]struct{}{}
		w.flagged = map[int][]int{}
	}
	for _, e := range created {
		if e.SyncProfileID == nil {
			continue
		}
		ps := w.pending[e.SchoolID]
		if ps == nil {
			ps = map[int]struct{}{}
			w.pending[e.SchoolID] = ps
		}
		ps[*e.SyncProfileID] = struct{}{}
		if e.Flags != 0 {
			w.flagged[e.SchoolID] = append(w.flagged[e.SchoolID], e.ID)
		}
	}
	if w.wake != nil {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Start runs the loop that acts on Recorded's notes until Stop.
func (w *Watch) Start(ctx context.Context) {
	w.mu.Lock()
	if w.wake != nil {
		w.mu.Unlock()
		return
	}
	w.wake = make(chan struct{}, 1)
	w.done = make(chan struct{})
	ctx, w.stop = context.WithCancel(context.WithoutCancel(ctx))
	wake, done := w.wake, w.done
	settle := w.settle()
	w.mu.Unlock()
	go func() {
		defer close(done)
		pause := time.NewTimer(0)
		defer pause.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			w.drain(ctx)
			// Batches recorded during the pause wait for the next drain, which takes
			// them all in one check: checks cost the database reads of every noted
			// profile's recent runs, and an agent sends many batches a second.
			pause.Reset(settle)
			select {
			case <-ctx.Done():
				return
			case <-pause.C:
			}
		}
	}()
	// Anything recorded before the loop started is waiting.
	wake <- struct{}{}
}

// Stop ends the loop after the batch it is working on; what is still noted is left
// to the next periodic check.
func (w *Watch) Stop() {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	<-done
}

// drain checks the noted profiles and enqueues the noted flagged runs' emails.
func (w *Watch) drain(ctx context.Context) {
	w.mu.Lock()
	pending, flagged := w.pending, w.flagged
	w.pending, w.flagged = nil, nil
	w.mu.Unlock()
	for schoolID, ps := range pending {
		if err := w.CheckSchool(ctx, schoolID, slices.Collect(maps.Keys(ps))...); err != nil && ctx.Err() == nil {
			w.logger().WarnContext(ctx, "health check after recording", "school_id", schoolID, "err", err)
		}
	}
	for schoolID, ids := range flagged {
		if err := w.enqueueFlagged(ctx, schoolID, ids); err != nil && ctx.Err() == nil {
			w.logger().WarnContext(ctx, "enqueue flagged run emails", "school_id", schoolID, "err", err)
		}
	}
}

// enqueueFlagged enqueues one email per flagged run and per user who wants them. The
// jobs are unique by run and user, so a run is never emailed twice to one person.
func (w *Watch) enqueueFlagged(ctx context.Context, schoolID int, eventIDs []int) error {
	users, err := recipients(ctx, w.DB.Client, schoolID, prefFlagged)
	if err != nil || len(users) == 0 {
		return err
	}
	return w.inTx(ctx, func(tx *sql.Tx, _ *ent.Client) error {
		for _, id := range eventIDs {
			for _, u := range users {
				args := EmailArgs{Alert: KindFlagged, SchoolID: schoolID, UserID: u.ID, EventID: id}
				if err := w.Queue.InsertTx(ctx, tx, args, uniqueByArgs()); err != nil {
					return fmt.Errorf("flagged run %d: %w", id, err)
				}
			}
		}
		return nil
	})
}

// EnqueueFlagged enqueues the flagged-run emails of events recorded outside a server
// (the record command), whose replicas then send them; their statuses are left to
// the servers' periodic check. It needs only DB and Queue.
func (w *Watch) EnqueueFlagged(ctx context.Context, created []*ent.Event) error {
	bySchool := map[int][]int{}
	for _, e := range created {
		if e.Flags != 0 && e.SyncProfileID != nil {
			bySchool[e.SchoolID] = append(bySchool[e.SchoolID], e.ID)
		}
	}
	for schoolID, ids := range bySchool {
		if err := w.enqueueFlagged(ctx, schoolID, ids); err != nil {
			return err
		}
	}
	return nil
}
