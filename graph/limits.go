package graph

import (
	"cmp"
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/report"
)

// DepthLimit refuses operations nested deeper than Max before any resolver runs.
// Introspection (the fields under __schema and __type) is bounded on its own terms, so
// that the standard introspection query of GraphQL tools (graphql-js'
// getIntrospectionQuery, 15 levels with its nine nested ofType) passes while abuse does
// not: the nesting of __Type's list fields is capped by gqlparser's MaxIntrospectionDepth
// rule (as graphql-js caps it), ofType chains by MaxOfType and the whole introspection
// subtree by MaxIntrospection.
type DepthLimit struct {
	// Max is the deepest selection allowed outside introspection; the dashboard's
	// deepest query is 6.
	Max int
	// MaxIntrospection is the deepest an introspection subtree may nest, counted from
	// its __schema or __type field; zero means DefaultMaxIntrospection.
	MaxIntrospection int
	// MaxOfType is the longest chain of nested ofType selections; zero means
	// DefaultMaxOfType.
	MaxOfType int
}

// The introspection bounds: graphql-js' full introspection query nests 15 levels, nine
// of them ofType, which unwraps any type this schema has (at most three wrappers deep)
// several times over.
const (
	DefaultMaxIntrospection = 20
	DefaultMaxOfType        = 12
)

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (DepthLimit) ExtensionName() string { return "DepthLimit" }

// Validate implements graphql.HandlerExtension.
func (d DepthLimit) Validate(graphql.ExecutableSchema) error {
	if d.Max < 1 {
		return fmt.Errorf("depth limit must be at least 1")
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (d DepthLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	w := depthWalk{doc: rc.Doc, visiting: map[string]bool{}}
	depth := w.depth(rc.Operation.SelectionSet, false)
	maxIntro, maxOfType := cmp.Or(d.MaxIntrospection, DefaultMaxIntrospection), cmp.Or(d.MaxOfType, DefaultMaxOfType)
	var err *gqlerror.Error
	switch {
	case depth > d.Max:
		err = gqlerror.Errorf("the query is %d levels deep; at most %d are allowed", depth, d.Max)
	case w.introspection > maxIntro:
		err = gqlerror.Errorf("the introspection query is %d levels deep; at most %d are allowed", w.introspection, maxIntro)
	case w.ofType > maxOfType:
		err = gqlerror.Errorf("the introspection query nests ofType %d times; at most %d are allowed", w.ofType, maxOfType)
	default:
		return nil
	}
	err.Extensions = map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"}
	return err
}

// depthWalk measures an operation: the depth of its selections outside introspection
// (the result of depth), and the deepest introspection subtree and ofType chain it has.
type depthWalk struct {
	doc           *ast.QueryDocument
	visiting      map[string]bool
	introspection int
	ofType        int
}

// depth is the depth of set. Inside introspection (intro), fields count towards the
// introspection bounds instead, which depth records in w.
func (w *depthWalk) depth(set ast.SelectionSet, intro bool) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if !intro && (s.Name == "__schema" || s.Name == "__type") {
				w.introspection = max(w.introspection, 1+w.depth(s.SelectionSet, true))
				w.ofType = max(w.ofType, w.ofTypeChain(s.SelectionSet, 0))
				d = 1
				break
			}
			d = 1 + w.depth(s.SelectionSet, intro)
		case *ast.InlineFragment:
			d = w.depth(s.SelectionSet, intro)
		case *ast.FragmentSpread:
			if f := w.fragment(s.Name); f != nil {
				w.visiting[s.Name] = true
				d = w.depth(f.SelectionSet, intro)
				delete(w.visiting, s.Name)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// ofTypeChain is the longest run of directly nested ofType fields in set, given run
// ofType fields above it.
func (w *depthWalk) ofTypeChain(set ast.SelectionSet, run int) int {
	longest := run
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			next := 0
			if s.Name == "ofType" {
				next = run + 1
			}
			longest = max(longest, next, w.ofTypeChain(s.SelectionSet, next))
		case *ast.InlineFragment:
			longest = max(longest, w.ofTypeChain(s.SelectionSet, run))
		case *ast.FragmentSpread:
			if f := w.fragment(s.Name); f != nil {
				w.visiting[s.Name] = true
				longest = max(longest, w.ofTypeChain(f.SelectionSet, run))
				delete(w.visiting, s.Name)
			}
		}
	}
	return longest
}

// fragment is the definition a spread names, or nil when it is unknown or already being
// walked (a cycle, which validation has refused).
func (w *depthWalk) fragment(name string) *ast.FragmentDefinition {
	if w.visiting[name] || w.doc == nil {
		return nil
	}
	return w.doc.Fragments.ForName(name)
}

// IntrospectionForViewers allows schema introspection to authenticated callers only.
type IntrospectionForViewers struct{}

// ExtensionName implements graphql.HandlerExtension.
func (IntrospectionForViewers) ExtensionName() string { return "IntrospectionForViewers" }

// Validate implements graphql.HandlerExtension.
func (IntrospectionForViewers) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (IntrospectionForViewers) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	_, ok := auth.FromContext(ctx)
	rc.DisableIntrospection = !ok
	return nil
}

