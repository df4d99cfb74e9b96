package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/health"
)

// runFlags decides the flags of the inputs at slots, k-th entry for the k-th slot,
// against their profiles' stored runs and the batch's own (health.ComputeBatch).
// profileID gives the ID of a named profile; c must see the batch's transaction.
func runFlags(ctx context.Context, c *ent.Client, in []*Input, slots []int, profileID func(string) int) ([]int, error) {
	out := make([]int, len(slots))
	byProfile := map[int][]int{} // profile ID → positions in slots, in slot order
	for k, i := range slots {
		if !empty(in[i].SyncProfile) && health.IsRun(string(in[i].Type)) {
			id := profileID(*in[i].SyncProfile)
			byProfile[id] = append(byProfile[id], k)
		}
	}
	if len(byProfile) == 0 {
		return out, nil
	}
	sc, err := c.School.Query().Select(school.FieldHealthDeletePercent, school.FieldHealthDisablePercent,
		school.FieldHealthUpdatePercent, school.FieldHealthProcessedDropPercent).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("record events: read the school's health settings: %w", err)
	}
	settings := health.SettingsOf(sc)
	for id, ks := range byProfile {
		batch := make([]health.Run, len(ks))
		var first, last time.Time
		for j, k := range ks {
			batch[j] = runOf(in[slots[k]])
			if t := batch[j].DateFinished; j == 0 || t.Before(first) {
				first = t
			}
			if t := batch[j].DateFinished; j == 0 || t.After(last) {
				last = t
			}
		}
		stored, err := storedHistory(ctx, c, id, first, last)
		if err != nil {
			return nil, err
		}
		for j, f := range health.ComputeBatch(batch, stored, settings) {
			out[ks[j]] = int(f)
		}
	}
	return out, nil
}

// runOf is what the flag rules read of an input, with the times stored.
func runOf(e *Input) health.Run {
	return health.Run{
		Type:         string(e.Type),
		DateFinished: e.DateFinished.UTC().Truncate(time.Microsecond),
		Processed:    deref(e.Processed),
		Updated:      deref(e.Updated),
		Deleted:      deref(e.Deleted),
		Disabled:     deref(e.Disabled),
		Errors:       deref(e.Errors),
	}
}

// storedHistory reads the profile's stored runs that count towards a baseline for a
// batch finishing between first and last: the last health.BaselineRuns up to first,
// and every one after it up to last.
func storedHistory(ctx context.Context, c *ent.Client, profileID int, first, last time.Time) ([]health.Stored, error) {
	counts := c.Event.Query().Where(event.SyncProfileID(profileID), event.ProcessedGT(0),
		event.TypeNotIn(failedTypes()...))
	before, err := counts.Clone().Where(event.DateFinishedLTE(first)).
		Order(ent.Desc(event.FieldDateFinished), ent.Desc(event.FieldID)).Limit(health.BaselineRuns).
		Select(historyFields...).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("record events: read the history of sync profile %d: %w", profileID, err)
	}
	var during []*ent.Event
	if last.After(first) {
		during, err = counts.Clone().Where(event.DateFinishedGT(first), event.DateFinishedLTE(last)).
			Select(historyFields...).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("record events: read the history of sync profile %d: %w", profileID, err)
		}
	}
	out := make([]health.Stored, 0, len(before)+len(during))
	for _, ev := range append(before, during...) {
		out = append(out, Stored(ev))
	}
	return out, nil
}

// historyFields are the columns the flag rules read of a stored run.
var historyFields = []string{event.FieldID, event.FieldType, event.FieldDateFinished, event.FieldProcessed,
	event.FieldUpdated, event.FieldDeleted, event.FieldDisabled, event.FieldErrors}

// Stored is what the flag rules read of a stored event.
func Stored(ev *ent.Event) health.Stored {
	return health.Stored{ID: ev.ID, Run: health.Run{Type: string(ev.Type), DateFinished: ev.DateFinished,
		Processed: ev.Processed, Updated: ev.Updated, Deleted: ev.Deleted, Disabled: ev.Disabled, Errors: ev.Errors}}
}

func failedTypes() []event.Type {
	var out []event.Type
	for _, t := range health.FailedTypes() {
		out = append(out, event.Type(t))
	}
	return out
}
