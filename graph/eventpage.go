package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/report"
)

// EventPages is a gqlgen extension that writes the answer of the events list (Query.events)
// itself instead of through gqlgen's executor, when the list selects only fields that
// are plain values of what the resolver loaded. The executor marshals such a page
// field by field: a field context, a context value and a closure for each of ~1,000
// fields, and a goroutine for each edge. That was most of the server's CPU for a
// first-time page, which missed issue 7's "raw SQL + 1 ms" target (docs/BENCHMARKS.md,
// change 16).
//
// Only the marshalling changes. The field's arguments, resolver, errors and panics still
// go through gqlgen's ResolveField with the generated field context, so a bad argument
// or a refused scope answers as before. A selection with anything else (problems, a
// user's school, @defer), or a page whose values the writer would not render as gqlgen
// does (an event without its loaded user, a zero time), is marshalled by the generated
// code. TestEventPagesAnswerAsGqlgen holds the two writers to the same bytes.
type EventPages struct {
	es *executableSchema
}

var (
	_ graphql.HandlerExtension     = (*EventPages)(nil)
	_ graphql.RootFieldInterceptor = (*EventPages)(nil)
)

// ExtensionName names the extension for gqlgen.
func (*EventPages) ExtensionName() string { return "EventPages" }

// Validate keeps the executable schema, whose generated field context, argument
// parsing and marshaller the extension uses.
func (p *EventPages) Validate(s graphql.ExecutableSchema) error {
	es, ok := s.(*executableSchema)
	if !ok {
		return fmt.Errorf("EventPages needs this package's executable schema, not %T", s)
	}
	p.es = es
	return nil
}

// InterceptRootField resolves Query.events as the generated _Query_events does, with
// the page writer in place of the generated marshaller where the selection allows.
func (p *EventPages) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rfc := graphql.GetRootFieldContext(ctx)
	// gqlgen names the field, not its type, as the root field's Object.
	if p.es == nil || rfc == nil || rfc.Field.Name != "events" || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	plan, ok := planConnection(oc, rfc.Field.Selections)
	if !ok {
		return next(ctx)
	}
	ec := newExecutionContext(oc, p.es, nil)
	return graphql.ResolveField(ctx, oc, rfc.Field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Query_events(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			fc := graphql.GetFieldContext(ctx)
			return ec.Resolvers.Query().Events(ctx, fc.Args["after"].(*entgql.Cursor[int]), fc.Args["first"].(*int),
				fc.Args["before"].(*entgql.Cursor[int]), fc.Args["last"].(*int), fc.Args["filter"].(*report.Filter),
				fc.Args["orderBy"].(*ent.EventOrder))
		},
		nil,
		func(ctx context.Context, sel ast.SelectionSet, v *ent.EventConnection) graphql.Marshaler {
			if v != nil {
				if b, err := plan.write(make([]byte, 0, 256+len(v.Edges)*640), v); err == nil {
					return rawJSON(b)
				}
			}
			return ec.marshalNEventConnection2ᚖgithubᚗcomᚋprovreportᚋprovreportᚋentᚐEventConnection(ctx, sel, v)
		},
		true, true)
}

// rawJSON is a value already written as JSON.
type rawJSON []byte

// MarshalGQL writes the value.
func (r rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }

// errNotPlain stops the page writer where the generated marshaller must answer instead.
var errNotPlain = errors.New("not a plain value")

// field is one selected field of the page: its response key, what it reads, and for an
// object, that object's selected fields.
type field struct {
	alias string
	name  string
	sub   []field
}

// shape is what the page writer knows of an object type: its implementors (gqlgen's
// generated lists, for collecting fragments on it) and the fields it writes, each with
// the shape of its own selection (nil for a leaf).
type shape struct {
	implementors []string
	fields       map[string]*shape
}

