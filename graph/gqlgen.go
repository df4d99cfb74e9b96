//go:build ignore

// Command gqlgen runs gqlgen's code generation (as `go tool gqlgen generate` would) with
// one plugin: sequential. Run it through `go generate ./ent` (or `make generate`).
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load gqlgen config:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(sequential{})); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(3)
	}
}

// sequential resolves the fields of every non-root object on the goroutine that
// marshals it. gqlgen otherwise starts a goroutine for each field that is a resolver or
// a method taking a context: for a page of 50 events that is ~150 goroutines, whose
// starts and stack growth cost more than the page's SQL (docs/BENCHMARKS.md).
// The fields of these objects read data already loaded (entgql eager-loads the edges a
// query selects), so running them concurrently gained nothing. Query and Subscription
// keep gqlgen's behaviour: independent top-level fields still run side by side.
type sequential struct{}

func (sequential) Name() string { return "sequential" }

func (sequential) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if !o.Root {
			o.DisableConcurrency = true
		}
	}
	return nil
}
