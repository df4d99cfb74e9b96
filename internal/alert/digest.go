package alert

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/tenant"
)

// dayLayout is how a digest's day is written in its job.
const dayLayout = "2006-01-02"

func location(sc *ent.School) *time.Location {
	if loc, err := time.LoadLocation(sc.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// scheduleDigest enqueues the school's digest of today (school time) once it is past
// DigestHour. The job is unique by school and day, so every replica and every check
// of the morning may try: one digest is sent.
func (w *Watch) scheduleDigest(ctx context.Context, sc *ent.School) error {
	local := w.now().In(location(sc))
	y, m, d := local.Date()
	due := time.Date(y, m, d, DigestHour, 0, 0, 0, local.Location())
	if local.Before(due) || !local.Before(due.Add(digestWindow)) {
		return nil
	}
	return w.inTx(ctx, func(tx *sql.Tx, _ *ent.Client) error {
		return w.Queue.InsertTx(ctx, tx, DigestArgs{SchoolID: sc.ID, Date: local.Format(dayLayout)}, uniqueByArgs())
	})
}

// sendDigest enqueues the day's digest email for each user who wants it, unless there
// is nothing to say.
func (w *Watch) sendDigest(ctx context.Context, a DigestArgs) error {
	dg, err := w.digest(ctx, a.SchoolID, a.Date)
	if err != nil || dg.empty() {
		return err
	}
	users, err := recipients(ctx, w.DB.Client, a.SchoolID, prefDigest)
	if err != nil || len(users) == 0 {
		return err
	}
	return w.inTx(ctx, func(tx *sql.Tx, _ *ent.Client) error {
		for _, u := range users {
			args := EmailArgs{Alert: KindDigest, SchoolID: a.SchoolID, UserID: u.ID, Date: a.Date}
			if err := w.Queue.InsertTx(ctx, tx, args, uniqueByArgs()); err != nil {
				return err
			}
		}
		return nil
	})
}

// digest is what a school's daily digest says about the day before Date.
type digest struct {
	School        string
	Day           string // the day it covers, e.g. "Saturday 5 December 2026"
	Profiles      []profileDay
	Flagged       []flaggedRun
	MoreFlagged   int
	FailedUploads int
	FailedLogins  int
	Attention     []attention
}

type profileDay struct {
	Name          string
	Runs, Flagged int
}

type flaggedRun struct {
	Profile string
	Flags   string
	At      string
}

type attention struct {
	Name, Status string
}

// digestFlaggedMax is how many flagged runs a digest lists one by one.
const digestFlaggedMax = 20

func (d *digest) empty() bool {
	return len(d.Profiles) == 0 && d.FailedLogins == 0 && d.FailedUploads == 0 && len(d.Attention) == 0
}

// digest gathers the school's digest for the day before date (school time).
func (w *Watch) digest(ctx context.Context, schoolID int, date string) (*digest, error) {
	ctx = tenant.WithSchool(ctx, schoolID)
	sc, err := w.DB.Client.School.Get(ctx, schoolID)
	if err != nil {
		return nil, fmt.Errorf("digest: school %d: %w", schoolID, err)
	}
	loc := location(sc)
	day, err := time.ParseInLocation(dayLayout, date, loc)
	if err != nil {
		return nil, fmt.Errorf("digest: day %q: %w", date, err)
	}
	from := time.Date(day.Year(), day.Month(), day.Day()-1, 0, 0, 0, 0, loc)
	profiles, err := w.DB.Client.SyncProfile.Query().Where(syncprofile.SchoolID(schoolID)).Order(syncprofile.ByName()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("digest: profiles: %w", err)
	}
	names := map[int]string{}
	for _, p := range profiles {
		names[p.ID] = p.Name
	}
	evs, err := w.DB.Client.Event.Query().
		Where(event.SchoolID(schoolID), event.DateFinishedGTE(from.UTC()), event.DateFinishedLT(day.UTC())).
		Order(event.ByDateFinished(), event.ByID()).
		Select(event.FieldType, event.FieldSyncProfileID, event.FieldFlags, event.FieldDateFinished).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("digest: events: %w", err)
	}
	dg := &digest{School: sc.Name, Day: from.Format("Monday 2 January 2006")}
	byProfile := map[int]*profileDay{}
	for _, e := range evs {
		t := string(e.Type)
		switch {
		case t == eventtype.AuthenticationFailed:
			dg.FailedLogins++
			continue
		case eventtype.IsAuth(t):
			continue
		case t == "USER_CSV_FAILED" || t == "GROUP_CSV_FAILED":
			dg.FailedUploads++
		}
		if e.SyncProfileID == nil {
			continue
		}
		pd := byProfile[*e.SyncProfileID]
		if pd == nil {
			pd = &profileDay{Name: names[*e.SyncProfileID]}
			byProfile[*e.SyncProfileID] = pd
		}
		pd.Runs++
		if e.Flags != 0 {
			pd.Flagged++
			if len(dg.Flagged) < digestFlaggedMax {
				dg.Flagged = append(dg.Flagged, flaggedRun{Profile: pd.Name, Flags: health.Flags(e.Flags).String(),
					At: e.DateFinished.In(loc).Format("15:04")})
			} else {
				dg.MoreFlagged++
			}
		}
	}
	for _, pd := range byProfile {
		dg.Profiles = append(dg.Profiles, *pd)
	}
	sort.Slice(dg.Profiles, func(i, j int) bool { return dg.Profiles[i].Name < dg.Profiles[j].Name })
	quiet := health.SettingsOf(sc).QuietAfterMinimum
	byID, err := health.OfProfiles(ctx, w.DB.Client, profiles, quiet, w.now())
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	for _, p := range profiles {
		h := byID[p.ID]
		switch h.Status {
		case health.Failing, health.Quiet, health.Warning:
			dg.Attention = append(dg.Attention, attention{Name: p.Name, Status: string(h.Status)})
		}
	}
	return dg, nil
}
