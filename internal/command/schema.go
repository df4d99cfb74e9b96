package command

import (
	"context"

	"github.com/provreport/provreport/graph"
)

// schemaCmd prints the GraphQL schema as clients see it (docs/schema.graphql holds it).
func schemaCmd(_ context.Context, c *cli, args []string) error {
	fs := newFlags(c, "schema")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := c.stdout.Write(graph.SDL())
	return err
}
