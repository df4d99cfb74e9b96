package alert

import "testing"

// TestAlertFor walks a profile through statuses: entering FAILING or QUIET alerts,
// a WARNING or UNKNOWN on the way back keeps the alert in mind, and HEALTHY after an
// alert sends one recovery, under the preference of the alert it ends.
func TestAlertFor(t *testing.T) {
	t.Parallel()
	var alerted *string
	for i, step := range []struct {
		status string
		email  bool
		pref   preference
	}{
		{"UNKNOWN", false, 0},
		{"HEALTHY", false, 0},
		{"WARNING", false, 0},
		{"FAILING", true, prefFailing},
		{"WARNING", false, 0},
		{"UNKNOWN", false, 0},
		{"HEALTHY", true, prefFailing},
		{"HEALTHY", false, 0},
		{"QUIET", true, prefQuiet},
		{"FAILING", true, prefFailing},
		{"QUIET", true, prefQuiet},
		{"HEALTHY", true, prefQuiet},
		{"WARNING", false, 0},
		{"HEALTHY", false, 0},
	} {
		pref, email, next := alertFor(step.status, alerted)
		if email != step.email || (email && pref != step.pref) {
			t.Fatalf("step %d (%s after alert %v): email %v pref %d, want %v %d", i, step.status, deref(alerted), email, pref, step.email, step.pref)
		}
		alerted = next
	}
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}
