package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
)

// recordedPeopleSelected reports whether the recordEvents field being resolved selects
// its events' user or sync profile (through fragments too), so that the resolver can
// load them for the whole batch at once.
func recordedPeopleSelected(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return false
	}
	opCtx := graphql.GetOperationContext(ctx)
	for _, payload := range graphql.CollectFields(opCtx, graphql.GetFieldContext(ctx).Field.Selections, recordEventsPayloadImplementors) {
		if payload.Name != "events" {
			continue
		}
		for _, f := range graphql.CollectFields(opCtx, payload.Selections, eventImplementors) {
			if f.Name == "user" || f.Name == "syncProfile" {
				return true
			}
		}
	}
	return false
}

// withPeople returns the recorded events again, in the same order, with their users and
// sync profiles, read with the loader the live feed uses (report.LoadEvents).
func withPeople(ctx context.Context, client *ent.Client, dialectName string, events []*ent.Event) ([]*ent.Event, error) {
	ids := make([]int, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	loaded, err := report.LoadEvents(ctx, client, dialectName, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int]*ent.Event, len(loaded))
	for _, e := range loaded {
		byID[e.ID] = e
	}
	out := make([]*ent.Event, len(events))
	for i, e := range events {
		if l, ok := byID[e.ID]; ok {
			out[i] = l
		} else {
			out[i] = e
		}
	}
	return out, nil
}
