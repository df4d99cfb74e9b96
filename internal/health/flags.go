// Package health judges sync runs against their profile's own history: the flags a
// run gets when it is recorded (a mass delete, a run that processed nothing, …) are
// decided here, once, for every recording path and for the backfill of stored events.
package health

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/provreport/provreport/internal/eventtype"
)

// Flags is a set of Flag values, stored as a bitmask so that both databases can filter
// on it with a plain integer comparison (flags <> 0 is "flagged").
type Flags int

// Flag is one thing that went wrong with a run.
type Flag = Flags

// The flags, one bit each. The bit values are stored: never renumber them.
const (
	// NothingProcessed: a sync, a provisioning script or a processed CSV upload that
	// processed no record at all, which usually means it could not reach its source.
	NothingProcessed Flag = 1 << iota
	// ProcessedDrop: far fewer records processed than the profile's baseline.
	ProcessedDrop
	// MassDelete: more records deleted than the school's share of the baseline allows.
	MassDelete
	// MassDisable: more records disabled than the school's share of the baseline allows.
	MassDisable
	// MassUpdate: more records updated than the school's share of the baseline allows.
	MassUpdate
	// ErrorSpike: several times the profile's usual number of errors.
	ErrorSpike
)

// all lists every flag in display order with its stored name (the GraphQL enum value).
var all = []struct {
	flag Flag
	name string
}{
	{NothingProcessed, "NOTHING_PROCESSED"},
	{ProcessedDrop, "PROCESSED_DROP"},
	{MassDelete, "MASS_DELETE"},
	{MassDisable, "MASS_DISABLE"},
	{MassUpdate, "MASS_UPDATE"},
	{ErrorSpike, "ERROR_SPIKE"},
}

// Names returns the names of the flags in f, in display order.
func (f Flags) Names() []string {
	out := []string{}
	for _, a := range all {
		if f&a.flag != 0 {
			out = append(out, a.name)
		}
	}
	return out
}

// String lists the flags' names separated by commas.
func (f Flags) String() string { return strings.Join(f.Names(), ",") }

// Has reports whether f contains every flag in g.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Settings are a school's thresholds, in percent of the baseline.
type Settings struct {
	DeletePercent        int
	DisablePercent       int
	UpdatePercent        int
	ProcessedDropPercent int
	// QuietAfterMinimum is the shortest silence that makes a profile QUIET.
	QuietAfterMinimum time.Duration
}

// DefaultSettings are the thresholds of a school whose admins changed none: those of
// the sync products schools already know (hold a sync that deletes more than a tenth
// of the records or updates more than three quarters of them).
func DefaultSettings() Settings {
	return Settings{DeletePercent: 10, DisablePercent: 10, UpdatePercent: 75, ProcessedDropPercent: 50, QuietAfterMinimum: DefaultQuietAfterMinimum}
}

// BaselineRuns is how many earlier runs the baseline is the median of, and MinBaseline
// how many it needs at least; with fewer, only NothingProcessed can be raised.
const (
	BaselineRuns = 10
	MinBaseline  = 3
)

// Run is what the rules read of one event.
type Run struct {
	Type         string
	DateFinished time.Time
	Processed    int
	Updated      int
	Deleted      int
	Disabled     int
	Errors       int
}

// IsRun reports whether an event of type t is a run of a sync profile (every type but
// the logins).
func IsRun(t string) bool { return !eventtype.IsAuth(t) }

// IsFailed reports whether an event of type t is a run that failed outright.
func IsFailed(t string) bool {
	return t == eventtype.SyncError || t == eventtype.UserCSVFailed || t == eventtype.GroupCSVFailed
}

// Counts reports whether a run can be part of a baseline: it processed something and
// did not fail outright.
func Counts(r Run) bool { return r.Processed > 0 && !IsFailed(r.Type) }

// expectsWork lists the run types that must process something to have done their job.
func expectsWork(t string) bool {
	switch t {
	case eventtype.AccountSynchronization, eventtype.AccountProvisioning,
		eventtype.UserCSVProcessed, eventtype.GroupsCSVProcessed:
		return true
	}
	return false
}

