package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/provreport/provreport/internal/ingest"
)

// POST serves GraphQL over HTTP POST as gqlgen's transport.POST does (the same
// content negotiation, status codes and error messages), with two differences the
// benchmarks asked for (docs/BENCHMARKS.md, changes 12 and 15):
//
//   - A recordEvents batch is decoded once. For the request an agent sends most, a
//     recordEvents mutation whose batch arrives as a variable, gqlgen decodes the batch
//     three times over (JSON into maps, the maps checked against the schema, the maps
//     converted into ingest.Input), which costs as much CPU as writing it. POST decodes
//     it once, straight into ingest.Input, with the strict encoding/json/v2 decoder, and
//     hands gqlgen the rest of the request with an empty batch in its place; the
//     resolver takes the decoded batch from the context. It only ever takes input gqlgen
//     would take, decoded to the same values: anything else (an unknown or misspelt
//     field, a wrong JSON type, a missing required field, a value gqlgen would coerce, …)
//     is left to gqlgen, so every error a client can see is gqlgen's own.
//   - A response without errors is written as the executor produced it. gqlgen's
//     transport passes it through json.Marshal, which re-reads, validates and
//     re-compacts the whole already-encoded data (6% of an uncached page of events).
type POST struct{}

var _ graphql.Transport = POST{}

// Supports accepts what gqlgen's POST transport accepts.
func (POST) Supports(r *http.Request) bool { return transport.POST{}.Supports(r) }

// Do serves one POST request.
func (POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		// A body without Content-Length (chunked) learns of the limit only here.
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{
			Message:    fmt.Sprintf("request body is larger than the limit of %d bytes", tooLarge.Limit),
			Extensions: map[string]any{"code": "REQUEST_TOO_LARGE"},
		}}})
		return
	}
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	if bytes.Contains(body, []byte("recordEvents")) {
		if batch, rest, ok := decodeRecordEvents(body); ok {
			ctx = context.WithValue(ctx, recordBatchKey{}, batch)
			body = rest
		}
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf(
			"json request body could not be decoded: %+v body:%s", err, body)}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			if contentType == graphqlResponseJSON {
				w.WriteHeader(http.StatusBadRequest)
			} else {
				w.WriteHeader(http.StatusUnprocessableEntity)
			}
		}
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const graphqlResponseJSON = "application/graphql-response+json"

// responseContentType is the media type of the answer: application/json unless the
// request's Accept header prefers application/graphql-response+json, as gqlgen decides.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

// writeResponse writes resp: a plain answer as {"data":…} around the data the executor
// already encoded, anything else (errors, extensions, incremental parts) through
// json.Marshal as gqlgen does.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 && resp.Label == "" &&
		len(resp.Path) == 0 && resp.HasNext == nil && len(resp.Data) > 0 {
		out := make([]byte, 0, len(resp.Data)+9)
		out = append(out, `{"data":`...)
		out = append(out, resp.Data...)
		out = append(out, '}')
		_, _ = w.Write(out)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal %s: %w", resp.Data, err))
	}
	_, _ = w.Write(b)
}

type recordBatchKey struct{}

// recordInput is the batch recordEvents records: the one POST decoded for
// this request, which handed gqlgen an empty input in its place, or else input.
func recordInput(ctx context.Context, input []*ingest.Input) []*ingest.Input {
	if b, ok := ctx.Value(recordBatchKey{}).([]*ingest.Input); ok && len(input) == 0 {
		return b
	}
	return input
}

// postBody is the part of a GraphQL POST body the shortcut reads. Any other member
// sends the request down gqlgen's own path.
type postBody struct {
	Query         string                    `json:"query"`
	OperationName string                    `json:"operationName"`
	Variables     map[string]jsontext.Value `json:"variables"`
	Extensions    jsontext.Value            `json:"extensions,omitzero"`
}

var strict = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true))

// decodeRecordEvents decodes the batch of a recordEvents request and returns it with
// the body gqlgen should run instead (the same request with an empty batch); ok is
// false when the request is anything else, or when gqlgen might read it differently.
func decodeRecordEvents(body []byte) (batch []*ingest.Input, rest []byte, ok bool) {
	var p postBody
	if err := jsonv2.Unmarshal(body, &p, strict); err != nil {
		return nil, nil, false
	}
	name := batchVariable(p.Query, p.OperationName)
	raw, found := p.Variables[name]
	if name == "" || !found {
		return nil, nil, false
	}
	var in []*eventJSON
	if err := jsonv2.Unmarshal(raw, &in, strict); err != nil || len(in) == 0 {
		return nil, nil, false
	}
	batch = make([]*ingest.Input, len(in))
	for i, e := range in {
		if batch[i], ok = e.input(); !ok {
			return nil, nil, false
		}
	}
	p.Variables[name] = jsontext.Value("[]")
	rest, err := jsonv2.Marshal(p)
	if err != nil {
		return nil, nil, false
	}
	return batch, rest, true
}

