package health

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/predicate"
	"github.com/provreport/provreport/ent/syncprofile"
)

// LatestRuns reads the latest StatusRuns runs of each of the given sync profiles, newest
// first, in one query (UnionOfRuns: one short index read per profile). A list of sync
// profiles asks for the health of all of them at once, so one query per profile would
// make the list's cost grow with the number of profiles; and numbering every run of
// every profile (a window function) would make each health check, which follows every
// recorded batch, grow with the profiles' history.
// Profiles without runs are absent from the map. c must be scoped to the profiles'
// school, as every ent query is.
func LatestRuns(ctx context.Context, c *ent.Client, profileIDs []int) (map[int][]ProfileRun, error) {
	out := make(map[int][]ProfileRun, len(profileIDs))
	if len(profileIDs) == 0 {
		return out, nil
	}
	var scanned []latestRun
	cols := []string{event.FieldID, event.FieldSchoolID, event.FieldSyncProfileID, event.FieldType,
		event.FieldDateFinished, event.FieldErrors, event.FieldFlags}
	parts := make([]RunsPart, len(profileIDs))
	for i, id := range profileIDs {
		parts[i] = RunsPart{ProfileID: id, Limit: StatusRuns}
	}
	err := c.Event.Query().Where(event.SyncProfileIDIn(profileIDs...)).Modify(UnionOfRuns(cols, parts)).Scan(ctx, &scanned)
	if err != nil {
		return nil, fmt.Errorf("read the latest runs of %d sync profiles: %w", len(profileIDs), err)
	}
	// A UNION keeps no order: put each profile's runs newest first again.
	slices.SortFunc(scanned, func(a, b latestRun) int {
		if c := cmp.Compare(a.ProfileID, b.ProfileID); c != 0 {
			return c
		}
		if c := b.DateFinished.Compare(a.DateFinished); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	for _, r := range scanned {
		out[r.ProfileID] = append(out[r.ProfileID], ProfileRun{Type: r.Type, DateFinished: r.DateFinished,
			Errors: r.Errors, Flags: Flags(r.Flags)})
	}
	return out, nil
}

// RunsPart is one part of UnionOfRuns: the runs of one sync profile that match Where,
// newest first, at most Limit of them (0: all).
type RunsPart struct {
	ProfileID int
	Where     []predicate.Event
	Limit     int
}

// UnionOfRuns is a modifier of an event query that reads the columns cols of each part's
// runs in one statement: one short read per part, served backwards from the events'
// (school, sync profile, finished) index, joined by UNION ALL. A part's own LIMIT applies
// after its own predicates, so "the last ten runs that count" means what it says. ent
// adds the query's predicates (above all the school every query is scoped to) after the
// modifier, to the outermost SELECT, so they hold for every row of every part; the rows
// come in no particular order.
func UnionOfRuns(cols []string, parts []RunsPart) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		d := entsql.Dialect(s.Dialect())
		var union *entsql.Selector
		for _, p := range parts {
			part := s.Clone()
			// The profile's school, read from the profile, leads the index that serves
			// the part.
			profiles := entsql.Table(syncprofile.Table)
			schoolOf := d.Select(profiles.C(syncprofile.FieldSchoolID)).From(profiles).
				Where(entsql.EQ(profiles.C(syncprofile.FieldID), p.ProfileID))
			part.Select(part.Columns(cols...)...).
				Where(entsql.And(
					entsql.P(func(b *entsql.Builder) {
						b.Ident(part.C(event.FieldSchoolID)).WriteOp(entsql.OpEQ).Wrap(func(b *entsql.Builder) { b.Join(schoolOf) })
					}),
					entsql.EQ(part.C(event.FieldSyncProfileID), p.ProfileID),
				))
			for _, w := range p.Where {
				w(part)
			}
			part.OrderExpr(entsql.Expr(part.C(event.FieldDateFinished) + " DESC, " + part.C(event.FieldID) + " DESC"))
			if p.Limit > 0 {
				part.Limit(p.Limit)
			}
			// Each part is a subquery, since a part of a UNION may not have its own
			// LIMIT, named as the table like the whole below.
			t := part.As(s.TableName())
			sel := d.Select(t.Columns(cols...)...).From(t)
			if union == nil {
				union = sel
			} else {
				union.UnionAll(sel)
			}
		}
		// Named as the table, so that the predicates ent renders against "events" find
		// their columns (ent's per-edge limit does the same).
		all := union.As(s.TableName())
		*s = *d.Select(all.Columns(cols...)...).From(all)
	}
}

// latestRun is a row of LatestRuns' query.
type latestRun struct {
	ID           int       `sql:"id"`
	SchoolID     int       `sql:"school_id"`
	ProfileID    int       `sql:"sync_profile_id"`
	Type         string    `sql:"type"`
	DateFinished time.Time `sql:"date_finished"`
	Errors       int       `sql:"errors"`
	Flags        int       `sql:"flags"`
}
