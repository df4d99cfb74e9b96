package command

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve collects at its memory budget by default, at 400% growth with a
// budget of 0, and leaves the collector alone when GOGC or GOMEMLIMIT is set.
func TestTuneGC(t *testing.T) {
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	reset := func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	read := func() (int, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	reset()
	tuneGC(defaultMemoryMB)
	p, l := read()
	if p != -1 || l != defaultMemoryMB<<20 {
		t.Fatalf("default: GOGC %d, limit %d; want off and %d", p, l, int64(defaultMemoryMB)<<20)
	}

	reset()
	tuneGC(0)
	if p, l := read(); p != serveGCPercent || l != math.MaxInt64 {
		t.Fatalf("no budget: GOGC %d, limit %d; want %d and none", p, l, serveGCPercent)
	}

	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Setenv(env, "200")
		reset()
		tuneGC(defaultMemoryMB)
		if p, l := read(); p != 100 || l != math.MaxInt64 {
			t.Fatalf("%s set: GOGC %d, limit %d; want both untouched", env, p, l)
		}
		t.Setenv(env, "")
	}
}
