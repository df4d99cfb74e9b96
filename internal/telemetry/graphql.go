package telemetry

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// scope names the instrumentation in the spans it makes.
const scope = "github.com/provreport/provreport/internal/telemetry"

// Operations is a gqlgen extension making one span per GraphQL operation, a child of
// the HTTP request's span and the parent of the operation's database statements.
//
// gqlgen runs a query's resolvers when its response handler is called, with the
// context the transport passes then, not the one the operation interceptor sees; so
// the operation interceptor wraps that handler and starts the span around each call.
// A subscription gets a span for its start (its resolver's checks and the first
// event) only: one span per event would give a long-lived feed an unbounded trace. The
// response interceptor notes the error codes of the response on the span.
type Operations struct {
	// Provider makes the spans.
	Provider trace.TracerProvider
}

var (
	_ graphql.HandlerExtension     = Operations{}
	_ graphql.OperationInterceptor = Operations{}
	_ graphql.ResponseInterceptor  = Operations{}
)

// ExtensionName names the extension for gqlgen.
func (Operations) ExtensionName() string { return "Tracing" }

// Validate accepts every schema.
func (Operations) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation wraps the operation's response handler in a span.
func (o Operations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return next(ctx)
	}
	typ := string(oc.Operation.Operation)
	name := oc.OperationName
	if name == "" {
		name = oc.Operation.Name
	}
	// The span name stays within a small set (the operation type); the client-chosen
	// operation name goes into an attribute.
	spanName := "graphql." + typ
	attrs := []attribute.KeyValue{
		attribute.String("graphql.operation.type", typ),
	}
	if name != "" {
		attrs = append(attrs, attribute.String("graphql.operation.name", name))
	}
	tracer := o.Provider.Tracer(scope)
	h := next(ctx)
	started := false
	return func(ctx context.Context) *graphql.Response {
		if oc.Operation.Operation == ast.Subscription && started {
			return h(ctx)
		}
		started = true
		ctx, span := tracer.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		defer span.End()
		return h(ctx)
	}
}

// InterceptResponse records the response's error codes (never their messages or
// paths, which may echo a caller's input) on the operation's span.
func (Operations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	span := trace.SpanFromContext(ctx)
	if resp == nil || len(resp.Errors) == 0 || !span.IsRecording() {
		return resp
	}
	var codesSeen []string
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "UNKNOWN"
		}
		if !slices.Contains(codesSeen, code) {
			codesSeen = append(codesSeen, code)
		}
	}
	span.SetAttributes(attribute.StringSlice("graphql.error.codes", codesSeen),
		attribute.Int("graphql.error.count", len(resp.Errors)))
	span.SetStatus(codes.Error, "the response carries GraphQL errors")
	return resp
}
