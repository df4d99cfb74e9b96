package graph

import (
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
		if e := subscriptionEnded(err); e != nil {
			return nil, e
		}
		return nil, err
	}
	out := make(chan *model.SyncHealthChange)
	r.feeds.Add(1)
	go func() {
		defer r.feeds.Done()
		defer close(out)
		defer sub.Close()
		ended := auth.Ended(ctx)
		for {
			select {
			case c, ok := <-sub.C:
				if !ok {
					if e := subscriptionEnded(sub.Err()); e != nil {
						endStream(ctx, e)
					}
					return
				}
				m, err := r.healthChange(ctx, c)
				if err != nil {
					// The profile is gone (or the read failed): there is nothing
					// worth sending for this change.
					continue
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				case <-ended:
					endStream(ctx, errCredentialEnded)
					return
				}
			case <-ctx.Done():
				return
			case <-ended:
				endStream(ctx, errCredentialEnded)
				return
			}
		}
	}()
	return out, nil
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
