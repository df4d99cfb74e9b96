package ingest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/predicate"
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
	batches := make(map[int][]health.Run, len(byProfile))
	spans := make(map[int][2]time.Time, len(byProfile))
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
		batches[id], spans[id] = batch, [2]time.Time{first, last}
	}
	stored, err := storedHistory(ctx, c, spans)
	if err != nil {
		return nil, err
	}
	for id, ks := range byProfile {
		for j, f := range health.ComputeBatch(batches[id], stored[id], settings) {
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

// storedHistory reads, for each profile of a batch whose runs finish between first and
// last (spans), the stored runs that count towards a baseline: the last
// health.BaselineRuns up to first, and every one after it up to last. All profiles are
// read in one statement (health.UnionOfRuns), so a batch pays one round trip for its
// history however many profiles it names.
func storedHistory(ctx context.Context, c *ent.Client, spans map[int][2]time.Time) (map[int][]health.Stored, error) {
	counts := []predicate.Event{event.ProcessedGT(0), event.TypeNotIn(failedTypes()...)}
	var parts []health.RunsPart
	ids := make([]int, 0, len(spans))
	for id, span := range spans {
		ids = append(ids, id)
		first, last := span[0], span[1]
		parts = append(parts, health.RunsPart{ProfileID: id, Limit: health.BaselineRuns,
			Where: append(slices.Clip(counts), event.DateFinishedLTE(first))})
		if last.After(first) {
			parts = append(parts, health.RunsPart{ProfileID: id,
				Where: append(slices.Clip(counts), event.DateFinishedGT(first), event.DateFinishedLTE(last))})
		}
	}
	var rows []historyRow
	err := c.Event.Query().Where(event.SyncProfileIDIn(ids...)).
		Modify(health.UnionOfRuns(historyFields, parts)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("record events: read the history of %d sync profiles: %w", len(ids), err)
	}
	out := make(map[int][]health.Stored, len(spans))
	for _, r := range rows {
		out[r.ProfileID] = append(out[r.ProfileID], health.Stored{ID: r.ID, Run: health.Run{Type: r.Type,
			DateFinished: r.DateFinished, Processed: r.Processed, Updated: r.Updated, Deleted: r.Deleted,
			Disabled: r.Disabled, Errors: r.Errors}})
	}
	return out, nil
}

// historyRow is a row of storedHistory's query: historyFields.
type historyRow struct {
	ID           int       `sql:"id"`
	SchoolID     int       `sql:"school_id"`
	ProfileID    int       `sql:"sync_profile_id"`
	Type         string    `sql:"type"`
	DateFinished time.Time `sql:"date_finished"`
	Processed    int       `sql:"processed"`
	Updated      int       `sql:"updated"`
	Deleted      int       `sql:"deleted"`
	Disabled     int       `sql:"disabled"`
	Errors       int       `sql:"errors"`
}

// historyFields are the columns the flag rules read of a stored run, with its school and
// profile, which the query's own predicates read.
var historyFields = []string{event.FieldID, event.FieldSchoolID, event.FieldSyncProfileID, event.FieldType,
	event.FieldDateFinished, event.FieldProcessed, event.FieldUpdated, event.FieldDeleted, event.FieldDisabled,
	event.FieldErrors}

func failedTypes() []event.Type {
	var out []event.Type
	for _, t := range health.FailedTypes() {
		out = append(out, event.Type(t))
	}
	return out
}
