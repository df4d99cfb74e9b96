package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/health"
)

// healthProfiles creates the sync profiles whose runs make the Sync health page show
// every status whatever the date, and returns their runs. Like recentWeek, the runs are
// placed by fixed offsets from end, so the statuses hold at any clock:
//   - LDAP Alumni ran hourly until two days before end: QUIET.
//   - Google Workspace Sync runs every six hours; its last run processed nothing:
//     FAILING (NOTHING_PROCESSED).
//   - Library System Sync runs daily; its last run deleted a quarter of the directory:
//     WARNING (MASS_DELETE).
//   - Timetable Sync runs every four hours without trouble: HEALTHY.
//   - Canvas Roster Sync has run twice, too few to tell: UNKNOWN.
func healthProfiles(ctx context.Context, client *ent.Client, end time.Time) ([]*ent.EventCreate, int, error) {
	profiles := []struct {
		name string
		kind syncprofile.Kind
	}{
		{"LDAP Alumni", syncprofile.KindLDAP},
		{"Google Workspace Sync", syncprofile.KindSCRIPT},
		{"Library System Sync", syncprofile.KindLDAP},
		{"Timetable Sync", syncprofile.KindSCRIPT},
		{"Canvas Roster Sync", syncprofile.KindSCRIPT},
	}
	pid := map[string]int{}
	for _, p := range profiles {
		sp, err := client.SyncProfile.Create().SetName(p.name).SetKind(p.kind).Save(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("create profile %q: %w", p.name, err)
		}
		pid[p.name] = sp.ID
	}

	var out []*ent.EventCreate
	// run is a run of profile that finished ago before end and ran for a minute.
	run := func(t event.Type, profile string, ago time.Duration) *ent.EventCreate {
		fin := end.Add(-ago)
		b := client.Event.Create().SetType(t).SetDateStarted(fin.Add(-time.Minute).UTC()).SetDateFinished(fin.UTC()).
			SetRecordedAt(fin.UTC()).SetProblems([]eventtype.Problem{}).SetSyncProfileID(pid[profile])
		out = append(out, b)
		return b
	}
	sync := event.TypeACCOUNT_SYNCHRONIZATION

	for i := range 24 {
		run(sync, "LDAP Alumni", 50*time.Hour+time.Duration(i)*time.Hour).SetProcessed(412).
			SetDetails("Scheduled sync of LDAP Alumni: 412 accounts checked, no changes.")
	}

	for i := 1; i <= 12; i++ {
		run(sync, "Google Workspace Sync", 2*time.Hour+time.Duration(i)*6*time.Hour).SetProcessed(1512).SetUpdated(i % 3).
			SetDetails(fmt.Sprintf("Google Workspace directory sync: 1512 accounts checked, %d updated.", i%3))
	}
	run(sync, "Google Workspace Sync", 2*time.Hour).SetProcessed(0).
		SetDetails("Google Workspace directory sync returned no accounts: the service account's credentials were refused.")

	for i := 1; i <= 8; i++ {
		run(sync, "Library System Sync", 3*time.Hour+time.Duration(i)*24*time.Hour).SetProcessed(1244).SetUpdated(i % 4).
			SetDetails(fmt.Sprintf("Library system sync: 1244 borrowers checked, %d updated.", i%4))
	}
	run(sync, "Library System Sync", 3*time.Hour).SetProcessed(1244).SetDeleted(312).
		SetDetails("Library system sync: 1244 borrowers checked, 312 deleted (the LDAP filter now matches only Years 7 to 9).")

	for i := range 12 {
		b := run(sync, "Timetable Sync", time.Hour+time.Duration(i)*4*time.Hour).SetProcessed(936)
		if i%3 == 1 {
			b.SetUpdated(2).SetDetails("Timetable sync: 936 enrolments checked, 2 class changes.")
		} else {
			b.SetDetails("Timetable sync: 936 enrolments checked, no changes.")
		}
	}

	run(sync, "Canvas Roster Sync", 30*time.Hour).SetProcessed(318).SetAdded(318).
		SetDetails("Canvas roster sync: first run, 318 enrolments added.")
	run(sync, "Canvas Roster Sync", 6*time.Hour).SetProcessed(318).
		SetDetails("Canvas roster sync: 318 enrolments checked, no changes.")
	return out, len(profiles), nil
}

// flagRuns gives the school's runs the flags the recording paths give them (package
// health's rule, with the school's thresholds): the demo writes its history in bulk,
// past the recording paths. Each profile's runs are judged in (date_finished, id)
// order, as the backfill of stored events judges them.
func flagRuns(ctx context.Context, client *ent.Client) error {
	sc, err := client.School.Query().Select(school.FieldHealthDeletePercent, school.FieldHealthDisablePercent,
		school.FieldHealthUpdatePercent, school.FieldHealthProcessedDropPercent).Only(ctx)
	if err != nil {
		return fmt.Errorf("read the school's health settings: %w", err)
	}
	settings := health.SettingsOf(sc)
	evs, err := client.Event.Query().Where(event.SyncProfileIDNotNil()).
		Order(ent.Asc(event.FieldSyncProfileID), ent.Asc(event.FieldDateFinished), ent.Asc(event.FieldID)).
		Select(event.FieldID, event.FieldSyncProfileID, event.FieldType, event.FieldDateFinished, event.FieldProcessed,
			event.FieldUpdated, event.FieldDeleted, event.FieldDisabled, event.FieldErrors).All(ctx)
	if err != nil {
		return fmt.Errorf("read runs: %w", err)
	}
	byFlags := map[health.Flags][]int{}
	for start := 0; start < len(evs); {
		end := start
		for end < len(evs) && *evs[end].SyncProfileID == *evs[start].SyncProfileID {
			end++
		}
		runs := make([]health.Run, end-start)
		for i, e := range evs[start:end] {
			runs[i] = health.Run{Type: string(e.Type), DateFinished: e.DateFinished, Processed: e.Processed,
				Updated: e.Updated, Deleted: e.Deleted, Disabled: e.Disabled, Errors: e.Errors}
		}
		for i, f := range health.ComputeBatch(runs, nil, settings) {
			if f != 0 {
				byFlags[f] = append(byFlags[f], evs[start+i].ID)
			}
		}
		start = end
	}
	for f, ids := range byFlags {
		for len(ids) > 0 {
			n := min(len(ids), 500)
			if err := client.Event.Update().Where(event.IDIn(ids[:n]...)).SetFlags(int(f)).Exec(ctx); err != nil {
				return fmt.Errorf("flag runs: %w", err)
			}
			ids = ids[n:]
		}
	}
	return nil
}
