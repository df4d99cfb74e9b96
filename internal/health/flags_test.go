package health

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/eventtype"
)

// base returns n baseline runs that processed processed records with errs errors each.
func base(n, processed, errs int) []Run {
	out := make([]Run, n)
	for i := range out {
		out[i] = Run{Type: eventtype.AccountSynchronization, Processed: processed, Errors: errs}
	}
	return out
}

func TestComputeBoundaries(t *testing.T) {
	t.Parallel()
	sync := eventtype.AccountSynchronization
	s := DefaultSettings()
	cases := []struct {
		name     string
		run      Run
		baseline []Run
		want     Flags
	}{
		{"nothing processed at 0", Run{Type: sync}, nil, NothingProcessed},
		{"something processed at 1", Run{Type: sync, Processed: 1}, nil, 0},
		{"a failed sync processing nothing is not also flagged", Run{Type: eventtype.SyncError}, nil, 0},
		{"a CSV with errors processing nothing is not flagged", Run{Type: eventtype.UserCSVProcessedWithErrors}, nil, 0},
		{"a processed user CSV processing nothing", Run{Type: eventtype.UserCSVProcessed}, nil, NothingProcessed},
		{"a login is never a run", Run{Type: eventtype.Authentication}, nil, 0},

		{"drop one below half", Run{Type: sync, Processed: 499}, base(3, 1000, 0), ProcessedDrop},
		{"drop at half", Run{Type: sync, Processed: 500}, base(3, 1000, 0), 0},
		{"drop one above half", Run{Type: sync, Processed: 501}, base(3, 1000, 0), 0},
		{"no drop flag without a baseline of three", Run{Type: sync, Processed: 1}, base(2, 1000, 0), 0},
		{"a baseline of three is enough", Run{Type: sync, Processed: 1}, base(3, 1000, 0), ProcessedDrop},

		{"deletes one below the share", Run{Type: sync, Processed: 1000, Deleted: 99}, base(3, 1000, 0), 0},
		{"deletes at the share", Run{Type: sync, Processed: 1000, Deleted: 100}, base(3, 1000, 0), 0},
		{"deletes one above the share", Run{Type: sync, Processed: 1000, Deleted: 101}, base(3, 1000, 0), MassDelete},
		{"four deletes are never mass", Run{Type: sync, Processed: 20, Deleted: 4}, base(3, 20, 0), 0},
		{"five deletes above the share", Run{Type: sync, Processed: 20, Deleted: 5}, base(3, 20, 0), MassDelete},
		{"six deletes above the share", Run{Type: sync, Processed: 20, Deleted: 6}, base(3, 20, 0), MassDelete},

		{"disables one below the share", Run{Type: sync, Processed: 1000, Disabled: 99}, base(3, 1000, 0), 0},
		{"disables at the share", Run{Type: sync, Processed: 1000, Disabled: 100}, base(3, 1000, 0), 0},
		{"disables one above the share", Run{Type: sync, Processed: 1000, Disabled: 101}, base(3, 1000, 0), MassDisable},
		{"four disables are never mass", Run{Type: sync, Processed: 20, Disabled: 4}, base(3, 20, 0), 0},
		{"five disables above the share", Run{Type: sync, Processed: 20, Disabled: 5}, base(3, 20, 0), MassDisable},

		{"updates one below the share", Run{Type: sync, Processed: 1000, Updated: 749}, base(3, 1000, 0), 0},
		{"updates at the share", Run{Type: sync, Processed: 1000, Updated: 750}, base(3, 1000, 0), 0},
		{"updates one above the share", Run{Type: sync, Processed: 1000, Updated: 751}, base(3, 1000, 0), MassUpdate},
		{"four updates are never mass", Run{Type: sync, Processed: 4, Updated: 4}, base(3, 4, 0), 0},
		{"five updates above the share", Run{Type: sync, Processed: 5, Updated: 5}, base(3, 4, 0), MassUpdate},

		{"four errors are never a spike", Run{Type: sync, Processed: 1000, Errors: 4}, base(3, 1000, 0), 0},
		{"five errors over no usual errors", Run{Type: sync, Processed: 1000, Errors: 5}, base(3, 1000, 0), ErrorSpike},
		{"errors one below three times the median", Run{Type: sync, Processed: 1000, Errors: 5}, base(3, 1000, 2), 0},
		{"errors at three times the median", Run{Type: sync, Processed: 1000, Errors: 6}, base(3, 1000, 2), 0},
		{"errors one above three times the median", Run{Type: sync, Processed: 1000, Errors: 7}, base(3, 1000, 2), ErrorSpike},
		{"a median of one error is not raised to more", Run{Type: sync, Processed: 1000, Errors: 4}, base(3, 1000, 1), 0},

		{"several flags at once", Run{Type: sync, Processed: 400, Deleted: 400, Errors: 9}, base(3, 1000, 0),
			ProcessedDrop | MassDelete | ErrorSpike},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want.String(), Compute(c.run, c.baseline, s).String())
		})
	}
}