var (
	userShape = &shape{userImplementors, map[string]*shape{
		"__typename": nil, "id": nil, "createTime": nil, "username": nil, "displayName": nil, "email": nil, "role": nil,
	}}
	syncProfileShape = &shape{syncProfileImplementors, map[string]*shape{
		"__typename": nil, "id": nil, "createTime": nil, "name": nil, "kind": nil,
	}}
	eventShape = &shape{eventImplementors, map[string]*shape{
		"__typename": nil, "id": nil, "type": nil, "typeName": nil, "dateStarted": nil, "dateFinished": nil,
		"processed": nil, "added": nil, "updated": nil, "deleted": nil, "disabled": nil, "errors": nil,
		"details": nil, "service": nil, "externalID": nil, "recordedAt": nil,
		"user": userShape, "syncProfile": syncProfileShape,
	}}
	pageInfoShape = &shape{pageInfoImplementors, map[string]*shape{
		"__typename": nil, "hasNextPage": nil, "hasPreviousPage": nil, "startCursor": nil, "endCursor": nil,
	}}
	eventEdgeShape = &shape{eventEdgeImplementors, map[string]*shape{
		"__typename": nil, "cursor": nil, "node": eventShape,
	}}
	eventConnectionShape = &shape{eventConnectionImplementors, map[string]*shape{
		"__typename": nil, "totalCount": nil, "pageInfo": pageInfoShape, "edges": eventEdgeShape,
	}}
)

// planConnection collects the selection under events as gqlgen's generated code would
// (fragments, @skip and @include applied, same response keys merged), level by level,
// and reports whether the page writer knows every field in it.
func planConnection(oc *graphql.OperationContext, sel ast.SelectionSet) (fieldList, bool) {
	return plan(oc, sel, eventConnectionShape)
}

// plan collects sel for an object of shape s, and reports whether s knows every field
// in it, at every level.
func plan(oc *graphql.OperationContext, sel ast.SelectionSet, s *shape) ([]field, bool) {
	collected := graphql.CollectFields(oc, sel, s.implementors)
	out := make([]field, 0, len(collected))
	for _, f := range collected {
		sub, ok := s.fields[f.Name]
		if !ok || len(f.Deferrables) > 0 || len(f.Arguments) > 0 {
			return nil, false
		}
		pf := field{alias: f.Alias, name: f.Name}
		if sub != nil {
			if pf.sub, ok = plan(oc, f.Selections, sub); !ok {
				return nil, false
			}
		}
		out = append(out, pf)
	}
	return out, true
}

// fieldList is a planned selection of EventConnection.
type fieldList []field

// write appends the connection's JSON for the planned fields to b.
func (fs fieldList) write(b []byte, c *ent.EventConnection) ([]byte, error) {
	return writeObject(b, fs, func(b []byte, f field) ([]byte, error) {
		switch f.name {
		case "__typename":
			return appendString(b, "EventConnection"), nil
		case "totalCount":
			return strconv.AppendInt(b, int64(c.TotalCount), 10), nil
		case "pageInfo":
			return writePageInfo(b, f.sub, &c.PageInfo)
		case "edges":
			if c.Edges == nil {
				return append(b, "null"...), nil
			}
			b = append(b, '[')
			for j, e := range c.Edges {
				if j > 0 {
					b = append(b, ',')
				}
				var err error
				if b, err = writeEdge(b, f.sub, e); err != nil {
					return nil, err
				}
			}
			return append(b, ']'), nil
		}
		return nil, errNotPlain
	})
}

// writeObject appends a JSON object of the planned fields, each field's value appended
// by value, as gqlgen's executor writes one: in the selection's order, under the
// response keys.
func writeObject(b []byte, fs []field, value func(b []byte, f field) ([]byte, error)) ([]byte, error) {
	b = append(b, '{')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.alias)
		b = append(b, ':')
		var err error
		if b, err = value(b, f); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func writePageInfo(b []byte, fs []field, p *ent.PageInfo) ([]byte, error) {
	return writeObject(b, fs, func(b []byte, f field) ([]byte, error) {
		switch f.name {
		case "__typename":
			return appendString(b, "PageInfo"), nil
		case "hasNextPage":
			return strconv.AppendBool(b, p.HasNextPage), nil
		case "hasPreviousPage":
			return strconv.AppendBool(b, p.HasPreviousPage), nil
		case "startCursor":
			return appendOptCursor(b, p.StartCursor), nil
		case "endCursor":
			return appendOptCursor(b, p.EndCursor), nil
		}
		return nil, errNotPlain
	})
}

func writeEdge(b []byte, fs []field, e *ent.EventEdge) ([]byte, error) {
	if e == nil {
		return append(b, "null"...), nil
	}
	return writeObject(b, fs, func(b []byte, f field) ([]byte, error) {
		switch f.name {
		case "__typename":
			return appendString(b, "EventEdge"), nil
		case "cursor":
			return appendCursor(b, e.Cursor), nil
		case "node":
			return writeEvent(b, f.sub, e.Node)
		}
		return nil, errNotPlain
	})
}

