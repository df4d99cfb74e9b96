//go:build ignore

// Command entc generates the ent client and the entgql GraphQL schema (graph/ent.graphqls).
// Run it through `go generate ./ent` (or `make generate`), which then runs gqlgen.
package main

import (
	"fmt"
	"log"
	"slices"
	"sort"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/ent/schema"
	"github.com/provreport/provreport/internal/eventtype"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(false),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(describeEventTypes, describeRelayTypes, describeFromTable, deprecateFromTable),
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

// describeRelayTypes replaces entgql's generic wording on the connection and edge types
// ("A connection to a list of items.") and on node IDs with text naming what they hold,
// so that a developer reading the schema knows which list a type pages through.
func describeRelayTypes(_ *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		if id := def.Fields.ForName("id"); id != nil && id.Description == "" && slices.Contains(def.Interfaces, "Node") {
			id.Description = fmt.Sprintf("The %s's global ID, which `node(id:)` fetches again.", lowerFirst(name))
		}
		var node, kind string
		switch {
		case strings.HasSuffix(name, "Connection"):
			node, kind = strings.TrimSuffix(name, "Connection"), "connection"
		case strings.HasSuffix(name, "Edge"):
			node, kind = strings.TrimSuffix(name, "Edge"), "edge"
		default:
			continue
		}
		if _, ok := s.Types[node]; !ok {
			continue
		}
		plural := lowerFirst(node) + "s"
		set := func(field, text string) {
			if f := def.Fields.ForName(field); f != nil {
				f.Description = text
			}
		}
		if kind == "connection" {
			def.Description = fmt.Sprintf("One page of %s, with what is needed to fetch the pages before and after it.", plural)
			set("edges", fmt.Sprintf("The %s of this page, in order, each with its cursor.", plural))
			set("pageInfo", "Whether there are pages before and after this one, and the cursors to fetch them.")
			set("totalCount", fmt.Sprintf("How many %s match in all, across every page.", plural))
		} else {
			def.Description = fmt.Sprintf("One %s of a page, with its cursor.", lowerFirst(node))
			set("node", fmt.Sprintf("The %s.", lowerFirst(node)))
			set("cursor", fmt.Sprintf("Pass as `after` to fetch the %s after this one, or as `before` for those before it.", plural))
		}
	}
	return nil
}

// describeFromTable applies schema.GraphQLDescriptions, failing on a key that names
// nothing so that the table is kept in step with the schema.
func describeFromTable(_ *gen.Graph, s *ast.Schema) error {
	for _, key := range sortedKeys(schema.GraphQLDescriptions) {
		text := schema.GraphQLDescriptions[key]
		typeName, member, _ := strings.Cut(key, ".")
		def, ok := s.Types[typeName]
		if !ok {
			return fmt.Errorf("GraphQLDescriptions: no type %s", typeName)
		}
		switch {
		case member == "":
			def.Description = text
		case def.Fields.ForName(member) != nil:
			def.Fields.ForName(member).Description = text
		case def.EnumValues.ForName(member) != nil:
			def.EnumValues.ForName(member).Description = text
		default:
			return fmt.Errorf("GraphQLDescriptions: %s has no field or value %s", typeName, member)
		}
	}
	return nil
}

// deprecateFromTable marks the fields of schema.GraphQLDeprecations @deprecated.
func deprecateFromTable(_ *gen.Graph, s *ast.Schema) error {
	for _, key := range sortedKeys(schema.GraphQLDeprecations) {
		typeName, fieldName, _ := strings.Cut(key, ".")
		def, ok := s.Types[typeName]
		if !ok || def.Fields.ForName(fieldName) == nil {
			return fmt.Errorf("GraphQLDeprecations: no field %s", key)
		}
		f := def.Fields.ForName(fieldName)
		f.Directives = append(f.Directives, &ast.Directive{
			Name: "deprecated",
			Arguments: ast.ArgumentList{{
				Name:  "reason",
				Value: &ast.Value{Kind: ast.StringValue, Raw: schema.GraphQLDeprecations[key]},
			}},
		})
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lowerFirst(s string) string {
	if s == "APIToken" {
		return "API token"
	}
	if s == "SyncProfile" {
		return "sync profile"
	}
	return strings.ToLower(s[:1]) + s[1:]
}
