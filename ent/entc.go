//go:build ignore

// Command entc generates the ent client and the entgql GraphQL schema (graph/ent.graphqls).
// Run it through `go generate ./ent` (or `make generate`), which then runs gqlgen.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/internal/eventtype"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(false),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(describeEventTypes),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureIntercept,
			gen.FeatureUpsert,
			gen.FeatureVersionedMigration,
			gen.FeatureGlobalID,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureModifier,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// describeEventTypes puts each event type's display name into the GraphQL enum, so the
// playground and generated clients show "User CSV Processed With Errors", not only the
// enum value.
func describeEventTypes(_ *gen.Graph, s *ast.Schema) error {
	enum, ok := s.Types["EventType"]
	if !ok {
		return nil
	}
	enum.Description = "The kind of a provisioning event. Each value's description starts with its display name."
	for _, v := range enum.EnumValues {
		v.Description = eventtype.DisplayName(v.Name) + ": " + eventtype.Description(v.Name)
	}
	return nil
}
