package health

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// hourly returns n ACCOUNT_SYNCHRONIZATION runs an hour apart, newest first, the newest
// finishing at t0.
func hourly(n int) []ProfileRun {
	out := make([]ProfileRun, n)
	for i := range out {
		out[i] = ProfileRun{Type: "ACCOUNT_SYNCHRONIZATION", DateFinished: t0.Add(-time.Duration(i) * time.Hour)}
	}
	return out
}

var defaults = ProfileSettings{QuietAfterMinimum: DefaultQuietAfterMinimum}

func TestJudgeQuietBoundary(t *testing.T) {
	runs := hourly(10)
	// Three hourly gaps make the profile quiet after 3 hours (above the 1-hour minimum).
	require.Equal(t, Healthy, Judge(runs, t0.Add(3*time.Hour-time.Second), defaults).Status)
	require.Equal(t, Healthy, Judge(runs, t0.Add(3*time.Hour), defaults).Status)
	h := Judge(runs, t0.Add(3*time.Hour+time.Second), defaults)
	require.Equal(t, Quiet, h.Status)
	require.Equal(t, t0.Add(3*time.Hour), *h.OverdueSince)
	require.Equal(t, time.Hour, *h.ExpectedEvery)

	// A run every minute: the school's minimum wins over 3 × 1 minute.
	fast := make([]ProfileRun, 5)
	for i := range fast {
		fast[i] = ProfileRun{Type: "ACCOUNT_SYNCHRONIZATION", DateFinished: t0.Add(-time.Duration(i) * time.Minute)}
	}
	require.Equal(t, Healthy, Judge(fast, t0.Add(time.Hour), defaults).Status)
	require.Equal(t, Quiet, Judge(fast, t0.Add(time.Hour+time.Second), defaults).Status)
	short := ProfileSettings{QuietAfterMinimum: time.Minute}
	require.Equal(t, Healthy, Judge(fast, t0.Add(3*time.Minute), short).Status)
	require.Equal(t, Quiet, Judge(fast, t0.Add(3*time.Minute+time.Second), short).Status)
}

func TestJudgeRunCountBoundary(t *testing.T) {
	h := Judge(hourly(2), t0.Add(100*time.Hour), defaults)
	require.Equal(t, Unknown, h.Status, "2 runs: no interval, so never quiet")
	require.Nil(t, h.ExpectedEvery)
	require.Equal(t, Healthy, Judge(hourly(3), t0, defaults).Status)
	require.Equal(t, Healthy, Judge(hourly(4), t0, defaults).Status)
	require.Equal(t, Unknown, Judge(nil, t0, defaults).Status)
	require.Nil(t, Judge(nil, t0, defaults).LastRunAt)
}

func TestJudgeFailingAndWarning(t *testing.T) {
	runs := hourly(5)
	runs[0].Type = "SYNC_ERROR"
	h := Judge(runs, t0, defaults)
	require.Equal(t, Failing, h.Status)
	require.Equal(t, t0.Add(-time.Hour), *h.LastSuccessAt)

	runs = hourly(2)
	runs[0].Flags = NothingProcessed
	require.Equal(t, Failing, Judge(runs, t0, defaults).Status, "a failure shows before too few runs")

	runs = hourly(5)
	runs[0].Flags = MassDelete
	h = Judge(runs, t0, defaults)
	require.Equal(t, Warning, h.Status)
	require.Equal(t, []string{"MASS_DELETE"}, h.LastFlags.Names())
	require.Equal(t, t0, *h.LastSuccessAt)

	runs = hourly(5)
	runs[0].Errors = 1
	require.Equal(t, Warning, Judge(runs, t0, defaults).Status)
	runs[0].Errors = 0
	require.Equal(t, Healthy, Judge(runs, t0, defaults).Status)

	// Quiet wins over failing.
	runs[0].Type = "SYNC_ERROR"
	require.Equal(t, Quiet, Judge(runs, t0.Add(4*time.Hour), defaults).Status)
}

func TestJudgeMedianAndSchedule(t *testing.T) {
	// Gaps 1h, 2h, 10h: the median is 2h; one more gap of 1h: (1h + 2h) / 2.
	runs := []ProfileRun{{DateFinished: t0}, {DateFinished: t0.Add(-time.Hour)}, {DateFinished: t0.Add(-3 * time.Hour)}, {DateFinished: t0.Add(-13 * time.Hour)}}
	require.Equal(t, 2*time.Hour, *Judge(runs, t0, defaults).ExpectedEvery)
	runs = append(runs, ProfileRun{DateFinished: t0.Add(-14 * time.Hour)})
	require.Equal(t, 90*time.Minute, *Judge(runs, t0, defaults).ExpectedEvery)
	// Only the latest 10 runs are read.
	long := hourly(11)
	long[10].DateFinished = t0.Add(-1000 * time.Hour)
	require.Equal(t, time.Hour, *Judge(long, t0, defaults).ExpectedEvery)

	day := 24 * time.Hour
	h := Judge(hourly(5), t0.Add(4*time.Hour), ProfileSettings{Schedule: &day, QuietAfterMinimum: time.Hour})
	require.Equal(t, Healthy, h.Status)
	require.Equal(t, day, *h.ExpectedEvery)
}

func TestJudgeUploads(t *testing.T) {
	runs := hourly(5)
	for i := range runs {
		runs[i].Type = "USER_CSV_PROCESSED"
	}
	h := Judge(runs, t0.Add(1000*time.Hour), defaults)
	require.Equal(t, Healthy, h.Status, "uploads come when people bring them")
	require.Nil(t, h.OverdueSince)
	week := 7 * 24 * time.Hour
	s := ProfileSettings{Schedule: &week, QuietAfterMinimum: time.Hour}
	require.Equal(t, Healthy, Judge(runs, t0.Add(3*week), s).Status)
	require.Equal(t, Quiet, Judge(runs, t0.Add(3*week+time.Second), s).Status)
	runs[0].Type = "GROUP_CSV_FAILED"
	require.Equal(t, Failing, Judge(runs, t0.Add(1000*time.Hour), defaults).Status)
}
