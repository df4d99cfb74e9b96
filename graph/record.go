package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// recordedPeopleSelected reports whether the recordEvents field being resolved selects
// its events' user or sync profile (through fragments too), so that the resolver can
// load them for the whole batch at once.
func recordedPeopleSelected(ctx context.Context) (users, profiles bool) {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return false, false
	}
	opCtx := graphql.GetOperationContext(ctx)
	payload := graphql.CollectFields(opCtx, graphql.GetFieldContext(ctx).Field.Selections, recordEventsPayloadImplementors)
	for _, f := range selectedUnder(opCtx, payload, "events", eventImplementors) {
		users = users || f.Name == "user"
		profiles = profiles || f.Name == "syncProfile"
	}
	return users, profiles
}
