package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// run is a sync run of profile finishing day days after t0.
func run(profile string, day, processed int) *ingest.Input {
	at := t0.Add(time.Duration(day) * 24 * time.Hour)
	return &ingest.Input{Type: event.TypeACCOUNT_SYNCHRONIZATION, DateStarted: at.Add(-time.Minute), DateFinished: at,
		SyncProfile: ptr(profile), Processed: ptr(processed), Errors: ptr(2)}
}

// TestRecordFlags records every flag rule's boundary (one below, at and one above the
// default threshold, against three earlier runs that processed 1,000 with 2 errors
// each) through recordEvents' path, with the history stored by an earlier batch, and
// through the bulk path (COPY on PostgreSQL), with the history in the same batch; the
// flags answered are the flags stored.
func TestRecordFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*ingest.Input)
		want health.Flags
	}{
		{"processed one below half", func(e *ingest.Input) { e.Processed = ptr(499) }, health.ProcessedDrop},
		{"processed at half", func(e *ingest.Input) { e.Processed = ptr(500) }, 0},
		{"processed one above half", func(e *ingest.Input) { e.Processed = ptr(501) }, 0},
		{"processed nothing", func(e *ingest.Input) { e.Processed = ptr(0) }, health.NothingProcessed},
		{"deleted one below a tenth", func(e *ingest.Input) { e.Deleted = ptr(99) }, 0},
		{"deleted a tenth", func(e *ingest.Input) { e.Deleted = ptr(100) }, 0},
		{"deleted one above a tenth", func(e *ingest.Input) { e.Deleted = ptr(101) }, health.MassDelete},
		{"disabled one below a tenth", func(e *ingest.Input) { e.Disabled = ptr(99) }, 0},
		{"disabled a tenth", func(e *ingest.Input) { e.Disabled = ptr(100) }, 0},
		{"disabled one above a tenth", func(e *ingest.Input) { e.Disabled = ptr(101) }, health.MassDisable},
		{"updated one below three quarters", func(e *ingest.Input) { e.Updated = ptr(749) }, 0},
		{"updated three quarters", func(e *ingest.Input) { e.Updated = ptr(750) }, 0},
		{"updated one above three quarters", func(e *ingest.Input) { e.Updated = ptr(751) }, health.MassUpdate},
		{"errors one below three times the usual", func(e *ingest.Input) { e.Errors = ptr(5) }, 0},
		{"errors three times the usual", func(e *ingest.Input) { e.Errors = ptr(6) }, 0},
		{"errors one above three times the usual", func(e *ingest.Input) { e.Errors = ptr(7) }, health.ErrorSpike},
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		for i, c := range cases {
			for _, bulk := range []bool{false, true} {
				profile := fmt.Sprintf("case %d bulk %v", i, bulk)
				history := []*ingest.Input{run(profile, 1, 1000), run(profile, 2, 1000), run(profile, 3, 1000)}
				e := run(profile, 4, 1000)
				c.edit(e)
				var got []int
				if bulk {
					out, _, err := b.rec.RecordBulk(b.ctx, append(history, e))
					require.NoError(t, err)
					for _, ev := range out {
						got = append(got, ev.Flags)
					}
				} else {
					out, err := b.rec.Record(b.ctx, history)
					require.NoError(t, err)
					for _, ev := range out {
						got = append(got, ev.Flags)
					}
					out, err = b.rec.Record(b.ctx, []*ingest.Input{e})
					require.NoError(t, err)
					got = append(got, out[0].Flags)
				}
				require.Equal(t, []int{0, 0, 0, int(c.want)}, got, "%s (bulk %v): answered", c.name, bulk)
				stored, err := db.Client.Event.Query().Where(event.HasSyncProfileWith(syncprofile.Name(profile))).
					Order(ent.Asc(event.FieldDateFinished)).All(b.ctx)
				require.NoError(t, err)
				var kept []int
				for _, ev := range stored {
					kept = append(kept, ev.Flags)
				}
				require.Equal(t, got, kept, "%s (bulk %v): stored", c.name, bulk)
			}
		}
	})
}

// TestRecordFlagsOutOfOrder records a run that finished before runs already stored: it
// is judged against the runs before it in time only, and the later runs keep the flags
// they were recorded with.
func TestRecordFlagsOutOfOrder(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		p := "Late"
		// Day 10 has two runs before it when recorded: no baseline, no flag.
		_, err := b.rec.Record(b.ctx, []*ingest.Input{run(p, 1, 1000), run(p, 2, 1000), run(p, 10, 400)})
		require.NoError(t, err)
		// Day 5, between them: three runs before it (one of them a drop of its own) …
		out, err := b.rec.Record(b.ctx, []*ingest.Input{run(p, 3, 1000), run(p, 5, 100)})
		require.NoError(t, err)
		require.Equal(t, []int{0, int(health.ProcessedDrop)}, []int{out[0].Flags, out[1].Flags})
		stored, err := db.Client.Event.Query().Where(event.HasSyncProfileWith(syncprofile.Name(p))).
			Order(ent.Asc(event.FieldDateFinished)).All(b.ctx)
		require.NoError(t, err)
		var flags []int
		for _, ev := range stored {
			flags = append(flags, ev.Flags)
		}
		// … and day 10, a drop against the baseline it has now, is not recomputed.
		require.Equal(t, []int{0, 0, 0, int(health.ProcessedDrop), 0}, flags)
	})
}
