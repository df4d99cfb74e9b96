package health

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
)

// OfProfile judges one profile from its latest runs, read through the index on
// (school, profile, date finished), at the time now. quietAfterMinimum is the school's
// setting (SettingsOf(school).QuietAfterMinimum). The GraphQL field SyncHealth and the
// server's watch for status changes both read health here, so they never disagree.
func OfProfile(ctx context.Context, client *ent.Client, p *ent.SyncProfile, quietAfterMinimum time.Duration, now time.Time) (ProfileHealth, error) {
	evs, err := client.Event.Query().
		Where(event.SyncProfileID(p.ID)).
		Order(event.ByDateFinished(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())).
		Limit(StatusRuns).
		Select(event.FieldType, event.FieldDateFinished, event.FieldErrors, event.FieldFlags).
		All(ctx)
	if err != nil {
		return ProfileHealth{}, fmt.Errorf("read runs of sync profile %d: %w", p.ID, err)
	}
	runs := make([]ProfileRun, len(evs))
	for i, e := range evs {
		runs[i] = ProfileRun{Type: string(e.Type), DateFinished: e.DateFinished, Errors: e.Errors, Flags: Flags(e.Flags)}
	}
	s := ProfileSettings{QuietAfterMinimum: quietAfterMinimum}
	if p.ExpectedEvery != nil {
		d := time.Duration(*p.ExpectedEvery) * time.Second
		s.Schedule = &d
	}
	return Judge(runs, now, s), nil
}
