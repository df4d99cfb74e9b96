package health

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
)

// Baseline is what Compute compares a run with: the medians of the earlier runs of its
// profile that count (see Counts).
type Baseline struct {
	// Runs is how many runs the medians are of.
	Runs int
	// Processed is the median records processed.
	Processed float64
	// Errors is the median errors, before Compute counts a median of 0 as 1.
	Errors float64
}

// BaselineOf returns the baseline Compute would read from runs (the profile's runs that
// count and came before the run, oldest first; only the last BaselineRuns are read), and
// false when there are fewer than MinBaseline of them, so that no baseline applies.
func BaselineOf(runs []Run) (Baseline, bool) {
	if len(runs) > BaselineRuns {
		runs = runs[len(runs)-BaselineRuns:]
	}
	if len(runs) < MinBaseline {
		return Baseline{}, false
	}
	processed := make([]int64, len(runs))
	errs := make([]int64, len(runs))
	for i, r := range runs {
		processed[i], errs[i] = int64(r.Processed), int64(r.Errors)
	}
	return Baseline{Runs: len(runs), Processed: float64(median2(processed)) / 2, Errors: float64(median2(errs)) / 2}, true
}

// EventBaseline reads the baseline the run e was measured against: the latest
// BaselineRuns runs of its profile that count and come before it in the order the rule
// reads history, (date finished, id), through the index on (profile, date finished). It
// returns false when e has no profile or too few such runs.
func EventBaseline(ctx context.Context, client *ent.Client, e *ent.Event) (Baseline, bool, error) {
	if e.SyncProfileID == nil {
		return Baseline{}, false, nil
	}
	failed := FailedTypes()
	types := make([]event.Type, len(failed))
	for i, n := range failed {
		types[i] = event.Type(n)
	}
	evs, err := client.Event.Query().
		Where(event.SyncProfileID(*e.SyncProfileID),
			event.Or(event.DateFinishedLT(e.DateFinished),
				event.And(event.DateFinished(e.DateFinished), event.IDLT(e.ID))),
			event.ProcessedGT(0),
			event.TypeNotIn(types...)).
		Order(event.ByDateFinished(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())).
		Limit(BaselineRuns).
		Select(event.FieldType, event.FieldProcessed, event.FieldErrors).
		All(ctx)
	if err != nil {
		return Baseline{}, false, fmt.Errorf("read baseline of event %d: %w", e.ID, err)
	}
	runs := make([]Run, len(evs))
	for i, b := range evs {
		// Oldest first, as a history is read.
		runs[len(evs)-1-i] = Run{Type: string(b.Type), Processed: b.Processed, Errors: b.Errors}
	}
	b, ok := BaselineOf(runs)
	return b, ok, nil
}
