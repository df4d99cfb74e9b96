package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/graph"
	"github.com/provreport/provreport/internal/usererr"
)

// The events budget (PROVREPORT_RECORD_RATE_LIMIT) is spent per event, not per
// request: a provisioning agent sending 1,000 events in one recordEvents batch spends
// 1,000, as it would in 1,000 requests of one. It is its own budget beside the request
// budget (PROVREPORT_RATE_LIMIT), so an agent's recording does not starve the same
// token's report queries, and a flood of events is refused without slowing anyone else.
// recordEvents learns its batch size only once gqlgen has read the variables, after the
// response's status would normally be settled; recordGate carries the refusal's status
// and headers from the GraphQL extension back out to the HTTP answer.

// recordGate is one HTTP request's way for the events budget to answer it with 429.
type recordGate struct {
	header http.Header
	key    string
	status int
}

type recordGateKey struct{}

// gateRecords lets recordBudget refuse a GraphQL request over HTTP with 429 and the
// rate-limit headers.
func gateRecords(l *limiter, next http.Handler) http.Handler {
	if !l.on() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			// A websocket answers no status; its mutations are refused anyway.
			next.ServeHTTP(w, r)
			return
		}
		g := &recordGate{header: w.Header(), key: callerKey(r)}
		next.ServeHTTP(&gatedWriter{ResponseWriter: w, gate: g}, r.WithContext(context.WithValue(r.Context(), recordGateKey{}, g)))
	})
}

// gatedWriter answers with the gate's status when the events budget refused the
// request, whatever status gqlgen chose.
type gatedWriter struct {
	http.ResponseWriter
	gate  *recordGate
	wrote bool
}

func (w *gatedWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.gate.status != 0 {
		code = w.gate.status
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *gatedWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush for event streams.
func (w *gatedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes through for streaming responses.
func (w *gatedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// recordBudget is a gqlgen extension spending a mutation's recordEvents batches (every
// recordEvents field of the operation, aliases and fragments included) from the
// caller's events budget before anything runs, and refusing the whole operation with
// TOO_MANY_REQUESTS when they do not fit.
type recordBudget struct{ l *limiter }

func (recordBudget) ExtensionName() string                   { return "RecordBudget" }
func (recordBudget) Validate(graphql.ExecutableSchema) error { return nil }

func (b recordBudget) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	n := 0
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
		if f.Name != "recordEvents" {
			continue
		}
		n += graph.RecordEventsInputs(f.ArgumentMap(oc.Variables))
	}
	if n == 0 {
		return next(ctx)
	}
	g, _ := ctx.Value(recordGateKey{}).(*recordGate)
	if g == nil {
		// Not reached over plain HTTP (an event stream): the budget still applies, the
		// status and headers cannot.
		g = &recordGate{header: http.Header{}}
	}
	why := b.l.take(g.header, g.key, n)
	if why == nil {
		return next(ctx)
	}
	g.status = http.StatusTooManyRequests
	noteErrorCode(ctx, string(usererr.TooManyRequests))
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
		Message:    b.l.message("events", n, why),
		Extensions: map[string]any{"code": string(usererr.TooManyRequests)},
	}}})
}
