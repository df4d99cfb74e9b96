package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/usererr"
)

// CodeInternal is the extensions.code of errors whose cause is not shown.
const CodeInternal = "INTERNAL_SERVER_ERROR"

// ErrorPresenter maps errors to what a client may see: typed user errors keep their
// message and code; ent's not-found and validation errors become NOT_FOUND and
// BAD_USER_INPUT; an argument gqlgen could not read (a malformed cursor or time) is
// BAD_USER_INPUT; everything else is logged with the request ID and shown only as
// INTERNAL_SERVER_ERROR with that ID, never SQL text or a stack trace.
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if ue, ok := usererr.As(err); ok {
			gqlErr.Message = ue.Message
			gqlErr.Extensions["code"] = string(ue.Code)
			if ue.Field != "" {
				gqlErr.Extensions["field"] = ue.Field
			}
			return gqlErr
		}
		if strings.HasSuffix(err.Error(), "introspection disabled") {
			gqlErr.Message = "sign in or send an API token to introspect the schema"
			gqlErr.Extensions["code"] = string(usererr.Unauthenticated)
			return gqlErr
		}
		if _, ok := gqlErr.Extensions["code"]; ok {
			// gqlgen's own parse and validation errors already say what is wrong. Their
			// suggestions ("Did you mean …?") name fields and types of the schema, which
			// only callers who may introspect it are shown.
			if _, ok := auth.FromContext(ctx); !ok {
				gqlErr.Message = suggestion.ReplaceAllString(gqlErr.Message, "")
			}
			return gqlErr
		}
		var ve *ent.ValidationError
		switch {
		case errors.As(err, &ve):
			gqlErr.Message = ve.Error()
			gqlErr.Extensions["code"] = string(usererr.BadUserInput)
			return gqlErr
		case ent.IsNotFound(err):
			gqlErr.Message = "not found"
			gqlErr.Extensions["code"] = string(usererr.NotFound)
			return gqlErr
		case errors.Is(err, context.Canceled):
			// The client went away; nobody reads this answer and nothing failed.
			gqlErr.Message = "request cancelled"
			gqlErr.Extensions["code"] = "CANCELLED"
			return gqlErr
		case errors.Is(err, context.DeadlineExceeded):
			gqlErr.Message = "the request took too long and was stopped; narrow the filter or ask for a smaller page"
			gqlErr.Extensions["code"] = "TIMEOUT"
			return gqlErr
		case badArgument(ctx):
			gqlErr.Message = argumentMessage(gqlErr.Path, gqlErr.Message)
			gqlErr.Extensions["code"] = string(usererr.BadUserInput)
			return gqlErr
		}
		id := requestid.FromContext(ctx)
		logger.ErrorContext(ctx, "graphql internal error", "request_id", id, "path", gqlErr.Path.String(), "err", err)
		gqlErr.Message = "internal server error (request ID " + id + ")"
		gqlErr.Extensions["code"] = CodeInternal
		gqlErr.Extensions["requestID"] = id
		return gqlErr
	}
}

// badArgument reports whether the error arose while gqlgen read a field's arguments:
// the field takes arguments but none were bound. Resolver errors come after binding.
func badArgument(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Args == nil && fc.Field.Field != nil && len(fc.Field.Arguments) > 0
}

// argumentMessage names the argument gqlgen could not read the way validation errors do
// ("input[1].dateFinished: ...") and replaces parser jargon (strconv, msgpack) with
// words a person understands.
func argumentMessage(path ast.Path, msg string) string {
	switch {
	case strings.Contains(msg, "cursor"):
		msg = "is not a cursor this API gave out; pass the cursor of a previous page"
	case strings.Contains(msg, "RFC3339"):
		msg = "is not a valid time; write it in RFC 3339, e.g. 2026-03-02T09:15:00+11:00"
	case strings.Contains(msg, "strconv."):
		msg = "is not a valid ID"
	}
	var name strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&name, "[%d]", int(p))
		case ast.PathName:
			if i == 0 {
				continue // the field whose argument it is
			}
			if name.Len() > 0 {
				name.WriteByte('.')
			}
			name.WriteString(string(p))
		}
	}
	if name.Len() == 0 {
		return msg
	}
	return name.String() + ": " + msg
}

// suggestion is the hint gqlparser's validation rules end a message with.
var suggestion = regexp.MustCompile(` Did you mean [^\n]*\?$`)

// Recover turns a resolver panic into an internal error; the presenter logs it.
func Recover(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql panic", "request_id", requestid.FromContext(ctx), "panic", p)
		return errors.New("panic in resolver")
	}
}
