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
	"github.com/provreport/provreport/ent/syncprofile"
)

// LatestRuns reads the latest StatusRuns runs of each of the given sync profiles, newest
// first, in one query: one short read per profile (ORDER BY date_finished DESC, id DESC
// LIMIT StatusRuns, served backwards from the events' (school, sync profile, finished)
// index), joined by UNION ALL. A list of sync profiles asks for the health of all of them
// at once, so one query per profile would make the list's cost grow with the number of
// profiles; and numbering every run of every profile (a window function) would make each
// health check, which follows every recorded batch, grow with the profiles' history.
// Profiles without runs are absent from the map. c must be scoped to the profiles'
// school, as every ent query is: each part keeps the query's own predicates.
func LatestRuns(ctx context.Context, c *ent.Client, profileIDs []int) (map[int][]ProfileRun, error) {
	out := make(map[int][]ProfileRun, len(profileIDs))
	if len(profileIDs) == 0 {
		return out, nil
	}
	var scanned []latestRun
	err := c.Event.Query().Where(event.SyncProfileIDIn(profileIDs...)).Modify(func(s *entsql.Selector) {
		// ent adds the query's predicates (the profiles, and the school every query is
		// scoped to) after this modifier, to the outermost SELECT: they then hold for
		// every row of every part.
		d := entsql.Dialect(s.Dialect())
		cols := []string{event.FieldID, event.FieldSchoolID, event.FieldSyncProfileID, event.FieldType,
			event.FieldDateFinished, event.FieldErrors, event.FieldFlags}
		var union *entsql.Selector
		for _, id := range profileIDs {
			part := s.Clone()
			// The profile's school, read from the profile, leads the index that serves
			// the part: the school's runs of this profile, newest first.
			profiles := entsql.Table(syncprofile.Table)
			schoolOf := d.Select(profiles.C(syncprofile.FieldSchoolID)).From(profiles).
				Where(entsql.EQ(profiles.C(syncprofile.FieldID), id))
			part.Select(part.Columns(cols...)...).
				Where(entsql.And(
					entsql.P(func(b *entsql.Builder) {
						b.Ident(part.C(event.FieldSchoolID)).WriteOp(entsql.OpEQ).Wrap(func(b *entsql.Builder) { b.Join(schoolOf) })
					}),
					entsql.EQ(part.C(event.FieldSyncProfileID), id),
				)).
				OrderExpr(entsql.Expr(part.C(event.FieldDateFinished) + " DESC, " + part.C(event.FieldID) + " DESC")).
				Limit(StatusRuns)
			// Each part is a subquery, since a part of a UNION may not have its own LIMIT.
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
	}).Scan(ctx, &scanned)
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
