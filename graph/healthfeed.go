package graph

import (
	"cmp"
	"context"
	"fmt"

	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/alert"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/live"
)

// healthFeed streams the caller's school's sync health changes (syncHealthChanged).
// Each change is delivered with the profile read in the caller's school and its health
// judged at delivery, so a subscriber sees what a query would answer at that moment.
func (r *Resolver) healthFeed(ctx context.Context) (<-chan *model.SyncHealthChange, error) {
	v, err := auth.Require(ctx, auth.ScopeReportsRead)
	if err != nil {
		return nil, err
	}
	sub, err := r.Broker.SubscribeHealth(ctx, v.SchoolID)
	if err != nil {
		return nil, cmp.Or(subscriptionEnded(err), err)
	}
	return follow(ctx, r, sub.C, sub, func(c live.HealthChange) (*model.SyncHealthChange, bool) {
		// A change whose profile is gone (or cannot be read) has nothing worth sending.
		m, err := r.healthChange(ctx, c)
		return m, err == nil
	}), nil
}

// healthChange reads a change's profile in the caller's school and judges its health.
func (r *Resolver) healthChange(ctx context.Context, c live.HealthChange) (*model.SyncHealthChange, error) {
	p, err := r.Client.SyncProfile.Get(ctx, c.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("sync profile %d: %w", c.ProfileID, err)
	}
	h, err := r.profileHealth(ctx, p)
	if err != nil {
		return nil, err
	}
	m := &model.SyncHealthChange{Profile: p, Status: model.SyncHealthStatus(c.Status), ChangedAt: c.ChangedAt, Health: h}
	if c.Previous != "" {
		prev := model.SyncHealthStatus(c.Previous)
		m.PreviousStatus = &prev
	}
	return m, nil
}

// alertModel is the GraphQL form of a user's alert choices.
func alertModel(p alert.Preferences) *model.AlertPreferences {
	return &model.AlertPreferences{FlaggedRuns: p.FlaggedRuns, ProfileFailing: p.ProfileFailing,
		ProfileQuiet: p.ProfileQuiet, DailyDigest: p.DailyDigest}
}
