package health

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
)

// LatestRuns reads the latest StatusRuns runs of each of the given sync profiles, newest
// first, in one query: the runs are numbered per profile by a window function
// (ROW_NUMBER() OVER (PARTITION BY sync_profile_id ORDER BY date_finished DESC, id DESC))
// and only the first StatusRuns of each are returned. A list of sync profiles asks for
// the health of all of them at once, and one query per profile made the list's cost
// grow with the number of profiles. Profiles without runs are absent from the map. c
// must be scoped to the profiles' school, as every ent query is.
func LatestRuns(ctx context.Context, c *ent.Client, profileIDs []int) (map[int][]ProfileRun, error) {
	out := make(map[int][]ProfileRun, len(profileIDs))
	if len(profileIDs) == 0 {
		return out, nil
	}
	var scanned []latestRun
	err := c.Event.Query().Where(event.SyncProfileIDIn(profileIDs...)).Modify(func(s *entsql.Selector) {
		d := entsql.Dialect(s.Dialect())
		cols := []string{event.FieldSchoolID, event.FieldSyncProfileID, event.FieldType, event.FieldDateFinished,
			event.FieldErrors, event.FieldFlags}
		// The school predicate and the profiles are in s's WHERE: number the rows inside
		// it, then keep the first of each profile outside, under the table's own name so
		// that anything ent renders against "events" still finds its columns (ent's
		// per-edge limit does the same).
		inner := s.Clone()
		inner.Select(inner.Columns(cols...)...).
			AppendSelectExprAs(entsql.RowNumber().PartitionBy(inner.C(event.FieldSyncProfileID)).
				OrderExpr(entsql.Expr(inner.C(event.FieldDateFinished)+" DESC, "+inner.C(event.FieldID)+" DESC")), "run_rank")
		t := d.Table("ranked").As(s.TableName())
		*s = *d.Select(t.Columns(append(cols, "run_rank")...)...).
			From(t).
			Where(entsql.LTE(t.C("run_rank"), StatusRuns)).
			OrderBy(t.C(event.FieldSyncProfileID), t.C("run_rank")).
			Prefix(d.With("ranked").As(inner))
	}).Scan(ctx, &scanned)
	if err != nil {
		return nil, fmt.Errorf("read the latest runs of %d sync profiles: %w", len(profileIDs), err)
	}
	for _, r := range scanned {
		out[r.ProfileID] = append(out[r.ProfileID], ProfileRun{Type: r.Type, DateFinished: r.DateFinished,
			Errors: r.Errors, Flags: Flags(r.Flags)})
	}
	return out, nil
}

// latestRun is a row of LatestRuns' query.
type latestRun struct {
	SchoolID     int       `sql:"school_id"`
	ProfileID    int       `sql:"sync_profile_id"`
	Type         string    `sql:"type"`
	DateFinished time.Time `sql:"date_finished"`
	Errors       int       `sql:"errors"`
	Flags        int       `sql:"flags"`
	Rank         int       `sql:"run_rank"`
}