// batchVariable is the name of the variable that carries the whole batch when the
// operation query runs is a mutation of exactly one field, recordEvents(input: $name),
// with the variable declared as [RecordEventInput!]! and no directives anywhere that
// matters; otherwise "". The schema check and every other rule stay gqlgen's.
func batchVariable(query, operationName string) string {
	// Bounded as gqlgen's own parse is, so that a huge query costs no more here.
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, SignedInBudget.Tokens)
	if err != nil || len(doc.Fragments) > 0 {
		return ""
	}
	op := doc.Operations.ForName(operationName)
	if op == nil || op.Operation != ast.Mutation || len(op.Directives) > 0 || len(op.SelectionSet) != 1 {
		return ""
	}
	f, isField := op.SelectionSet[0].(*ast.Field)
	if !isField || f.Name != "recordEvents" || len(f.Directives) > 0 || len(f.Arguments) != 1 {
		return ""
	}
	arg := f.Arguments[0]
	if arg.Name != "input" || arg.Value.Kind != ast.Variable {
		return ""
	}
	def := op.VariableDefinitions.ForName(arg.Value.Raw)
	if def == nil || def.DefaultValue != nil || len(def.Directives) > 0 || def.Type.String() != "[RecordEventInput!]!" {
		return ""
	}
	return def.Variable
}

// eventJSON is a RecordEventInput as JSON. Pointers tell a missing or null member from
// a present one; the conversion to ingest.Input goes through gqlgen's own scalar and
// ent's enum unmarshalers so that a value means here what it means to gqlgen.
type eventJSON struct {
	Type         *string         `json:"type"`
	DateStarted  *string         `json:"dateStarted"`
	DateFinished *string         `json:"dateFinished"`
	SyncProfile  *string         `json:"syncProfile"`
	Username     *string         `json:"username"`
	Processed    intJSON         `json:"processed"`
	Added        intJSON         `json:"added"`
	Updated      intJSON         `json:"updated"`
	Deleted      intJSON         `json:"deleted"`
	Disabled     intJSON         `json:"disabled"`
	Errors       intJSON         `json:"errors"`
	Details      *string         `json:"details"`
	Problems     *[]*problemJSON `json:"problems"`
	Service      *string         `json:"service"`
	ExternalID   *string         `json:"externalID"`
}

type problemJSON struct {
	Line    intJSON `json:"line"`
	Field   *string `json:"field"`
	Message *string `json:"message"`
}

// intJSON is an Int member: absent, null, or the literal of a JSON number. Anything
// else (gqlgen also takes a string of digits) fails the decode, which leaves the
// request to gqlgen.
type intJSON struct {
	present bool
	null    bool
	literal string
}

// UnmarshalJSONFrom implements encoding/json/v2's UnmarshalerFrom.
func (n *intJSON) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n':
		*n = intJSON{present: true, null: true}
	case '0':
		*n = intJSON{present: true, literal: string(v)}
	default:
		return errNotInt
	}
	return nil
}

var errNotInt = errors.New("not a JSON number")

// value is the Int as gqlgen's unmarshalInput gives it: the schema's default 0 when
// absent, nil when null.
func (n intJSON) value(withDefault bool) (*int, bool) {
	switch {
	case !n.present && withDefault:
		return ptr(0), true
	case !n.present || n.null:
		return nil, true
	}
	v, err := graphql.UnmarshalInt(json.Number(n.literal))
	if err != nil {
		return nil, false
	}
	return &v, true
}

func (e *eventJSON) input() (*ingest.Input, bool) {
	if e == nil || e.Type == nil || e.DateStarted == nil || e.DateFinished == nil {
		return nil, false
	}
	in := &ingest.Input{SyncProfile: e.SyncProfile, Username: e.Username, Details: e.Details,
		Service: e.Service, ExternalID: e.ExternalID}
	if err := in.Type.UnmarshalGQL(*e.Type); err != nil {
		return nil, false
	}
	var err error
	if in.DateStarted, err = graphql.UnmarshalTime(*e.DateStarted); err != nil {
		return nil, false
	}
	if in.DateFinished, err = graphql.UnmarshalTime(*e.DateFinished); err != nil {
		return nil, false
	}
	ok := true
	counts := [...]struct {
		dst **int
		src intJSON
	}{{&in.Processed, e.Processed}, {&in.Added, e.Added}, {&in.Updated, e.Updated},
		{&in.Deleted, e.Deleted}, {&in.Disabled, e.Disabled}, {&in.Errors, e.Errors}}
	for _, c := range counts {
		var good bool
		*c.dst, good = c.src.value(true)
		ok = ok && good
	}
	if e.Problems != nil {
		// gqlgen gives an empty list as an empty, non-nil slice.
		in.Problems = make([]*ingest.ProblemInput, len(*e.Problems))
		for i, p := range *e.Problems {
			if p == nil || p.Field == nil || p.Message == nil {
				return nil, false
			}
			// line is Int!: absent or null (a nil line) is gqlgen's error to report.
			line, good := p.Line.value(false)
			if !good || line == nil {
				return nil, false
			}
			in.Problems[i] = &ingest.ProblemInput{Line: *line, Field: *p.Field, Message: *p.Message}
		}
	}
	return in, ok
}
