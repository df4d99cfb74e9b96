package graph

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

// builtinScalars come with every GraphQL server and are described by the specification.
var builtinScalars = []string{"Boolean", "Float", "ID", "Int", "String"}

// boilerplate matches what code generators write when nobody wrote a description, and
// words of documents a third-party developer has never seen.
var boilerplate = regexp.MustCompile(`(?i)` + strings.Join([]string{
	`\bis enum for the field\b`,
	`^Define a Relay`,
	`^Ordering options for \w+ connections$`,
	`^Properties by which \w+ connections can be ordered\.?$`,
	`^A connection to a list of items\.?$`,
	`^An edge in a connection\.?$`,
	`^The field by which to order \w+\.?$`,
	`\bTODO\b`,
	`\bseed\b`,
	`\bissue\s*#?\d+`,
	`#\d+\b`,
	`\bbrief\b`,
}, "|"))

// TestPublishedSchemaDescriptions: every type, field, argument, input field and enum
// value a client can see through introspection is described, in words written for a
// developer of another tool rather than a code generator's placeholder. It walks the
// executable schema, so types and fields added later are checked without listing them.
func TestPublishedSchemaDescriptions(t *testing.T) {
	t.Parallel()
	s := PublishedSchema()
	var problems []string
	check := func(where, desc string) {
		d := strings.TrimSpace(desc)
		switch {
		case d == "":
			problems = append(problems, where+": no description")
		case boilerplate.MatchString(d):
			problems = append(problems, where+": generator boilerplate or an internal word: "+d)
		}
	}
	for _, name := range sortedTypeNames(s) {
		def := s.Types[name]
		if strings.HasPrefix(name, "__") || (def.Kind == ast.Scalar && slices.Contains(builtinScalars, name)) {
			continue
		}
		check(name, def.Description)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			check(name+"."+f.Name, f.Description)
			for _, a := range f.Arguments {
				check(name+"."+f.Name+"("+a.Name+":)", a.Description)
			}
		}
		for _, v := range def.EnumValues {
			check(name+"."+v.Name, v.Description)
		}
	}
	require.Empty(t, problems, "describe these in the .graphqls files, with .Comment in ent/schema, or in ent/schema/gqldoc.go")
}

// TestPublishedSchemaHasNoUnusedTypes: every named type a client sees through
// introspection is reachable from Query, Mutation or Subscription, so generated clients
// and documentation hold nothing that no operation can use.
func TestPublishedSchemaHasNoUnusedTypes(t *testing.T) {
	t.Parallel()
	s := PublishedSchema()
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		def := s.Types[name]
		require.NotNil(t, def, "type %s is referenced but not defined", name)
		seen[name] = true
		for _, f := range def.Fields {
			visit(f.Type.Name())
			for _, a := range f.Arguments {
				visit(a.Type.Name())
			}
		}
		for _, i := range def.Interfaces {
			visit(i)
		}
		for _, impl := range s.PossibleTypes[name] {
			visit(impl.Name)
		}
	}
	for _, root := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if root != nil {
			visit(root.Name)
		}
	}
	var unused []string
	for _, name := range sortedTypeNames(s) {
		if strings.HasPrefix(name, "__") || slices.Contains(builtinScalars, name) || seen[name] {
			continue
		}
		unused = append(unused, name)
	}
	require.Empty(t, unused, "types no operation can reach: use them or stop generating them")
	// The check itself must see the schema's types.
	require.True(t, seen["Event"] && seen["PageInfo"] && seen["Time"])
}

func sortedTypeNames(s *ast.Schema) []string {
	names := make([]string, 0, len(s.Types))
	for name := range s.Types {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// TestBoilerplateRecognised: the descriptions generators write when nobody wrote one are
// caught, and ordinary descriptions are not.
func TestBoilerplateRecognised(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"ExportStatus is enum for the field status",
		"A connection to a list of items.",
		"An edge in a connection.",
		"Ordering options for Export connections",
		"Properties by which Event connections can be ordered.",
		"Define a Relay Cursor type:\nhttps://relay.dev/graphql/connections.htm#sec-Cursor",
		// Words of documents outside the schema, which a third-party developer cannot read.
		"Columns as listed in SEED.txt.",
		"Closes Issue #42.",
	} {
		require.True(t, boilerplate.MatchString(text), text)
	}
	for _, text := range []string{
		"One page of events, with what is needed to fetch the pages before and after it.",
		"When the run or login finished.",
	} {
		require.False(t, boilerplate.MatchString(text), text)
	}
}
