package live

import (
	"context"
	"fmt"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/tenant"
)

// schoolBatch is the IDs of one school's events, in the order they were published.
type schoolBatch struct {
	schoolID int
	ids      []int
}

// bySchool groups events by school, keeping their order.
func bySchool(events []*ent.Event) []schoolBatch {
	var out []schoolBatch
	index := map[int]int{}
	for _, e := range events {
		i, ok := index[e.SchoolID]
		if !ok {
			i = len(out)
			index[e.SchoolID] = i
			out = append(out, schoolBatch{schoolID: e.SchoolID})
		}
		out[i].ids = append(out[i].ids, e.ID)
	}
	return out
}

// load reads a school's events by ID, in ID order, with the user and sync profile a
// subscription usually selects: one query per batch, however many subscribers share
// it, instead of one per subscriber when each resolves the edges itself. Every
// subscriber gets the same *ent.Event, which nothing may modify.
func load(ctx context.Context, client *ent.Client, dialectName string, schoolID int, ids []int) ([]*ent.Event, error) {
	events, err := report.LoadEvents(tenant.WithSchool(ctx, schoolID), client, dialectName, ids)
	if err != nil {
		return nil, fmt.Errorf("school %d: %w", schoolID, err)
	}
	return events, nil
}
