package graph

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPublishedSchema: docs/schema.graphql is what `provreport schema` prints; it
// declares and applies none of the code generator's directives, and the custom scalars
// carry @specifiedBy.
func TestPublishedSchema(t *testing.T) {
	t.Parallel()
	sdl := string(SDL())
	committed, err := os.ReadFile("../docs/schema.graphql")
	require.NoError(t, err)
	require.Equal(t, sdl, string(committed), "docs/schema.graphql is out of date: run make generate")
	for _, d := range serverOnlyDirectives {
		require.NotContains(t, sdl, "@"+d)
		require.Nil(t, PublishedSchema().Directives[d])
	}
	require.Contains(t, sdl, `scalar Time @specifiedBy(url: "https://scalars.graphql.org/andimarek/date-time")`)
	require.Contains(t, sdl, `scalar Cursor @specifiedBy(url: "https://relay.dev/graphql/connections.htm#sec-Cursor")`)
	// The schema the code was generated from keeps its directives.
	require.NotNil(t, NewExecutableSchema(Config{}).Schema().Directives["goModel"])
	require.NotContains(t, sdl, "directive @", "types only, no directive definitions of the generator")
}
