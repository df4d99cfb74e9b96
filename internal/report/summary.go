package report

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/eventtype"
)

// Step is the width of one bucket of a Summary.
type Step string

// The bucket widths; Summarize picks the one that suits the range.
const (
	StepHour Step = "HOUR"
	StepDay  Step = "DAY"
	StepWeek Step = "WEEK"
)

// MarshalGQL writes the step as a GraphQL enum value.
func (s Step) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a step from a GraphQL enum value.
func (s *Step) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || (str != string(StepHour) && str != string(StepDay) && str != string(StepWeek)) {
		return fmt.Errorf("%v is not a SummaryStep", v)
	}
	*s = Step(str)
	return nil
}

// Totals are the sums of an event set's counts.
type Totals struct {
	Events       int `json:"events"`
	Processed    int `json:"processed"`
	Added        int `json:"added"`
	Updated      int `json:"updated"`
	Deleted      int `json:"deleted"`
	Disabled     int `json:"disabled"`
	Errors       int `json:"errors"`
	FailedLogins int `json:"failedLogins"`
}

func (t *Totals) add(o Totals) {
	t.Events += o.Events
	t.Processed += o.Processed
	t.Added += o.Added
	t.Updated += o.Updated
	t.Deleted += o.Deleted
	t.Disabled += o.Disabled
	t.Errors += o.Errors
	t.FailedLogins += o.FailedLogins
}

// Bucket is the totals of one step of time, starting at Start in the school's zone.
type Bucket struct {
	Start time.Time `json:"start"`
	Totals
}

// Summary is the GraphQL EventSummary: totals of the filtered events and the same per
// bucket of time, empty buckets included, for charts.
type Summary struct {
	Totals
	Step    Step      `json:"step"`
	Buckets []*Bucket `json:"buckets"`
}

// maxBuckets keeps a chart readable and a response small whatever range is asked for.
const maxBuckets = 1000

type slotRow struct {
	Slot         int64 `sql:"slot"`
	Events       int64 `sql:"events"`
	Processed    int64 `sql:"processed"`
	Added        int64 `sql:"added"`
	Updated      int64 `sql:"updated"`
	Deleted      int64 `sql:"deleted"`
	Disabled     int64 `sql:"disabled"`
	Errors       int64 `sql:"errors"`
	FailedLogins int64 `sql:"failed_logins"`
}

