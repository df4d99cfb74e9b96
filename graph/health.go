package graph

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

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

// HealthLoads lets the SyncProfile.health fields of one list of profiles share one read:
// the first profile of the list to be resolved judges every profile of the list, with
// one query for their latest runs (health.LatestRuns) and one read of the school's
// settings, and the others take their verdict from it. Each response gets its own
// loads, so a subscription's every message judges the profiles afresh.
type HealthLoads struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = HealthLoads{}

// ExtensionName implements graphql.HandlerExtension.
func (HealthLoads) ExtensionName() string { return "HealthLoads" }

// Validate implements graphql.HandlerExtension.
func (HealthLoads) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (HealthLoads) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, healthLoadsKey{}, &healthLoads{batches: map[*graphql.FieldContext]*healthBatch{}}))
}

type healthLoadsKey struct{}

// healthLoads are one response's batches, one per list of profiles (the list field's
// context identifies it).
type healthLoads struct {
	mu      sync.Mutex
	batches map[*graphql.FieldContext]*healthBatch
}

// healthBatch is the verdict on every profile of one list, computed once.
type healthBatch struct {
	once sync.Once
	byID map[int]*model.SyncHealth
	err  error
}

// batch returns the batch of the list whose field context is fc.
func (l *healthLoads) batch(fc *graphql.FieldContext) *healthBatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.batches[fc]
	if !ok {
		b = &healthBatch{}
		l.batches[fc] = b
	}
	return b
}

// profileList finds the list of profiles that p's health is asked for in: the nearest
// enclosing field whose result is a list of sync profiles (syncProfiles), or nil when
// p was reached alone (a mutation's result, an event's profile, node).
func profileList(ctx context.Context) (*graphql.FieldContext, []*ent.SyncProfile) {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if list, ok := fc.Result.([]*ent.SyncProfile); ok {
			return fc, list
		}
	}
	return nil, nil
}

// profileHealth judges p from its latest runs: with the rest of its list when it is
// part of one (see HealthLoads), alone otherwise.
func (r *Resolver) profileHealth(ctx context.Context, p *ent.SyncProfile) (*model.SyncHealth, error) {
	loads, _ := ctx.Value(healthLoadsKey{}).(*healthLoads)
	fc, list := profileList(ctx)
	if loads == nil || fc == nil {
		byID, err := r.judgeProfiles(ctx, []*ent.SyncProfile{p})
		if err != nil {
			return nil, err
		}
		return byID[p.ID], nil
	}
	b := loads.batch(fc)
	b.once.Do(func() { b.byID, b.err = r.judgeProfiles(ctx, list) })
	if b.err != nil {
		return nil, b.err
	}
	if h, ok := b.byID[p.ID]; ok {
		return h, nil
	}
	// Not in the list it was found under (which the walk above rules out); judge it alone.
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
