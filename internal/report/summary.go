package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/predicate"
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

// Add adds o to t, each sum stopping at the largest int rather than wrapping around.
func (t *Totals) Add(o Totals) {
	for _, p := range []struct {
		dst *int
		v   int
	}{
		{&t.Events, o.Events}, {&t.Processed, o.Processed}, {&t.Added, o.Added}, {&t.Updated, o.Updated},
		{&t.Deleted, o.Deleted}, {&t.Disabled, o.Disabled}, {&t.Errors, o.Errors}, {&t.FailedLogins, o.FailedLogins},
	} {
		if *p.dst > math.MaxInt-p.v {
			*p.dst = math.MaxInt
		} else {
			*p.dst += p.v
		}
	}
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

// BucketsAtMost is the most buckets Summarize returns for f: those of its range when it
// has one (plus one for a bucket the range starts within), maxBuckets otherwise. The
// API prices a summary by it.
func BucketsAtMost(f Filter) int {
	if f.From == nil || f.To == nil || !f.To.After(*f.From) {
		return maxBuckets
	}
	span := f.To.Sub(*f.From)
	return min(int(span/stepLength(stepFor(span)))+2, maxBuckets)
}

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
// The database groups by a slot that never straddles a bucket (see slotKind); the slots
// are then folded into the step in Go, so days and weeks follow the school's zone, DST
// included.
func Summarize(ctx context.Context, client *ent.Client, dialectName string, loc *time.Location, f Filter) (*Summary, error) {
	return summarize(ctx, client, dialectName, loc, f, true)
}

// summarize is Summarize, reading the events themselves when sums is false.
func summarize(ctx context.Context, client *ent.Client, dialectName string, loc *time.Location, f Filter, sums bool) (*Summary, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	// Ranges wider than three days are charted in days or weeks: PostgreSQL then groups by
	// the local day (integer arithmetic with the zone's offsets over the range), so it
	// returns one row per day instead of one per hour. Otherwise it groups by UTC quarter
	// hour, as SQLite always does, and Go folds the slots into local hours.
	kind := slotQuarterHour
	if dialectName == dialect.Postgres {
		kind = slotZoneHour
		if f.From != nil && f.To != nil {
			kind = slotQuarterHour
			if f.To.Sub(*f.From) > 72*time.Hour {
				kind = slotLocalDay
				if _, ok := LocalDaySQL(loc, *f.From, *f.To); !ok {
					kind = slotZoneHour
				}
			}
		}
	}
	// The sums kept per quarter hour answer most filters with a row per quarter hour and
	// kind of event instead of a row per event; a user or a search needs the events.
	src := source{}
	if sums {
		src.preds, src.sums = f.RollupPredicates()
	}
	if !src.sums {
		src.preds = f.Predicates()
	}
	slots, err := summarySlots(ctx, client, dialectName == dialect.Postgres, loc, f, src, kind)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Buckets: []*Bucket{}}
	for _, sl := range slots {
		sum.Add(sl.t)
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
		end = slots[len(slots)-1].end()
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
			end = slots[len(slots)-1].end()
		}
	}
	sum.Step = stepFor(end.Sub(start))
	// A filter range far wider than the data (from 1970, say) would give thousands of
	// empty buckets: clamp to the data then.
	if n := end.Sub(start) / stepLength(sum.Step); n > maxBuckets && len(slots) > 0 {
		start, end = slots[0].at, slots[len(slots)-1].end()
		sum.Step = stepFor(end.Sub(start))
	}

	if sum.Step == StepHour && kind == slotLocalDay {
		// Clamped to data that spans three days or less: hours need finer slots.
		if slots, err = summarySlots(ctx, client, dialectName == dialect.Postgres, loc, f, src, slotQuarterHour); err != nil {
			return nil, err
		}
	}

	index := map[int64]*Bucket{}
	for b := Truncate(start, sum.Step); b.Before(end) && len(sum.Buckets) < maxBuckets; b = next(b, sum.Step) {
		bk := &Bucket{Start: b}
		sum.Buckets = append(sum.Buckets, bk)
		index[b.Unix()] = bk
	}
	for _, s := range slots {
		if bk, ok := index[Truncate(s.at, sum.Step).Unix()]; ok {
			bk.Add(s.t)
		}
	}
	return sum, nil
}

// maxOffsetChanges bounds the CASE of LocalDaySQL: about ten years of clock changes.
const maxOffsetChanges = 24

// slotKind is the grain the database groups events by before Go folds them into steps.
type slotKind int

const (
	// slotQuarterHour is UTC quarter hours: every zone's offset is a whole number of
	// quarter hours, so each slot lies within one local hour.
	slotQuarterHour slotKind = iota
	// slotZoneHour is the local hour, computed by PostgreSQL from the zone's name (used
	// when the range is open, so the zone's offsets over it are not known up front).
	slotZoneHour
	// slotLocalDay is the local day, computed with the offsets the zone has over the range.
	slotLocalDay
)

// slot is the totals of one slot, starting at at in the school's zone.
type slot struct {
	at    time.Time
	width time.Duration
	t     Totals
}

// end is where the slot's time ends; a local day's is its next midnight.
func (s slot) end() time.Time {
	if s.width == 24*time.Hour {
		return s.at.AddDate(0, 0, 1)
	}
	return s.at.Add(s.width)
}

