package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/usererr"
)

const (
	// defaultPage is the page size when a connection is asked for without first/last.
	defaultPage = 50
	// maxPage is the largest page a caller may ask for.
	maxPage = 500
)

// pageArgs checks a connection's paging arguments (first or last, at most maxPage;
// after or before, not both, which entgql's pager would apply as if both were after
// cursors, silently answering with the wrong rows) and returns first, set to
// defaultPage when neither first nor last is given.
func pageArgs(first *int, after *ent.Cursor, last *int, before *ent.Cursor) (*int, error) {
	if first != nil && last != nil {
		return nil, usererr.BadInput("last", "give first or last, not both")
	}
	if after != nil && before != nil {
		return nil, usererr.BadInput("before", "give after or before, not both")
	}
	for name, v := range map[string]*int{"first": first, "last": last} {
		if v == nil {
			continue
		}
		if *v < 0 {
			return nil, usererr.BadInput(name, "must not be negative")
		}
		if *v > maxPage {
			return nil, usererr.BadInput(name, "pages hold at most %d items (asked for %d)", maxPage, *v)
		}
	}
	if first == nil && last == nil {
		first = ptr(defaultPage)
	}
	return first, nil
}

// checkCursors checks the cursors of a connection ordered by an instant (events by
// finish time, exports by request time): it refuses a cursor of another connection (the
// users typeahead, say), whose value is not an instant and would reach the SQL as one.
// list names the connection in the error.
func checkCursors(after, before *ent.Cursor, list string) error {
	for name, c := range map[string]*ent.Cursor{"after": after, "before": before} {
		if c == nil {
			continue
		}
		if _, ok := c.Value.(time.Time); !ok {
			return usererr.BadInput(name, "is not a cursor of the %s list; pass the cursor of a previous page", list)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// valueOf is what p points to, or T's zero value (an empty filter, say) when p is nil.
func valueOf[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// node resolves one global ID within the caller's school. Another school's ID, an ID of
// no type, an API token seen by a non-admin and an export the caller may not read
// (export(id:)'s rule) all read as not found.
func (r *Resolver) node(ctx context.Context, id int) (ent.Noder, error) {
	n, err := r.Client.Noder(ctx, id)
	if err != nil {
		return nil, usererr.NotFoundf("no node with ID %d", id)
	}
	v, _ := auth.FromContext(ctx)
	switch n := n.(type) {
	case *ent.APIToken:
		if v == nil || !v.IsAdmin() {
			return nil, usererr.NotFoundf("no node with ID %d", id)
		}
	case *ent.Export:
		// The rule of export(id:): admins see every export of the school, anyone else
		// only their own. The node holds only the fields the query selects, so the rule
		// reads the export whole.
		if _, err := r.ExportService.Get(ctx, n.ID); err != nil {
			return nil, usererr.NotFoundf("no node with ID %d", id)
		}
	}
	return n, nil
}

func (r *Resolver) schoolLocation(ctx context.Context, schoolID int) (*time.Location, error) {
	s, err := r.Client.School.Get(ctx, schoolID)
	if err != nil {
		return nil, fmt.Errorf("school %d: %w", schoolID, err)
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// pagerContext returns ctx with the connection being resolved as entgql's Paginate should
// see it, for the resolvers that page through it (events, exports).
//
// entgql's generated pager finds edges, node, pageInfo and totalCount by response key, not
// by field name: `e: edges` left the page unread (an empty list) and `n: totalCount`
// answered 0. The pager's copy of the selection names each field by its name, fragments
// flattened as gqlgen collects them.
//
// It also hides pageInfo unless totalCount is selected too. entgql's Paginate counts every
// matching row whenever pageInfo is selected, only to preset hasNextPage and
// hasPreviousPage, which it then overwrites from the page itself (it fetches one row more
// than asked); at district scale that count costs more than the page. A zero-sized page,
// or a pageInfo asked without edges, keeps it: only the count fills its pageInfo then.
//
// The response is unchanged: gqlgen renders the connection from its own selection, not
// from this context.
func pagerContext(ctx context.Context, first, last *int) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return ctx
	}
	oc := graphql.GetOperationContext(ctx)
	collected := graphql.CollectFields(oc, fc.Field.Selections, nil)
	keepPageInfo := (first != nil && *first == 0) || (last != nil && *last == 0)
	edges := false
	for _, f := range collected {
		switch f.Name {
		case "totalCount":
			keepPageInfo = true
		case "edges":
			edges = true
		}
	}
	// Without edges there is no page to read hasNextPage from either.
	keepPageInfo = keepPageInfo || !edges
	sel := make(ast.SelectionSet, 0, len(collected))
	for _, f := range collected {
		switch f.Name {
		case "pageInfo":
			if !keepPageInfo {
				continue
			}
		case "edges":
			var edge ast.SelectionSet
			for _, g := range graphql.CollectFields(oc, f.Selections, nil) {
				edge = append(edge, byName(g, g.Selections))
			}
			sel = append(sel, byName(f, edge))
			continue
		}
		sel = append(sel, byName(f, f.Selections))
	}
	field := fc.Field
	field.Selections = sel
	narrowed := *fc
	narrowed.Field = field
	return graphql.WithFieldContext(ctx, &narrowed)
}

// byName is a copy of a collected field under its own name, selecting sel. The query's
// document is shared by every request that asks it, so it is copied, never changed.
func byName(f graphql.CollectedField, sel ast.SelectionSet) *ast.Field {
	c := *f.Field
	c.Alias = c.Name
	c.SelectionSet = sel
	return &c
}

// selects reports whether the field being resolved (of GraphQL type typeName) selects
// name, fragments included, so a resolver can skip work nobody asked for.
func selects(ctx context.Context, typeName, name string) bool {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{typeName}) {
		if f.Name == name {
			return true
		}
	}
	return false
}