// Compute returns the flags of run given baseline, the runs of its profile that count
// (see Counts) and came before it, oldest first; only the last BaselineRuns of them
// are read.
func Compute(run Run, baseline []Run, s Settings) Flags {
	var f Flags
	if !IsRun(run.Type) {
		return 0
	}
	if expectsWork(run.Type) && run.Processed == 0 {
		f |= NothingProcessed
	}
	if len(baseline) > BaselineRuns {
		baseline = baseline[len(baseline)-BaselineRuns:]
	}
	if len(baseline) < MinBaseline {
		return f
	}
	// Medians are kept doubled so that the median of an even number of runs, halfway
	// between two counts, stays an integer and every comparison is exact.
	processed := make([]int64, len(baseline))
	errs := make([]int64, len(baseline))
	for i, b := range baseline {
		processed[i], errs[i] = int64(b.Processed), int64(b.Errors)
	}
	base2, errs2 := median2(processed), median2(errs)
	if errs2 == 0 {
		errs2 = 2 // a median of no errors counts as one
	}
	p := int64(run.Processed)
	if p > 0 && 200*p < base2*int64(100-s.ProcessedDropPercent) {
		f |= ProcessedDrop
	}
	mass := func(n, percent int) bool {
		return n >= 5 && 200*int64(n) > base2*int64(percent)
	}
	if mass(run.Deleted, s.DeletePercent) {
		f |= MassDelete
	}
	if mass(run.Disabled, s.DisablePercent) {
		f |= MassDisable
	}
	if mass(run.Updated, s.UpdatePercent) {
		f |= MassUpdate
	}
	if run.Errors >= 5 && 2*int64(run.Errors) > 3*errs2 {
		f |= ErrorSpike
	}
	return f
}

// median2 returns twice the median of v (which it sorts).
func median2(v []int64) int64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return 2 * v[n/2]
	}
	return v[n/2-1] + v[n/2]
}

// Stored is a run already in the database: its ID orders runs that finished at the
// same instant, as they were recorded.
type Stored struct {
	Run
	ID int
}

// ComputeBatch returns the flags of each run in batch, all of one profile and about to
// be recorded in this order, against stored (the profile's stored runs that count and
// finished no later than the batch's latest run; any order) and the batch's own runs.
// A run's history is every run before it by (dateFinished, recording order): stored
// runs that finished at the same instant come first, then the batch in its order, so
// the answer is the one a backfill over (date_finished, id) gives.
func ComputeBatch(batch []Run, stored []Stored, s Settings) []Flags {
	type entry struct {
		run    Run
		stored bool
		ord    int
	}
	less := func(a, b entry) bool {
		if !a.run.DateFinished.Equal(b.run.DateFinished) {
			return a.run.DateFinished.Before(b.run.DateFinished)
		}
		if a.stored != b.stored {
			return a.stored
		}
		return a.ord < b.ord
	}
	hist := make([]entry, 0, len(stored)+len(batch))
	for _, r := range stored {
		if Counts(r.Run) {
			hist = append(hist, entry{r.Run, true, r.ID})
		}
	}
	for i, r := range batch {
		if Counts(r) {
			hist = append(hist, entry{r, false, i})
		}
	}
	sort.Slice(hist, func(i, j int) bool { return less(hist[i], hist[j]) })
	out := make([]Flags, len(batch))
	window := make([]Run, 0, BaselineRuns)
	for i, r := range batch {
		at := sort.Search(len(hist), func(k int) bool { return !less(hist[k], entry{r, false, i}) })
		window = window[:0]
		for _, h := range hist[max(0, at-BaselineRuns):at] {
			window = append(window, h.run)
		}
		out[i] = Compute(r, window, s)
	}
	return out
}

// FailedTypes lists the run types that failed outright, which never count towards a
// baseline.
func FailedTypes() []string {
	return []string{eventtype.SyncError, eventtype.UserCSVFailed, eventtype.GroupCSVFailed}
}
