package graph_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/graph"
)

// TestResponseLimit: data over the byte limit is replaced by an error, and errors past
// the cap are summed up in one.
func TestResponseLimit(t *testing.T) {
	l := graph.ResponseLimit{MaxErrors: 2, MaxBytes: 16}
	big := l.InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Data: json.RawMessage(`{"a":"0123456789abcdef"}`)}
	})
	require.Nil(t, big.Data)
	require.Len(t, big.Errors, 1)
	require.Equal(t, graph.CodeResponseTooLarge, big.Errors[0].Extensions["code"])

	small := l.InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Data: json.RawMessage(`{"a":1}`)}
	})
	require.JSONEq(t, `{"a":1}`, string(small.Data))

	many := l.InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{{Message: "1"}, {Message: "2"}, {Message: "3"}, {Message: "4"}}}
	})
	require.Len(t, many.Errors, 3)
	require.Equal(t, graph.CodeTooManyErrors, many.Errors[2].Extensions["code"])
	require.Contains(t, many.Errors[2].Message, "2 more errors")
}
