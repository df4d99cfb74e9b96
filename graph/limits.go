package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/report"
)

// DepthLimit refuses operations nested deeper than Max before any resolver runs.
type DepthLimit struct {
	// Max is the deepest selection allowed; the dashboard's deepest query is 6.
	Max int
}

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
	if depth := selectionDepth(rc.Operation.SelectionSet, rc.Doc, map[string]bool{}); depth > d.Max {
		err := gqlerror.Errorf("the query is %d levels deep; at most %d are allowed", depth, d.Max)
		err.Extensions = map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, doc *ast.QueryDocument, visiting map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + selectionDepth(s.SelectionSet, doc, visiting)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, doc, visiting)
		case *ast.FragmentSpread:
			if visiting[s.Name] || doc == nil {
				continue
			}
			if f := doc.Fragments.ForName(s.Name); f != nil {
				visiting[s.Name] = true
				d = selectionDepth(f.SelectionSet, doc, visiting)
				delete(visiting, s.Name)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
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

// Complexity makes lists cost what they may return: a connection's children count once
// per requested item, so a 500-row page of nested objects is priced as such.
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
		return 1 + child*page(first, last)
	}
	c.Query.Users = func(child int, _ *string, first *int, _ *ent.Cursor) int {
		return 1 + child*page(first, nil)
	}
	c.Query.Nodes = func(child int, ids []int) int { return 1 + child*max(len(ids), 1) }
	return c
}