// The prices of what costs more than the fields it returns. Each query that reads
// the events table (a page and its totalCount, a summary, a users search) pays for the
// scan besides its rows; lists pay for the most items they may hold.
const (
	// scanCost is what a query over the school's events or users costs before its rows.
	scanCost = 100
	// summaryCost is a summary's aggregation over every event the filter matches.
	summaryCost = 1000
	// unboundedList is what a list that no argument bounds (sync profiles, API tokens)
	// is priced at: more than a school has in practice.
	unboundedList = 100
)

// Complexity makes lists cost what they may return: a connection's children count once
// per requested item, so a 500-row page of nested objects is priced as such; an alias
// costs what the field it names costs, so 2,000 aliased summaries are priced as 2,000
// summaries.
func Complexity() ComplexityRoot {
	var c ComplexityRoot
	page := func(first, last *int) int {
		switch {
		case first != nil:
			return max(*first, 1)
		case last != nil:
			return max(*last, 1)
		}
		return defaultPage
	}
	c.Query.Events = func(child int, _ *ent.Cursor, first *int, _ *ent.Cursor, last *int, _ *report.Filter, _ *ent.EventOrder) int {
		return scanCost + child*page(first, last)
	}
	c.Query.EventSummary = func(child int, filter *report.Filter) int {
		var f report.Filter
		if filter != nil {
			f = *filter
		}
		// The totals are priced with the buckets: each bucket is a row of the same sums.
		return summaryCost + child*report.BucketsAtMost(f)
	}
	c.Query.Users = func(child int, _ *string, first *int, _ *ent.Cursor, last *int, _ *ent.Cursor) int {
		return scanCost + child*page(first, last)
	}
	c.Query.Exports = func(child int, first *int, _ *ent.Cursor, last *int, _ *ent.Cursor, _ *ent.ExportOrder) int {
		return scanCost + child*page(first, last)
	}
	c.Query.Nodes = func(child int, ids []int) int { return 1 + child*max(len(ids), 1) }
	c.Query.SyncProfiles = func(child int) int { return 1 + child*unboundedList }
	c.Query.APITokens = func(child int) int { return 1 + child*unboundedList }
	c.Event.Problems = func(child int) int { return 1 + child*ingest.MaxProblems }
	return c
}

// Priced prices recordEvents by the number of its inputs, as Complexity prices lists by
// their items: each returned event costs what the selection under it costs. It reads
// the count from the raw arguments. A complexity function in ComplexityRoot would have
// gqlgen decode all of a batch's inputs a second time, for the price alone (9% of a
// batch's CPU).
func Priced(es graphql.ExecutableSchema) graphql.ExecutableSchema { return priced{es} }

type priced struct{ graphql.ExecutableSchema }

func (p priced) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if typeName == "Mutation" && field == "recordEvents" {
		return 1 + child*max(RecordEventsInputs(args), 1), true
	}
	return p.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// RecordEventsInputs counts the events in recordEvents' raw arguments (as
// ast.Field.ArgumentMap gives them), without decoding them.
func RecordEventsInputs(args map[string]any) int {
	switch in := args["input"].(type) {
	case []any:
		return len(in)
	case map[string]any:
		// GraphQL coerces a single object given for a list to a list of one.
		return 1
	}
	return 0
}
