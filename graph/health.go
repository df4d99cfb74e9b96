package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/health"
)

// settingsModel is the GraphQL form of a school's flag thresholds.
func settingsModel(s health.Settings) *model.SyncHealthSettings {
	return &model.SyncHealthSettings{DeletePercent: s.DeletePercent, DisablePercent: s.DisablePercent,
		UpdatePercent: s.UpdatePercent, ProcessedDropPercent: s.ProcessedDropPercent, QuietAfterMinimum: int(s.QuietAfterMinimum / time.Second)}
}

// profileHealth judges one profile from its latest runs.
func (r *Resolver) profileHealth(ctx context.Context, p *ent.SyncProfile) (*model.SyncHealth, error) {
	byID, err := r.judgeProfiles(ctx, []*ent.SyncProfile{p})
	if err != nil {
		return nil, err
	}
	return byID[p.ID], nil
}

// judgeProfiles returns the health of each profile by ID, reading the school's settings
// once and the profiles' latest runs in one query (health.OfProfiles).
func (r *Resolver) judgeProfiles(ctx context.Context, ps []*ent.SyncProfile) (map[int]*model.SyncHealth, error) {
	sc, err := r.Client.School.Query().Select(school.FieldHealthQuietAfterMinimum).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("read sync health settings: %w", err)
	}
	byID, err := health.OfProfiles(ctx, r.Client, ps, time.Duration(sc.HealthQuietAfterMinimum)*time.Second, r.now())
	if err != nil {
		return nil, err
	}
	out := make(map[int]*model.SyncHealth, len(byID))
	for id, h := range byID {
		m := &model.SyncHealth{Status: model.SyncHealthStatus(h.Status), LastRunAt: h.LastRunAt,
			LastSuccessAt: h.LastSuccessAt, OverdueSince: h.OverdueSince, LastFlags: runFlags(h.LastFlags)}
		if h.ExpectedEvery != nil {
			secs := int(*h.ExpectedEvery / time.Second)
			m.ExpectedEvery = &secs
		}
		out[id] = m
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

// flagBaseline is the baseline a flagged run was measured against (health.EventBaseline).
// Runs without flags get none, so a page of the report costs one small indexed query per
// flagged row only.
func (r *Resolver) flagBaseline(ctx context.Context, e *ent.Event) (*model.RunBaseline, error) {
	if e.Flags == 0 || e.SyncProfileID == nil {
		return nil, nil
	}
	// The medians describe other runs of the school, which an agent that may only record
	// events (and reads this field back from recordEvents) has no right to see.
	if _, err := auth.Require(ctx, auth.ScopeReportsRead); err != nil {
		return nil, err
	}
	b, ok, err := health.EventBaseline(ctx, r.Client, e)
	if err != nil || !ok {
		return nil, err
	}
	return &model.RunBaseline{Runs: b.Runs, Processed: b.Processed, Errors: b.Errors}, nil
}
