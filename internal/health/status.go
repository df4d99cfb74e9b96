package health

import (
	"sort"
	"strings"
	"time"
)

// Status is how a sync profile is doing, judged from its recent runs.
type Status string

// The statuses, as GraphQL enum values, in the order the rule tries them.
const (
	Quiet   Status = "QUIET"
	Failing Status = "FAILING"
	Warning Status = "WARNING"
	Unknown Status = "UNKNOWN"
	Healthy Status = "HEALTHY"
)

// StatusRuns is how many of a profile's latest runs the status rule reads.
const StatusRuns = 10

// MinRunsForStatus is how many runs a profile needs before its interval and its health
// can be told; with fewer it is UNKNOWN (unless its last run failed).
const MinRunsForStatus = 3

// DefaultQuietAfterMinimum is the shortest silence that makes a profile QUIET when its
// school did not choose another: a profile running every minute is not quiet after
// three minutes of silence, which a restart of its agent easily causes.
const DefaultQuietAfterMinimum = time.Hour

// ProfileRun is one stored run of a profile as the status rule needs it.
type ProfileRun struct {
	Type         string
	DateFinished time.Time
	Errors       int
	Flags        Flags
}

// ProfileHealth is the verdict on one profile.
type ProfileHealth struct {
	Status Status
	// LastRunAt and LastSuccessAt are nil when there is no such run among those read.
	LastRunAt     *time.Time
	LastSuccessAt *time.Time
	// ExpectedEvery is nil when the interval cannot be told (fewer than 3 runs, no
	// schedule set) or, for a CSV-upload profile without a schedule, is not expected.
	ExpectedEvery *time.Duration
	// OverdueSince is when the profile became overdue, set only when it is QUIET.
	OverdueSince *time.Time
	LastFlags    Flags
}

// ProfileSettings is what the rule needs to know about the profile besides its runs.
type ProfileSettings struct {
	// Schedule is the interval an admin set for the profile; it overrides the median gap.
	Schedule *time.Duration
	// QuietAfterMinimum is the school's shortest silence that makes a profile QUIET.
	QuietAfterMinimum time.Duration
}

// IsUpload reports whether runs of type t come from a person uploading a CSV file.
func IsUpload(t string) bool {
	return strings.HasPrefix(t, "USER_CSV_") || strings.HasPrefix(t, "GROUP_CSV_") || strings.HasPrefix(t, "GROUPS_CSV_")
}

// Judge returns the health of a profile given its latest runs (newest first; only the
// first StatusRuns are read), the time now and its settings. First match wins:
// QUIET (the expected interval is known and now is after lastRunAt + max(3 × interval,
// quietAfterMinimum)), FAILING (the last run failed outright or processed nothing),
// WARNING (the last run has another flag or errors), UNKNOWN (fewer than 3 runs),
// HEALTHY. Uploaded CSV files come when people bring them, so a profile whose last run
// is an upload is never QUIET unless an admin set its schedule.
func Judge(runs []ProfileRun, now time.Time, s ProfileSettings) ProfileHealth {
	if len(runs) > StatusRuns {
		runs = runs[:StatusRuns]
	}
	var h ProfileHealth
	for _, r := range runs {
		if !IsFailed(r.Type) && r.Flags&NothingProcessed == 0 {
			at := r.DateFinished
			h.LastSuccessAt = &at
			break
		}
	}
	h.ExpectedEvery = expectedEvery(runs, s.Schedule)
	if len(runs) == 0 {
		h.Status = Unknown
		return h
	}
	last := runs[0]
	lastAt := last.DateFinished
	h.LastRunAt = &lastAt
	h.LastFlags = last.Flags
	if h.ExpectedEvery != nil && (s.Schedule != nil || !IsUpload(last.Type)) {
		silence := max(3**h.ExpectedEvery, s.QuietAfterMinimum)
		if due := lastAt.Add(silence); now.After(due) {
			h.Status, h.OverdueSince = Quiet, &due
			return h
		}
	}
	switch {
	case IsFailed(last.Type) || last.Flags&NothingProcessed != 0:
		h.Status = Failing
	case last.Flags != 0 || last.Errors > 0:
		h.Status = Warning
	case len(runs) < MinRunsForStatus:
		h.Status = Unknown
	default:
		h.Status = Healthy
	}
	return h
}

// expectedEvery is the schedule when set, otherwise the median gap between the runs
// (newest first), nil with fewer than MinRunsForStatus runs.
func expectedEvery(runs []ProfileRun, schedule *time.Duration) *time.Duration {
	if schedule != nil {
		d := *schedule
		return &d
	}
	if len(runs) < MinRunsForStatus {
		return nil
	}
	gaps := make([]time.Duration, 0, len(runs)-1)
	for i := 1; i < len(runs); i++ {
		gaps = append(gaps, runs[i-1].DateFinished.Sub(runs[i].DateFinished))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	n := len(gaps)
	d := gaps[n/2]
	if n%2 == 0 {
		d = (gaps[n/2-1] + gaps[n/2]) / 2
	}
	return &d
}
