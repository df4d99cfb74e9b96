package graph

import (
	"bytes"
	"maps"
	"slices"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// serverOnlyDirectives tell gqlgen how to generate Go code; clients have no use for
// them, so they are neither declared nor applied in the published schema.
var serverOnlyDirectives = []string{"goField", "goModel", "goTag", "goExtraField", "goEnum"}

// specifiedBy are the specifications of the custom scalars, for @specifiedBy.
var specifiedBy = map[string]string{
	// RFC 3339 date-times, written with a UTC offset and optional fractional seconds.
	"Time": "https://scalars.graphql.org/andimarek/date-time",
	// An opaque Relay cursor: clients pass back what a page gave them.
	"Cursor": "https://relay.dev/graphql/connections.htm#sec-Cursor",
}

var published = sync.OnceValue(func() *ast.Schema {
	return publish(NewExecutableSchema(Config{}).Schema())
})

// PublishedSchema is the schema as clients see it, through introspection and in
// `provreport schema`: the schema files' types without the code generator's directives,
// and with @specifiedBy on the custom scalars. The server executes against it.
func PublishedSchema() *ast.Schema { return published() }

// publish returns a copy of s for clients; s itself is left as it is.
func publish(s *ast.Schema) *ast.Schema {
	out := *s
	out.Directives = maps.Clone(s.Directives)
	for _, name := range serverOnlyDirectives {
		delete(out.Directives, name)
	}
	out.Types = make(map[string]*ast.Definition, len(s.Types))
	for name, def := range s.Types {
		d := *def
		d.Directives = clientDirectives(def.Directives)
		if url, ok := specifiedBy[name]; ok && d.Kind == ast.Scalar && d.Directives.ForName("specifiedBy") == nil {
			d.Directives = append(slices.Clone(d.Directives), &ast.Directive{
				Name: "specifiedBy", Location: ast.LocationScalar, Definition: s.Directives["specifiedBy"],
				Arguments: ast.ArgumentList{{Name: "url", Value: &ast.Value{Kind: ast.StringValue, Raw: url}}},
			})
		}
		if len(def.Fields) > 0 {
			d.Fields = make(ast.FieldList, len(def.Fields))
			for i, f := range def.Fields {
				fc := *f
				fc.Directives = clientDirectives(f.Directives)
				d.Fields[i] = &fc
			}
		}
		out.Types[name] = &d
	}
	repoint := func(defs []*ast.Definition) []*ast.Definition {
		res := make([]*ast.Definition, len(defs))
		for i, d := range defs {
			res[i] = out.Types[d.Name]
		}
		return res
	}
	out.PossibleTypes = make(map[string][]*ast.Definition, len(s.PossibleTypes))
	for name, defs := range s.PossibleTypes {
		out.PossibleTypes[name] = repoint(defs)
	}
	out.Implements = make(map[string][]*ast.Definition, len(s.Implements))
	for name, defs := range s.Implements {
		out.Implements[name] = repoint(defs)
	}
	for _, root := range []**ast.Definition{&out.Query, &out.Mutation, &out.Subscription} {
		if *root != nil {
			*root = out.Types[(*root).Name]
		}
	}
	return &out
}

func clientDirectives(list ast.DirectiveList) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range list {
		if !slices.Contains(serverOnlyDirectives, d.Name) {
			out = append(out, d)
		}
	}
	return out
}

// SDL is the published schema in the GraphQL schema language, as `provreport schema`
// prints it and docs/schema.graphql holds it.
func SDL() []byte {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(PublishedSchema())
	return b.Bytes()
}