func writeEvent(b []byte, fs []field, e *ent.Event) ([]byte, error) {
	if e == nil {
		return append(b, "null"...), nil
	}
	return writeObject(b, fs, func(b []byte, f field) ([]byte, error) {
		switch f.name {
		case "__typename":
			return appendString(b, "Event"), nil
		case "id":
			if streamError(e) != nil {
				return nil, errNotPlain
			}
			return appendID(b, e.ID), nil
		case "type":
			return strconv.AppendQuote(b, e.Type.String()), nil
		case "typeName":
			return appendString(b, eventtype.DisplayName(string(e.Type))), nil
		case "dateStarted":
			return appendTime(b, e.DateStarted)
		case "dateFinished":
			return appendTime(b, e.DateFinished)
		case "recordedAt":
			return appendTime(b, e.RecordedAt)
		case "processed":
			return strconv.AppendInt(b, int64(e.Processed), 10), nil
		case "added":
			return strconv.AppendInt(b, int64(e.Added), 10), nil
		case "updated":
			return strconv.AppendInt(b, int64(e.Updated), 10), nil
		case "deleted":
			return strconv.AppendInt(b, int64(e.Deleted), 10), nil
		case "disabled":
			return strconv.AppendInt(b, int64(e.Disabled), 10), nil
		case "errors":
			return strconv.AppendInt(b, int64(e.Errors), 10), nil
		case "details":
			return appendString(b, e.Details), nil
		case "service":
			return appendOptString(b, e.Service), nil
		case "externalID":
			return appendOptString(b, e.ExternalID), nil
		case "user":
			switch {
			case e.UserID == nil:
				return append(b, "null"...), nil
			case e.Edges.User == nil:
				// Not loaded with the page: the resolver looks it up.
				return nil, errNotPlain
			}
			return writeUser(b, f.sub, e.Edges.User)
		case "syncProfile":
			switch {
			case e.SyncProfileID == nil:
				return append(b, "null"...), nil
			case e.Edges.SyncProfile == nil:
				return nil, errNotPlain
			}
			return writeSyncProfile(b, f.sub, e.Edges.SyncProfile)
		}
		return nil, errNotPlain
	})
}

func writeUser(b []byte, fs []field, u *ent.User) ([]byte, error) {
	return writeObject(b, fs, func(b []byte, f field) ([]byte, error) {
		switch f.name {
		case "__typename":
			return appendString(b, "User"), nil
		case "id":
			return appendID(b, u.ID), nil
		case "createTime":
			return appendTime(b, u.CreateTime)
		case "username":
			return appendString(b, u.Username), nil
		case "displayName":
			return appendString(b, u.DisplayName), nil
		case "email":
			return appendString(b, u.Email), nil
		case "role":
			return strconv.AppendQuote(b, u.Role.String()), nil
		}
		return nil, errNotPlain
	})
}

func writeSyncProfile(b []byte, fs []field, p *ent.SyncProfile) ([]byte, error) {
	return writeObject(b, fs, func(b []byte, f field) ([]byte, error) {
		switch f.name {
		case "__typename":
			return appendString(b, "SyncProfile"), nil
		case "id":
			return appendID(b, p.ID), nil
		case "createTime":
			return appendTime(b, p.CreateTime)
		case "name":
			return appendString(b, p.Name), nil
		case "kind":
			return strconv.AppendQuote(b, p.Kind.String()), nil
		}
		return nil, errNotPlain
	})
}

// appendString quotes s as gqlgen's MarshalString does: only control characters,
// backslash and the quote are escaped; everything else, invalid UTF-8 included, is
// copied as it is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendID writes an int ID as gqlgen's MarshalIntID does: as a string.
func appendID(b []byte, id int) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(id), 10)
	return append(b, '"')
}

// appendTime writes a Time! as gqlgen's MarshalTime does. The zero time is null to
// gqlgen, an error for a non-null field: left to the generated code to report.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return nil, errNotPlain
	}
	// RFC 3339 is ASCII without quotes or backslashes, so quoting it only adds the quotes.
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendOptCursor appends a nullable Cursor: null, or as MarshalCursor writes it.
func appendOptCursor(b []byte, c *entgql.Cursor[int]) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	return appendCursor(b, *c)
}