// Summarize totals the events that f matches and buckets them by hour, day or week in
// loc, whichever suits the range. ctx must be scoped to the caller's school.
//
// The database groups by a fine slot that never straddles a local hour (a local hour on
// PostgreSQL; a UTC quarter hour on SQLite, which has no time zones); the slots are then
// folded into the step in Go, so days and weeks follow the school's zone, DST included.
func Summarize(ctx context.Context, client *ent.Client, dialectName string, loc *time.Location, f Filter) (*Summary, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var slotExpr string
	var slotSeconds int64
	switch dialectName {
	case dialect.Postgres:
		slotExpr = fmt.Sprintf("CAST(EXTRACT(EPOCH FROM date_trunc('hour', date_finished, '%s')) AS BIGINT)",
			strings.ReplaceAll(loc.String(), "'", "''"))
	default:
		slotSeconds = 900
		slotExpr = "CAST(strftime('%s', date_finished) AS INTEGER) / 900"
	}
	var rows []slotRow
	err := client.Event.Query().Where(f.Predicates()...).Modify(func(s *sql.Selector) {
		s.Select(
			sql.As(slotExpr, "slot"),
			sql.As("COUNT(*)", "events"),
			sql.As("COALESCE(SUM(processed), 0)", "processed"),
			sql.As("COALESCE(SUM(added), 0)", "added"),
			sql.As("COALESCE(SUM(updated), 0)", "updated"),
			sql.As("COALESCE(SUM(deleted), 0)", "deleted"),
			sql.As("COALESCE(SUM(disabled), 0)", "disabled"),
			sql.As("COALESCE(SUM(errors), 0)", "errors"),
			sql.As("COALESCE(SUM(CASE WHEN type = '"+eventtype.AuthenticationFailed+"' THEN 1 ELSE 0 END), 0)", "failed_logins"),
		).GroupBy("slot").OrderBy("slot")
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("summarize events: %w", err)
	}
	sum := &Summary{Buckets: []*Bucket{}}
	type slot struct {
		at time.Time
		t  Totals
	}
	slots := make([]slot, 0, len(rows))
	for _, r := range rows {
		at := time.Unix(r.Slot, 0)
		if slotSeconds > 0 {
			at = time.Unix(r.Slot*slotSeconds, 0)
		}
		t := Totals{
			Events: int(r.Events), Processed: int(r.Processed), Added: int(r.Added), Updated: int(r.Updated),
			Deleted: int(r.Deleted), Disabled: int(r.Disabled), Errors: int(r.Errors), FailedLogins: int(r.FailedLogins),
		}
		sum.add(t)
		slots = append(slots, slot{at.In(loc), t})
	}

	// The chart spans the filter's range where it has one, the data's otherwise.
	var start, end time.Time
	switch {
	case f.From != nil:
		start = f.From.In(loc)
	case len(slots) > 0:
		start = slots[0].at
	}
	switch {
	case f.To != nil:
		end = f.To.In(loc)
	case len(slots) > 0:
		end = slots[len(slots)-1].at.Add(time.Hour)
	}
	if start.IsZero() || end.IsZero() || !end.After(start) {
		if len(slots) == 0 {
			sum.Step = StepDay
			return sum, nil
		}
		if start.IsZero() || !end.After(start) {
			start = slots[0].at
		}
		if end.IsZero() || !end.After(start) {
			end = slots[len(slots)-1].at.Add(time.Hour)
		}
	}
	sum.Step = stepFor(end.Sub(start))
	// A filter range far wider than the data (from 1970, say) would give thousands of
	// empty buckets: clamp to the data then.
	if n := end.Sub(start) / stepLength(sum.Step); n > maxBuckets && len(slots) > 0 {
		start, end = slots[0].at, slots[len(slots)-1].at.Add(time.Hour)
		sum.Step = stepFor(end.Sub(start))
	}

	index := map[int64]*Bucket{}
	for b := Truncate(start, sum.Step); b.Before(end) && len(sum.Buckets) < maxBuckets; b = next(b, sum.Step) {
		bk := &Bucket{Start: b}
		sum.Buckets = append(sum.Buckets, bk)
		index[b.Unix()] = bk
	}
	for _, s := range slots {
		if bk, ok := index[Truncate(s.at, sum.Step).Unix()]; ok {
			bk.add(s.t)
		}
	}
	return sum, nil
}

func stepFor(span time.Duration) Step {
	switch {
	case span <= 72*time.Hour:
		return StepHour
	case span <= 120*24*time.Hour:
		return StepDay
	default:
		return StepWeek
	}
}

func stepLength(s Step) time.Duration {
	switch s {
	case StepHour:
		return time.Hour
	case StepDay:
		return 24 * time.Hour
	default:
		return 7 * 24 * time.Hour
	}
}

// Truncate returns the start of the step that t falls in, in t's location. Weeks start
// on Monday, as ISO 8601 has them.
func Truncate(t time.Time, s Step) time.Time {
	y, m, d := t.Date()
	switch s {
	case StepHour:
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, t.Location())
	case StepDay:
		return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	default:
		back := (int(t.Weekday()) + 6) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, t.Location())
	}
}

func next(t time.Time, s Step) time.Time {
	switch s {
	case StepHour:
		return t.Add(time.Hour)
	case StepDay:
		return t.AddDate(0, 0, 1)
	default:
		return t.AddDate(0, 0, 7)
	}
}
