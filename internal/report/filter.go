// Package report defines what the provisioning report means: the filter every view
// shares (the event list, the summary, the CSV export and the live feed), the activity
// rule, and the summary over time. One filter type and one activity rule, so a row the
// dashboard shows is exactly a row the export writes and the live feed delivers.
package report

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"modernc.org/sqlite"

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
	// Search keeps events whose details or one of whose problems' messages contain this
	// text, ignoring case; nil or empty keeps every event.
	Search *string `json:"search,omitempty"`
	// Flagged keeps, when true, the runs with at least one flag (package health); when
	// false, the events without; nil keeps both.
	Flagged *bool `json:"flagged,omitempty"`
}

// MaxSearch is the longest search text a filter takes, in characters.
const MaxSearch = 200

// The search ignores case the same way on every path: Go's Unicode lower-casing in the live
// matcher, the same function registered with SQLite (whose own lower() and LIKE fold ASCII
// letters only), and ILIKE on PostgreSQL, which a trigram index serves.
const sqliteFold = "provreport_fold"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(sqliteFold, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		default:
			return v, nil
		}
	})
}

// needle returns the search text, or "" when the filter does not search.
func (f Filter) needle() string {
	if f.Search == nil {
		return ""
	}
	return *f.Search
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
	if n := utf8.RuneCountInString(f.needle()); n > MaxSearch {
		return usererr.BadInput("filter.search", "search is %d characters long; at most %d are allowed", n, MaxSearch)
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
	return f.predicates(NotIdle())
}

// RollupTable holds the events' sums per school, UTC quarter hour, type, sync profile
// (0 for none), idleness and flaggedness (0 or 1), kept by triggers (migrations
// event_rollups). Its dimensions have the events table's column names, so a query of
// events reads it under the events table's name with the same predicates.
const RollupTable = "event_rollups"

// RollupPredicates is Predicates for RollupTable, or false when its sums cannot answer
// the filter: they keep no user and no text, and a bound inside a quarter hour would
// cut a row of sums.
func (f Filter) RollupPredicates() ([]predicate.Event, bool) {
	if f.UserID != nil || f.needle() != "" || !onQuarterHour(f.From) || !onQuarterHour(f.To) {
		return nil, false
	}
	return f.predicates(predicate.Event(entsql.FieldEQ("idle", 0))), true
}

// onQuarterHour reports whether t is nil or starts a UTC quarter hour.
func onQuarterHour(t *time.Time) bool {
	return t == nil || t.UnixNano()%int64(15*time.Minute) == 0
}

// predicates is the filter's meaning, with active the predicate that hides idle events.
func (f Filter) predicates(active predicate.Event) []predicate.Event {
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
		ps = append(ps, active)
	}
	if f.needle() != "" {
		ps = append(ps, searchPredicate(f.needle()))
	}
	if f.Flagged != nil {
		if *f.Flagged {
			ps = append(ps, event.FlagsNEQ(0))
		} else {
			ps = append(ps, event.Flags(0))
		}
	}
	return ps
}

// searchPredicate keeps events whose details or a problem's message contain s, ignoring
// case. On PostgreSQL both halves are written so that the trigram indexes of the events
// table serve them (see the migration event_search): details ILIKE, and the problems'
// messages as one JSON text ILIKE, rechecked message by message because the JSON text
// also holds the brackets and commas between messages.
func searchPredicate(s string) predicate.Event {
	return predicate.Event(func(sel *entsql.Selector) {
		details, problems := sel.C(event.FieldDetails), sel.C(event.FieldProblems)
		if sel.Dialect() == dialect.Postgres {
			quoted, _ := json.Marshal(s)
			inJSON := likePattern(string(quoted[1 : len(quoted)-1]))
			sel.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString("(" + details + " ILIKE ").Arg(likePattern(s))
				b.WriteString(" OR (jsonb_path_query_array(" + problems + ", '$[*].message')::text ILIKE ").Arg(inJSON)
				b.WriteString(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(" + problems + ") AS p WHERE p->>'message' ILIKE ").
					Arg(likePattern(s)).WriteString(")))")
			}))
			return
		}
		sel.Where(entsql.P(func(b *entsql.Builder) {
			b.WriteString("(instr(" + sqliteFold + "(" + details + "), " + sqliteFold + "(").Arg(s).WriteString(")) > 0")
			b.WriteString(" OR EXISTS (SELECT 1 FROM json_each(" + problems + ") AS p WHERE instr(" + sqliteFold +
				"(json_extract(p.value, '$.message')), " + sqliteFold + "(").Arg(s).WriteString(")) > 0))")
		}))
	})
}

// likePattern makes a LIKE pattern that matches s anywhere, with LIKE's wildcards in s
// taken literally (PostgreSQL's default escape character is the backslash).
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// matchesSearch is the Go form of searchPredicate.
func matchesSearch(e *ent.Event, s string) bool {
	s = strings.ToLower(s)
	if strings.Contains(strings.ToLower(e.Details), s) {
		return true
	}
	for _, p := range e.Problems {
		if strings.Contains(strings.ToLower(p.Message), s) {
			return true
		}
	}
	return false
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
	if f.needle() != "" && !matchesSearch(e, f.needle()) {
		return false
	}
	if f.Flagged != nil && *f.Flagged != (e.Flags != 0) {
		return false
	}
	return true
}
