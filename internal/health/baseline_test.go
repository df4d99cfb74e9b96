package health

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBaselineOf reads the same window and medians Compute does: none below MinBaseline
// runs, the last BaselineRuns only, and a half for an even number of runs.
func TestBaselineOf(t *testing.T) {
	t.Parallel()
	runs := func(processed ...int) []Run {
		out := make([]Run, len(processed))
		for i, p := range processed {
			out[i] = Run{Type: "ACCOUNT_SYNCHRONIZATION", Processed: p, Errors: i % 2}
		}
		return out
	}
	_, ok := BaselineOf(runs(100, 200))
	require.False(t, ok)

	b, ok := BaselineOf(runs(100, 200, 300))
	require.True(t, ok)
	require.Equal(t, Baseline{Runs: 3, Processed: 200, Errors: 0}, b)

	b, ok = BaselineOf(runs(100, 201, 300, 400))
	require.True(t, ok)
	require.Equal(t, Baseline{Runs: 4, Processed: 250.5, Errors: 0.5}, b)

	// Twelve runs: the two oldest (1 and 2) fall out of the window of ten.
	b, ok = BaselineOf(runs(1, 2, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100))
	require.True(t, ok)
	require.Equal(t, 10, b.Runs)
	require.InDelta(t, 55, b.Processed, 0)
}
