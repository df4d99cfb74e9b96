package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// recordedPeopleSelected reports whether the recordEvents field being resolved selects
// its events' user or sync profile (through fragments too), so that the resolver can
// load them for the whole batch at once.
func recordedPeopleSelected(ctx context.Context) (users, profiles bool) {
	oc := graphql.GetOperationContext(ctx)
	fc := graphql.GetFieldContext(ctx)
	if oc == nil || fc == nil {
		return false, false
	}
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"RecordEventsPayload"}) {
		if f.Name != "events" {
			continue
		}
		for _, g := range graphql.CollectFields(oc, f.Selections, []string{"Event", "Node"}) {
			users = users || g.Name == "user"
			profiles = profiles || g.Name == "syncProfile"
		}
	}
	return users, profiles
}
