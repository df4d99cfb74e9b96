package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/health"
)

// settingsModel is the GraphQL form of a school's flag thresholds.
func settingsModel(s health.Settings) *model.SyncHealthSettings {
	return &model.SyncHealthSettings{DeletePercent: s.DeletePercent, DisablePercent: s.DisablePercent,
		UpdatePercent: s.UpdatePercent, ProcessedDropPercent: s.ProcessedDropPercent, QuietAfterMinimum: int(s.QuietAfterMinimum / time.Second)}
}

// profileHealth judges one profile from its latest runs (health.OfProfile).
func (r *Resolver) profileHealth(ctx context.Context, p *ent.SyncProfile) (*model.SyncHealth, error) {
	sc, err := r.Client.School.Query().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("read sync health settings: %w", err)
	}
	h, err := health.OfProfile(ctx, r.Client, p, time.Duration(sc.HealthQuietAfterMinimum)*time.Second, r.now())
	if err != nil {
		return nil, err
	}
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