// source is what the summary reads: the events, or their sums (RollupTable), with the
// filter's predicates for it.
type source struct {
	preds []predicate.Event
	sums  bool
}

// summarySlots runs the summary's one query, grouped by kind's slots.
func summarySlots(ctx context.Context, client *ent.Client, pg bool, loc *time.Location, f Filter, src source, kind slotKind) ([]slot, error) {
	var slotExpr string
	width := 15 * time.Minute
	switch kind {
	case slotZoneHour:
		slotExpr = fmt.Sprintf("CAST(EXTRACT(EPOCH FROM date_trunc('hour', date_finished, '%s')) AS BIGINT)",
			strings.ReplaceAll(loc.String(), "'", "''"))
		width = time.Hour
	case slotLocalDay:
		slotExpr, _ = LocalDaySQL(loc, *f.From, *f.To)
		width = 24 * time.Hour
	default:
		slotExpr = "CAST(strftime('%s', date_finished) AS INTEGER) / 900"
		if pg {
			slotExpr = "CAST(FLOOR(date_part('epoch', date_finished) / 900) AS BIGINT)"
		}
	}
	// Counts are at most ingest.MaxCount each, but rows recorded before that bound may
	// hold anything up to 2^63-1. The sums are taken in a type that cannot overflow
	// (PostgreSQL's numeric, SQLite's floating TOTAL) and capped at the largest 64-bit
	// integer, so a summary never fails for the size of its numbers.
	sum := func(col string) string {
		if pg {
			return "CAST(LEAST(COALESCE(SUM(CAST(" + col + " AS NUMERIC)), 0), 9223372036854775807) AS BIGINT)"
		}
		return "CAST(MIN(TOTAL(" + col + "), 9223372036854775807.0) AS INTEGER)"
	}
	// A row of sums stands for its events column's number of events.
	failedLogins := func(each string) string {
		return "CASE WHEN type = '" + eventtype.AuthenticationFailed + "' THEN " + each + " ELSE 0 END"
	}
	events, failed := "COUNT(*)", "COALESCE(SUM("+failedLogins("1")+"), 0)"
	if src.sums {
		events, failed = sum("events"), sum(failedLogins("events"))
	}
	var rows []slotRow
	err := client.Event.Query().Where(src.preds...).Modify(func(s *sql.Selector) {
		if src.sums {
			// The predicates, tenant scoping included, name the events table's columns;
			// the sums have those names, so they are read under the events table's name.
			s.From(sql.Table(RollupTable).As(event.Table))
		}
		s.Select(
			sql.As(slotExpr, "slot"),
			sql.As(events, "events"),
			sql.As(sum("processed"), "processed"),
			sql.As(sum("added"), "added"),
			sql.As(sum("updated"), "updated"),
			sql.As(sum("deleted"), "deleted"),
			sql.As(sum("disabled"), "disabled"),
			sql.As(sum("errors"), "errors"),
			sql.As(failed, "failed_logins"),
		).GroupBy("slot").OrderBy("slot")
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("summarize events: %w", err)
	}
	slots := make([]slot, 0, len(rows))
	for _, r := range rows {
		var at time.Time
		switch kind {
		case slotZoneHour:
			at = time.Unix(r.Slot, 0).In(loc)
		case slotLocalDay:
			d := time.Unix(r.Slot*86400, 0).UTC()
			at = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		default:
			at = time.Unix(r.Slot*900, 0).In(loc)
		}
		slots = append(slots, slot{at: at, width: width, t: Totals{
			Events: int(r.Events), Processed: int(r.Processed), Added: int(r.Added), Updated: int(r.Updated),
			Deleted: int(r.Deleted), Disabled: int(r.Disabled), Errors: int(r.Errors), FailedLogins: int(r.FailedLogins),
		}})
	}
	return slots, nil
}

// LocalDaySQL is SQL for the number of the local day (days since 1970-01-01 in loc) that
// date_finished falls in, for rows within [from, to): the zone's UTC offset over the
// range is a CASE on the instants where it changes (twice a year where clocks change),
// which PostgreSQL evaluates far faster than converting every row by the zone's name.
// It reports false for a range with too many changes to write out (decades of them).
func LocalDaySQL(loc *time.Location, from, to time.Time) (string, bool) {
	var b strings.Builder
	b.WriteString("CAST(FLOOR((date_part('epoch', date_finished) + ")
	var whens []string
	t := from
	for {
		lt := t.In(loc)
		_, off := lt.Zone()
		_, end := lt.ZoneBounds()
		if end.IsZero() || !end.Before(to) || !end.After(t) {
			if len(whens) == 0 {
				fmt.Fprintf(&b, "%d", off)
			} else {
				fmt.Fprintf(&b, "CASE %s ELSE %d END", strings.Join(whens, " "), off)
			}
			break
		}
		if len(whens) == maxOffsetChanges {
			return "", false
		}
		whens = append(whens, fmt.Sprintf("WHEN date_finished < TIMESTAMPTZ '%s' THEN %d", end.UTC().Format(time.RFC3339), off))
		t = end
	}
	b.WriteString(") / 86400) AS BIGINT)")
	return b.String(), true
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
