package graph

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/usererr"
)

// Input maxima. Every string argument (and string field of an input object) is at most
// MaxString bytes unless stringMax says otherwise, every list at most MaxList items
// unless listMax does; no string may hold a NUL character, which PostgreSQL cannot
// store in text. docs/SECURITY.md lists them.
const (
	MaxString = 1 << 10
	MaxList   = 100
)

// stringMax are the strings allowed to be longer or held shorter than MaxString, by
// input type and field or by Type.field(argument).
var stringMax = map[string]int{
	"RecordEventInput.details": ingest.MaxDetails,
	"ProblemInput.message":     ingest.MaxProblemMessage,
	"ChangeInput.message":      ingest.MaxChangeMessage,
	// Attribute values are bounded in characters (ingest counts them); this is the
	// most bytes that many characters take in UTF-8.
	"AttributeChangeInput.old": 4 * ingest.MaxAttributeValue,
	"AttributeChangeInput.new": 4 * ingest.MaxAttributeValue,
	"Event.changes(search)":    100,
	// SQLite refuses LIKE patterns over 50,000 bytes; nobody types more than this.
	"Query.users(search)": 100,
}

// listMax are the lists allowed to be longer or held shorter than MaxList.
var listMax = map[string]int{
	"Mutation.recordEvents(input)": ingest.MaxBatch,
	"RecordEventInput.problems":    ingest.MaxProblems,
	"RecordEventInput.changes":     ingest.MaxChanges,
	"ChangeInput.attributes":       ingest.MaxAttributes,
	"Query.nodes(ids)":             maxPage,
	// There are twelve event types; a list may repeat one, but not endlessly.
	"ReportFilter.types": 50,
}

// InputLimits refuses arguments over the input maxima, or holding a NUL character,
// with BAD_USER_INPUT naming the argument (as "recordEvents.input[3].details"), before
// any resolver runs. Without it such input reached the database and failed there as
// an internal error.
type InputLimits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = InputLimits{}

// ExtensionName implements graphql.HandlerExtension.
func (InputLimits) ExtensionName() string { return "InputLimits" }

// Validate implements graphql.HandlerExtension.
func (InputLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (InputLimits) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	w := inputWalk{doc: rc.Doc, vars: rc.Variables, visiting: map[string]bool{}}
	if err := w.set(rc.Operation.SelectionSet); err != nil {
		gerr := gqlerror.Errorf("%s", err.Message)
		gerr.Extensions = map[string]any{"code": string(err.Code), "field": err.Field}
		return gerr
	}
	return nil
}

type inputWalk struct {
	doc      *ast.QueryDocument
	vars     map[string]any
	visiting map[string]bool
}

func (w *inputWalk) set(set ast.SelectionSet) *usererr.Error {
	for _, sel := range set {
		var err *usererr.Error
		switch s := sel.(type) {
		case *ast.Field:
			err = w.field(s)
		case *ast.InlineFragment:
			err = w.set(s.SelectionSet)
		case *ast.FragmentSpread:
			if f := w.doc.Fragments.ForName(s.Name); f != nil && !w.visiting[s.Name] {
				w.visiting[s.Name] = true
				err = w.set(f.SelectionSet)
				delete(w.visiting, s.Name)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *inputWalk) field(f *ast.Field) *usererr.Error {
	if f.Definition != nil && len(f.Arguments) > 0 {
		args := f.ArgumentMap(w.vars)
		for _, def := range f.Definition.Arguments {
			v, ok := args[def.Name]
			if !ok {
				continue
			}
			key := fmt.Sprintf("%s.%s(%s)", f.ObjectDefinition.Name, f.Name, def.Name)
			if err := w.value(v, def.Type, f.Alias+"."+def.Name, key); err != nil {
				return err
			}
		}
	}
	return w.set(f.SelectionSet)
}

// value checks v, of type typ, at path; key names it in stringMax and listMax.
func (w *inputWalk) value(v any, typ *ast.Type, path, key string) *usererr.Error {
	switch v := v.(type) {
	case string:
		if limit := cmp.Or(stringMax[key], MaxString); len(v) > limit {
			return usererr.BadInput(path, "is %d bytes long; at most %d are allowed", len(v), limit)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return usererr.BadInput(path, "must not contain a NUL character")
		}
	case []any:
		if limit := cmp.Or(listMax[key], MaxList); len(v) > limit {
			return usererr.BadInput(path, "has %d items; at most %d are allowed", len(v), limit)
		}
		elem := typ
		if typ != nil && typ.Elem != nil {
			elem = typ.Elem
		}
		for i, item := range v {
			if err := w.value(item, elem, fmt.Sprintf("%s[%d]", path, i), key); err != nil {
				return err
			}
		}
	case map[string]any:
		var def *ast.Definition
		if typ != nil {
			def = inputTypes[typ.Name()]
		}
		for name, fv := range v {
			fkey := name
			var ft *ast.Type
			if def != nil {
				fkey = def.Name + "." + name
				if fd := def.Fields.ForName(name); fd != nil {
					ft = fd.Type
				}
			}
			if err := w.value(fv, ft, path+"."+name, fkey); err != nil {
				return err
			}
		}
	}
	return nil
}

// inputTypes are the schema's input object types by name.
var inputTypes = func() map[string]*ast.Definition {
	out := map[string]*ast.Definition{}
	for name, def := range parsedSchema.Types {
		if def.Kind == ast.InputObject {
			out[name] = def
		}
	}
	return out
}()
