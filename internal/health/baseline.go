package health

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
