package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ResponseLimit caps what one response may carry, whoever asked: at most MaxErrors
// errors (as graphql-js stops validating after 100) and at most MaxBytes of data. A
// document of 200,000 unknown directives would otherwise be answered with 59 MB of
// errors.
type ResponseLimit struct {
	// MaxErrors is the most errors one response lists; the rest are summed up in one
	// more error.
	MaxErrors int
	// MaxBytes is the largest data one response may carry; larger data is replaced by
	// an error.
	MaxBytes int
}

// The response limits' defaults. A full page of 500 events, each with the most
// problems an event may have, stays within MaxResponseBytes.
const (
	DefaultMaxErrors        = 100
	DefaultMaxResponseBytes = 64 << 20
)

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = ResponseLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (ResponseLimit) ExtensionName() string { return "ResponseLimit" }

// Validate implements graphql.HandlerExtension.
func (l ResponseLimit) Validate(graphql.ExecutableSchema) error {
	if l.MaxErrors < 1 || l.MaxBytes < 1 {
		return fmt.Errorf("response limit %+v: every bound must be at least 1", l)
	}
	return nil
}

// Codes of the errors ResponseLimit adds.
const (
	CodeTooManyErrors    = "TOO_MANY_ERRORS"
	CodeResponseTooLarge = "RESPONSE_TOO_LARGE"
)

// InterceptResponse implements graphql.ResponseInterceptor.
func (l ResponseLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if len(resp.Data) > l.MaxBytes {
		resp.Data = nil
		resp.Errors = append(gqlerror.List{{
			Message:    fmt.Sprintf("the answer would be larger than %d MiB; ask for a smaller page or fewer fields", l.MaxBytes>>20),
			Extensions: map[string]any{"code": CodeResponseTooLarge},
		}}, resp.Errors...)
	}
	if n := len(resp.Errors); n > l.MaxErrors {
		resp.Errors = append(resp.Errors[:l.MaxErrors:l.MaxErrors], &gqlerror.Error{
			Message:    fmt.Sprintf("%d more errors were left out; at most %d are listed", n-l.MaxErrors, l.MaxErrors),
			Extensions: map[string]any{"code": CodeTooManyErrors},
		})
	}
	return resp
}
