// Package report defines what the provisioning report means: the filter every view
// shares (the event list, the summary, the CSV export and the live feed), the activity
// rule, and the summary over time. One filter type and one activity rule, so a row the
// dashboard shows is exactly a row the export writes and the live feed delivers.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/predicate"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/usererr"
)

// Filter is the GraphQL ReportFilter: which events of the caller's school to show.
// The zero value shows every active event.
type Filter struct {
	// From is the inclusive lower bound on dateFinished.
	From *time.Time `json:"from,omitempty"`
	// To is the exclusive upper bound on dateFinished.
	To *time.Time `json:"to,omitempty"`
	// UserID keeps events whose actor is this user.
	UserID *int `json:"userID,omitempty"`
	// SyncProfileID keeps events of this sync profile.
	SyncProfileID *int `json:"syncProfileID,omitempty"`
	// Types keeps events of these types; empty keeps every type.
	Types []event.Type `json:"types,omitempty"`
	// ActiveOnly hides idle events; nil means true, as the product description's checkbox defaults.
	ActiveOnly *bool `json:"activeOnly,omitempty"`
}

// Active reports whether idle events are hidden.
func (f Filter) Active() bool {
	return f.ActiveOnly == nil || *f.ActiveOnly
}

// Validate checks the filter on its own: a range that ends before it starts, or an
// unknown event type.
func (f Filter) Validate() error {
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		return usererr.BadInput("filter.from", "from (%s) is after to (%s)",
			f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	for i, t := range f.Types {
		if err := event.TypeValidator(t); err != nil {
			return usererr.BadInput(fmt.Sprintf("filter.types[%d]", i), "unknown event type %q", t)
		}
	}
	return nil
}

// Check validates the filter and that the user and sync profile it names exist for the
// caller. ctx must be scoped to the caller's school, so another school's ID is unknown.
func (f Filter) Check(ctx context.Context, client *ent.Client) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return f.CheckRefs(ctx, client)
}

// CheckRefs checks that the user and sync profile the filter names exist for the
// caller, one query each; ctx as for Check.
func (f Filter) CheckRefs(ctx context.Context, client *ent.Client) error {
	if f.UserID != nil {
		ok, err := client.User.Query().Where(user.ID(*f.UserID)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("check filter user %d: %w", *f.UserID, err)
		}
		if !ok {
			return usererr.BadInput("filter.userID", "no user with ID %d", *f.UserID)
		}
	}
	if f.SyncProfileID != nil {
		ok, err := client.SyncProfile.Query().Where(syncprofile.ID(*f.SyncProfileID)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("check filter sync profile %d: %w", *f.SyncProfileID, err)
		}
		if !ok {
			return usererr.BadInput("filter.syncProfileID", "no sync profile with ID %d", *f.SyncProfileID)
		}
	}
	return nil
}

// Predicates turns the filter into ent predicates on events. Tenant scoping is added by
// the ent interceptor, not here.
func (f Filter) Predicates() []predicate.Event {
	var ps []predicate.Event
	if f.From != nil {
		ps = append(ps, event.DateFinishedGTE(f.From.UTC()))
	}
	if f.To != nil {
		ps = append(ps, event.DateFinishedLT(f.To.UTC()))
	}
	if f.UserID != nil {
		ps = append(ps, event.UserID(*f.UserID))
	}
	if f.SyncProfileID != nil {
		ps = append(ps, event.SyncProfileID(*f.SyncProfileID))
	}
	if len(f.Types) > 0 {
		ps = append(ps, event.TypeIn(f.Types...))
	}
	if f.Active() {
		ps = append(ps, NotIdle())
	}
	return ps
}

// Matches reports whether an event passes the filter; the live feed uses it on events
// as they are recorded. It must agree with Predicates, and a test holds them together.
func (f Filter) Matches(e *ent.Event) bool {
	if f.From != nil && e.DateFinished.Before(*f.From) {
		return false
	}
	if f.To != nil && !e.DateFinished.Before(*f.To) {
		return false
	}
	if f.UserID != nil && (e.UserID == nil || *e.UserID != *f.UserID) {
		return false
	}
	if f.SyncProfileID != nil && (e.SyncProfileID == nil || *e.SyncProfileID != *f.SyncProfileID) {
		return false
	}
	if len(f.Types) > 0 {
		found := false
		for _, t := range f.Types {
			if t == e.Type {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if f.Active() && IsIdle(e) {
		return false
	}
	return true
}
