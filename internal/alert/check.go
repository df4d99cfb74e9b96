package alert

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/healthstate"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/tenant"
)

// CheckSchool recomputes the health of the school's sync profiles (only those listed,
// or all when none are) and acts on each change it is the first to notice.
func (w *Watch) CheckSchool(ctx context.Context, schoolID int, profileIDs ...int) error {
	ctx = tenant.WithSchool(ctx, schoolID)
	sc, err := w.DB.Client.School.Get(ctx, schoolID)
	if err != nil {
		return fmt.Errorf("health check of school %d: %w", schoolID, err)
	}
	q := w.DB.Client.SyncProfile.Query().Where(syncprofile.SchoolID(schoolID))
	if len(profileIDs) > 0 {
		q.Where(syncprofile.IDIn(profileIDs...))
	}
	profiles, err := q.All(ctx)
	if err != nil {
		return fmt.Errorf("health check of school %d: profiles: %w", schoolID, err)
	}
	if len(profiles) == 0 {
		return nil
	}
	ids := make([]int, len(profiles))
	for i, p := range profiles {
		ids[i] = p.ID
	}
	states, err := w.DB.Client.HealthState.Query().Where(healthstate.SyncProfileIDIn(ids...)).All(ctx)
	if err != nil {
		return fmt.Errorf("health check of school %d: states: %w", schoolID, err)
	}
	known := make(map[int]*ent.HealthState, len(states))
	for _, s := range states {
		known[s.SyncProfileID] = s
	}
	quiet := health.SettingsOf(sc).QuietAfterMinimum
	now := w.now()
	byID, err := health.OfProfiles(ctx, w.DB.Client, profiles, quiet, now)
	if err != nil {
		return fmt.Errorf("health check of school %d: %w", schoolID, err)
	}
	for _, p := range profiles {
		h := byID[p.ID]
		st := known[p.ID]
		if st != nil && st.Status == string(h.Status) {
			continue
		}
		if err := w.change(ctx, p, st, h.Status, now); err != nil {
			return fmt.Errorf("health check of sync profile %d: %w", p.ID, err)
		}
	}
	return nil
}

// change moves the profile's state row from what was read (st, nil when there was
// none) to status. Only when this replica's statement changed the row does it enqueue
// the change's emails (in the same transaction) and announce it; a replica that lost
// the race finds no row to change and does nothing.
func (w *Watch) change(ctx context.Context, p *ent.SyncProfile, st *ent.HealthState, status health.Status, now time.Time) error {
	c := live.HealthChange{SchoolID: p.SchoolID, ProfileID: p.ID, Status: string(status), ChangedAt: now}
	if st != nil {
		c.Previous = st.Status
	}
	var alerted *string
	if st != nil {
		alerted = st.AlertedStatus
	}
	pref, email, nowAlerted := alertFor(c.Status, alerted)
	won := false
	err := w.inTx(ctx, func(tx *sql.Tx, _ *ent.Client) error {
		var res sql.Result
		var err error
		if st == nil {
			res, err = tx.ExecContext(ctx, fmt.Sprintf(
				"INSERT INTO health_states (school_id, sync_profile_id, status, changed_at, alerted_status) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sync_profile_id) DO NOTHING",
				w.ph(1), w.ph(2), w.ph(3), w.ph(4), w.ph(5)), p.SchoolID, p.ID, c.Status, now, nowAlerted)
		} else {
			res, err = tx.ExecContext(ctx, fmt.Sprintf(
				"UPDATE health_states SET status = %s, previous_status = %s, changed_at = %s, alerted_status = %s WHERE sync_profile_id = %s AND status = %s",
				w.ph(1), w.ph(2), w.ph(3), w.ph(4), w.ph(5), w.ph(6)), c.Status, c.Previous, now, nowAlerted, p.ID, c.Previous)
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return err
		}
		won = true
		if !email {
			return nil
		}
		return w.enqueueStatusEmails(ctx, tx, c, pref)
	})
	if err != nil || !won {
		return err
	}
	if err := w.Broker.PublishHealth(ctx, c); err != nil {
		w.logger().WarnContext(ctx, "announce sync health change", "sync_profile_id", p.ID, "err", err)
	}
	return nil
}

// alertFor decides what a change to status means by email, given the alert last sent
// and not yet recovered from (alerted, nil when none): entering FAILING or QUIET alerts
// under that preference; HEALTHY after an alert tells the same people it is over,
// even when the profile passed through WARNING or UNKNOWN on the way. Other changes
// send nothing: a warning comes from a flagged run, which has its own email. It also
// returns the alert to remember from now on.
func alertFor(status string, alerted *string) (pref preference, email bool, nowAlerted *string) {
	switch status {
	case string(health.Failing):
		return prefFailing, true, &status
	case string(health.Quiet):
		return prefQuiet, true, &status
	case string(health.Healthy):
		if alerted == nil {
			return 0, false, nil
		}
		if *alerted == string(health.Quiet) {
			return prefQuiet, true, nil
		}
		return prefFailing, true, nil
	}
	return 0, false, alerted
}

// enqueueStatusEmails enqueues one email per user who wants to hear of the change.
func (w *Watch) enqueueStatusEmails(ctx context.Context, tx *sql.Tx, c live.HealthChange, pref preference) error {
	users, err := recipients(ctx, w.DB.Client, c.SchoolID, pref)
	if err != nil {
		return err
	}
	for _, u := range users {
		args := EmailArgs{Alert: KindStatus, SchoolID: c.SchoolID, UserID: u.ID, ProfileID: c.ProfileID,
			Status: c.Status, Previous: c.Previous, At: c.ChangedAt.UnixNano()}
		if err := w.Queue.InsertTx(ctx, tx, args, uniqueByArgs()); err != nil {
			return err
		}
	}
	return nil
}

func uniqueByArgs() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// CheckAll recomputes every school's statuses and enqueues the digests that are due.
func (w *Watch) CheckAll(ctx context.Context) error {
	schools, err := w.DB.Client.School.Query().All(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("health check: schools: %w", err)
	}
	var first error
	for _, sc := range schools {
		if err := w.CheckSchool(ctx, sc.ID); err != nil && first == nil {
			first = err
		}
		if err := w.scheduleDigest(ctx, sc); err != nil && first == nil {
			first = err
		}
	}
	return first
}
