package graph_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

type totalsJSON struct {
	Events, Processed, Added, Updated, Deleted, Disabled, Errors, FailedLogins int
}

func (t *totalsJSON) add(e recorded) {
	t.Events++
	t.Processed += e.Processed
	t.Added += e.Added
	t.Updated += e.Updated
	t.Deleted += e.Deleted
	t.Disabled += e.Disabled
	t.Errors += e.Errors
	if e.Type == "AUTHENTICATION_FAILED" {
		t.FailedLogins++
	}
}

type summaryJSON struct {
	totalsJSON
	Step    string
	Buckets []struct {
		Start time.Time
		totalsJSON
	}
}

const summaryQuery = `query($f: ReportFilter) { eventSummary(filter: $f) {
  events processed added updated deleted disabled errors failedLogins step
  buckets { start events processed added updated deleted disabled errors failedLogins }
} }`

// TestEventSummary checks totals and buckets against sums the test computes itself, in a
// school in Australia/Sydney, over ranges that cross both daylight-saving changes.
func TestEventSummary(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		syd, err := time.LoadLocation("Australia/Sydney")
		require.NoError(t, err)
		local := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, syd) }

		// Events from 27 September to 11 October 2026 (daylight saving starts on 4
		// October), many of them within an hour of local midnight, where a UTC day and a
		// Sydney day disagree.
		rng := rand.New(rand.NewPCG(11, 4))
		first, last := local(2026, 9, 27, 0), local(2026, 10, 11, 0)
		in := genEvents(rng, 200, first, "sum")
		for i, e := range in {
			at := first.Add(time.Duration(rng.Int64N(int64(last.Sub(first)/time.Minute))) * time.Minute)
			if i%3 == 0 {
				day := first.AddDate(0, 0, rng.IntN(14))
				at = day.Add(time.Duration(rng.IntN(120)-60) * time.Minute)
			}
			e["dateFinished"] = at.Format(time.RFC3339)
			e["dateStarted"] = at.Add(-time.Minute).Format(time.RFC3339)
		}
		evs, _ := record(t, b.srv, b.token, in)

		summary := func(f refFilter) summaryJSON {
			var out struct{ EventSummary summaryJSON }
			b.srv.Do(t, b.token, summaryQuery, map[string]any{"f": f.vars()}).OK(t).Decode(t, &out)
			return out.EventSummary
		}
		// bucketOf returns the start of the bucket an instant falls in, computed here
		// without the code under test: hours are real hours (Sydney's offsets are
		// whole hours), days start at Sydney midnight, weeks on Monday.
		bucketOf := func(at time.Time, step string) time.Time {
			l := at.In(syd)
			switch step {
			case "HOUR":
				return at.Truncate(time.Hour)
			case "DAY":
				return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, syd)
			default:
				back := (int(l.Weekday()) + 6) % 7
				return time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, syd)
			}
		}
		check := func(name string, f refFilter, step string) summaryJSON {
			s := summary(f)
			require.Equal(t, step, s.Step, name)
			var want totalsJSON
			perBucket := map[int64]*totalsJSON{}
			for _, e := range expect(evs, f) {
				want.add(e)
				k := bucketOf(e.Finished, step).Unix()
				if perBucket[k] == nil {
					perBucket[k] = &totalsJSON{}
				}
				perBucket[k].add(e)
			}
			require.Equal(t, want, s.totalsJSON, "%s: totals", name)
			require.NotEmpty(t, s.Buckets, name)
			var sum totalsJSON
			for i, bk := range s.Buckets {
				start := bk.Start.In(syd)
				require.True(t, bucketOf(start, step).Equal(start), "%s: bucket %d starts at %s, not a step boundary", name, i, start)
				if step != "HOUR" {
					require.Equal(t, [3]int{0, 0, 0}, [3]int{start.Hour(), start.Minute(), start.Second()},
						"%s: bucket %d starts at %s, not local midnight", name, i, start)
				}
				if i > 0 {
					prev := s.Buckets[i-1].Start.In(syd)
					switch step {
					case "HOUR":
						require.Equal(t, time.Hour, start.Sub(prev), "%s: bucket %d", name, i)
					case "DAY":
						require.Equal(t, prev.AddDate(0, 0, 1), start, "%s: bucket %d", name, i)
					default:
						require.Equal(t, prev.AddDate(0, 0, 7), start, "%s: bucket %d", name, i)
					}
				}
				wantB := totalsJSON{}
				if p := perBucket[start.Unix()]; p != nil {
					wantB = *p
				}
				require.Equal(t, wantB, bk.totalsJSON, "%s: bucket %s", name, start)
				sum.Events += bk.Events
			}
			require.Equal(t, want.Events, sum.Events, "%s: every event is in a bucket", name)
			// The buckets cover the range.
			if f.From != nil {
				require.False(t, s.Buckets[0].Start.After(*f.From), "%s: first bucket after from", name)
			}
			if f.To != nil {
				end := s.Buckets[len(s.Buckets)-1].Start.In(syd)
				switch step {
				case "HOUR":
					end = end.Add(time.Hour)
				case "DAY":
					end = end.AddDate(0, 0, 1)
				default:
					end = end.AddDate(0, 0, 7)
				}
				require.False(t, end.Before(*f.To), "%s: last bucket ends %s before to %s", name, end, f.To)
			}
			return s
		}

		// Days across the start of daylight saving: 4 October has 23 hours.
		s := check("days", refFilter{From: ptr(local(2026, 9, 28, 0)), To: ptr(local(2026, 10, 10, 0))}, "DAY")
		require.Len(t, s.Buckets, 12)
		check("days, all events", refFilter{From: ptr(local(2026, 9, 28, 0)), To: ptr(local(2026, 10, 10, 0)), ActiveOnly: ptr(false)}, "DAY")
		check("days, logins", refFilter{From: ptr(local(2026, 9, 28, 0)), To: ptr(local(2026, 10, 10, 0)),
			Types: []string{"AUTHENTICATION_FAILED", "AUTHORISATION"}}, "DAY")
		// A range that does not start at midnight still gets midnight buckets.
		check("days from mid-morning", refFilter{From: ptr(local(2026, 9, 29, 10)), To: ptr(local(2026, 10, 6, 15)), ActiveOnly: ptr(false)}, "DAY")

		// Hours across the daylight-saving gap: 02:00 to 03:00 on 4 October does not exist.
		from, to := local(2026, 10, 3, 22), local(2026, 10, 5, 2)
		s = check("hours", refFilter{From: &from, To: &to, ActiveOnly: ptr(false)}, "HOUR")
		require.Len(t, s.Buckets, int(to.Sub(from)/time.Hour))
		require.Equal(t, 27, len(s.Buckets), "28 wall-clock hours, one of them skipped")

		// Weeks over half a year, across the end (5 April) and start (4 October) of
		// daylight saving; only the last weeks have events.
		s = check("weeks", refFilter{From: ptr(local(2026, 3, 30, 0)), To: ptr(local(2026, 10, 12, 0)), ActiveOnly: ptr(false)}, "WEEK")
		require.Equal(t, time.Monday, s.Buckets[0].Start.In(syd).Weekday())
		require.Len(t, s.Buckets, 28)

		// No range: the buckets span the data.
		s = check("no range", refFilter{ActiveOnly: ptr(false)}, "DAY")
		for _, e := range evs {
			require.False(t, e.Finished.Before(s.Buckets[0].Start), "event before the first bucket")
		}

		// An empty range is all zeros, not an error.
		s = check("empty", refFilter{From: ptr(local(2025, 1, 6, 0)), To: ptr(local(2025, 1, 8, 0))}, "HOUR")
		require.Zero(t, s.Events)
	})
}
