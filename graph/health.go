package graph

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/health"
)

// settingsModel is the GraphQL form of a school's flag thresholds.
func settingsModel(s health.Settings) *model.SyncHealthSettings {
	return &model.SyncHealthSettings{DeletePercent: s.DeletePercent, DisablePercent: s.DisablePercent,
		UpdatePercent: s.UpdatePercent, ProcessedDropPercent: s.ProcessedDropPercent, QuietAfterMinimum: int(s.QuietAfterMinimum / time.Second)}
}

// profileHealth judges one profile from its latest runs, read through the index on
// (school, profile, date finished).
func (r *Resolver) profileHealth(ctx context.Context, p *ent.SyncProfile) (*model.SyncHealth, error) {
	sc, err := r.Client.School.Query().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("read sync health settings: %w", err)
	}
	evs, err := r.Client.Event.Query().
		Where(event.SyncProfileID(p.ID)).
		Order(event.ByDateFinished(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())).
		Limit(health.StatusRuns).
		Select(event.FieldType, event.FieldDateFinished, event.FieldErrors, event.FieldFlags).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read runs of sync profile %d: %w", p.ID, err)
	}
	runs := make([]health.ProfileRun, len(evs))
	for i, e := range evs {
		runs[i] = health.ProfileRun{Type: string(e.Type), DateFinished: e.DateFinished, Errors: e.Errors, Flags: health.Flags(e.Flags)}
	}
	s := health.ProfileSettings{QuietAfterMinimum: time.Duration(sc.HealthQuietAfterMinimum) * time.Second}
	if p.ExpectedEvery != nil {
		d := time.Duration(*p.ExpectedEvery) * time.Second
		s.Schedule = &d
	}
	h := health.Judge(runs, time.Now(), s)
	out := &model.SyncHealth{Status: model.SyncHealthStatus(h.Status), LastRunAt: h.LastRunAt,
		LastSuccessAt: h.LastSuccessAt, OverdueSince: h.OverdueSince, LastFlags: runFlags(h.LastFlags)}
	if h.ExpectedEvery != nil {
		secs := int(*h.ExpectedEvery / time.Second)
		out.ExpectedEvery = &secs
	}
	return out, nil
}

// runFlags lists a run's flags as RunFlag values, in health's display order; never nil,
// since the fields are non-null lists.
func runFlags(f health.Flags) []model.RunFlag {
	names := f.Names()
	out := make([]model.RunFlag, len(names))
	for i, n := range names {
		out[i] = model.RunFlag(n)
	}
	return out
}