func TestComputeEvenMedianAndWindow(t *testing.T) {
	t.Parallel()
	sync := eventtype.AccountSynchronization
	s := DefaultSettings()
	// The median of 1000, 1000, 1001 and 1001 is 1000.5, so half of it is 500.25.
	even := []Run{{Type: sync, Processed: 1000}, {Type: sync, Processed: 1001}, {Type: sync, Processed: 1000}, {Type: sync, Processed: 1001}}
	require.Equal(t, ProcessedDrop, Compute(Run{Type: sync, Processed: 500}, even, s))
	require.Equal(t, Flags(0), Compute(Run{Type: sync, Processed: 501}, even, s))

	// Only the last ten runs count: ten runs of 100 after many of 10,000.
	long := append(base(20, 10_000, 0), base(10, 100, 0)...)
	require.Equal(t, Flags(0), Compute(Run{Type: sync, Processed: 60}, long, s))
	require.Equal(t, ProcessedDrop, Compute(Run{Type: sync, Processed: 49}, long, s))

	// The school's own thresholds are used.
	strict := s
	strict.DeletePercent = 1
	require.Equal(t, MassDelete, Compute(Run{Type: sync, Processed: 1000, Deleted: 11}, base(3, 1000, 0), strict))
	require.Equal(t, Flags(0), Compute(Run{Type: sync, Processed: 1000, Deleted: 11}, base(3, 1000, 0), s))
}

func TestComputeBatchHistory(t *testing.T) {
	t.Parallel()
	sync := eventtype.AccountSynchronization
	s := DefaultSettings()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 3, 0, 0, 0, time.UTC) }
	stored := []Stored{
		{Run{Type: sync, DateFinished: day(1), Processed: 1000}, 1},
		{Run{Type: sync, DateFinished: day(2), Processed: 1000}, 2},
		// A failed run and a run that processed nothing never count.
		{Run{Type: eventtype.SyncError, DateFinished: day(3), Processed: 5}, 3},
		{Run{Type: sync, DateFinished: day(4)}, 4},
	}
	batch := []Run{
		// The two stored runs and the batch's last run, which finished before it
		// although it comes later in the batch: 1, 1000, 1000 → 1000.
		{Type: sync, DateFinished: day(5), Processed: 10},
		// 1, 10, 1000, 1000 → 505.
		{Type: sync, DateFinished: day(6), Processed: 1000},
		// 1, 10, 1000, 1000, 1000 → 1000.
		{Type: sync, DateFinished: day(7), Processed: 1000, Deleted: 200},
		// Out of order: only the two stored runs finished before it, no baseline yet.
		{Type: sync, DateFinished: day(3), Processed: 1, Deleted: 500},
	}
	got := ComputeBatch(batch, stored, s)
	require.Equal(t, []Flags{ProcessedDrop, 0, MassDelete, 0}, got)

	// Runs finished at the same instant: stored ones first, then the batch in order.
	same := []Stored{
		{Run{Type: sync, DateFinished: day(1), Processed: 1000}, 1},
		{Run{Type: sync, DateFinished: day(1), Processed: 1000}, 2},
	}
	tied := []Run{{Type: sync, DateFinished: day(1), Processed: 1000}, {Type: sync, DateFinished: day(1), Processed: 10}}
	require.Equal(t, []Flags{0, ProcessedDrop}, ComputeBatch(tied, same, s))
}
