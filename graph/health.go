package graph

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/auth"
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

// flagBaseline reads the baseline a flagged run was measured against: the latest
// health.BaselineRuns runs of its profile that count and come before it in the order
// the rule reads history, (date finished, id). Runs without flags get none, so a page
// of the report costs one small indexed query per flagged row only.
func (r *Resolver) flagBaseline(ctx context.Context, e *ent.Event) (*model.RunBaseline, error) {
	if e.Flags == 0 || e.SyncProfileID == nil {
		return nil, nil
	}
	// The medians describe other runs of the school, which an agent that may only record
	// events (and reads this field back from recordEvents) has no right to see.
	if _, err := auth.Require(ctx, auth.ScopeReportsRead); err != nil {
		return nil, err
	}
	evs, err := r.Client.Event.Query().
		Where(event.SyncProfileID(*e.SyncProfileID),
			event.Or(event.DateFinishedLT(e.DateFinished),
				event.And(event.DateFinished(e.DateFinished), event.IDLT(e.ID))),
			event.ProcessedGT(0),
			event.TypeNotIn(failedTypes()...)).
		Order(event.ByDateFinished(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())).
		Limit(health.BaselineRuns).
		Select(event.FieldType, event.FieldProcessed, event.FieldErrors).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read baseline of event %d: %w", e.ID, err)
	}
	runs := make([]health.Run, len(evs))
	for i, b := range evs {
		// Oldest first, as health reads a history.
		runs[len(evs)-1-i] = health.Run{Type: string(b.Type), Processed: b.Processed, Errors: b.Errors}
	}
	b, ok := health.BaselineOf(runs)
	if !ok {
		return nil, nil
	}
	return &model.RunBaseline{Runs: b.Runs, Processed: b.Processed, Errors: b.Errors}, nil
}

// failedTypes lists the event types of runs that failed outright, which no baseline reads.
func failedTypes() []event.Type {
	names := health.FailedTypes()
	out := make([]event.Type, len(names))
	for i, n := range names {
		out[i] = event.Type(n)
	}
	return out
}
