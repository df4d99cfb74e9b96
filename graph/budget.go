package graph

import (
	"context"
	"fmt"
	"regexp"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/provreport/provreport/internal/auth"
)

// Budget bounds what one GraphQL document may ask of the parser and the validator.
// Parsing is linear in the tokens; validation is not: gqlparser's overlapping-fields
// rule compares every pair of fields that share a response name, so 16,000 copies of
// __typename cost 15 s of CPU. The budget is checked on a parse of its own before
// gqlgen validates, so a document over it costs a linear scan and nothing more.
type Budget struct {
	// Tokens is the most lexical tokens the document may have.
	Tokens int
	// Selections is the most fields, fragment spreads, inline fragments and directives
	// the document may have, counting a fragment once for every place it is spread.
	Selections int
	// SameName is the most fields that may share a response path (school.name, say,
	// counting the fields of fragments and of same-named parents, which validation
	// merges and compares pairwise): what makes validation quadratic.
	SameName int
}

// The budgets: callers without credentials get the tightest, enough for signIn and the
// dashboard's signed-out queries. A literal recordEvents batch of 1,000 events is about
// 50,000 tokens; the dashboard's largest query about 150 selections.
var (
	AnonymousBudget = Budget{Tokens: 2_000, Selections: 200, SameName: 10}
	SignedInBudget  = Budget{Tokens: 100_000, Selections: 2_000, SameName: 25}
)

// RequestBudget refuses documents over the caller's Budget before gqlgen validates
// them. gqlgen's own parser token limit (handler SetParserTokenLimit) should be set to
// SignedIn.Tokens, so that it holds for requests that reach the parser some other way.
type RequestBudget struct {
	Anonymous, SignedIn Budget
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = RequestBudget{}

// ExtensionName implements graphql.HandlerExtension.
func (RequestBudget) ExtensionName() string { return "RequestBudget" }

// Validate implements graphql.HandlerExtension.
func (b RequestBudget) Validate(graphql.ExecutableSchema) error {
	for _, x := range []Budget{b.Anonymous, b.SignedIn} {
		if x.Tokens < 1 || x.Selections < 1 || x.SameName < 1 {
			return fmt.Errorf("request budget %+v: every bound must be at least 1", x)
		}
	}
	return nil
}

// CodeQueryTooLarge is the extensions.code of documents over the caller's budget.
const CodeQueryTooLarge = "QUERY_TOO_LARGE"

// MutateOperationParameters implements graphql.OperationParameterMutator. It runs after
// the persisted-query extension has filled in the query.
func (b RequestBudget) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	budget, who := b.Anonymous, "without credentials"
	if _, ok := auth.FromContext(ctx); ok {
		budget, who = b.SignedIn, "per request"
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, budget.Tokens)
	if err != nil {
		if gerr, ok := err.(*gqlerror.Error); ok && tokenLimit.MatchString(gerr.Message) {
			return tooLarge("the query has more than %d tokens; at most %d are allowed %s", budget.Tokens, budget.Tokens, who)
		}
		// A syntax error: gqlgen's parser reports it as it always does, at no more cost.
		return nil
	}
	c := counter{doc: doc, budget: budget, visiting: map[string]bool{}}
	for _, op := range doc.Operations {
		c.directives(op.Directives)
		c.paths = map[string]int{}
		c.collect(op.SelectionSet, "")
	}
	for _, f := range doc.Fragments {
		// Validation checks every fragment on its own as well as where it is spread.
		c.directives(f.Directives)
		c.paths = map[string]int{}
		c.collect(f.SelectionSet, "")
	}
	switch {
	case c.n > budget.Selections:
		return tooLarge("the query has more than %d selections and directives (fragments counted where spread); at most %d are allowed %s",
			budget.Selections, budget.Selections, who)
	case c.sameName != "":
		return tooLarge("the query selects %q more than %d times (fragments and repeated parents included); at most %d are allowed",
			c.sameName, budget.SameName, budget.SameName)
	}
	return nil
}

var tokenLimit = regexp.MustCompile(`^exceeded token limit`)

func tooLarge(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, CodeQueryTooLarge)
	return err
}

// counter counts a document's selections, stopping as soon as the budget is exceeded so
// that the count itself stays within it.
type counter struct {
	doc      *ast.QueryDocument
	budget   Budget
	visiting map[string]bool
	// paths counts the fields of the current operation or fragment by response path.
	paths    map[string]int
	n        int
	sameName string
}

func (c *counter) over() bool { return c.n > c.budget.Selections || c.sameName != "" }

// collect counts the selections of set, whose response path is prefix, and its fields
// by response path; fragments (inline and spread) belong to the selection set they are
// in.
func (c *counter) collect(set ast.SelectionSet, prefix string) {
	for _, sel := range set {
		if c.over() {
			return
		}
		c.n++
		switch s := sel.(type) {
		case *ast.Field:
			c.directives(s.Directives)
			path := prefix + "." + s.Alias
			if c.paths[path]++; c.paths[path] > c.budget.SameName {
				c.sameName = path[1:]
				return
			}
			c.collect(s.SelectionSet, path)
		case *ast.InlineFragment:
			c.directives(s.Directives)
			c.collect(s.SelectionSet, prefix)
		case *ast.FragmentSpread:
			c.directives(s.Directives)
			f := c.doc.Fragments.ForName(s.Name)
			if f == nil || c.visiting[s.Name] {
				continue // unknown or cyclic: validation refuses it, cheaply
			}
			c.visiting[s.Name] = true
			c.collect(f.SelectionSet, prefix)
			delete(c.visiting, s.Name)
		}
	}
}

func (c *counter) directives(list ast.DirectiveList) { c.n += len(list) }
