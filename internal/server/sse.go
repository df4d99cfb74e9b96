package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

)

// sseFirst is gqlgen's Server-Sent Events transport, taken only by clients that ask for
// an event stream first (graphql-sse sends "Accept: text/event-stream"). Clients that
// merely list it among JSON types, as urql does for every request, get plain JSON: a
// signIn answered as a stream could not set its session cookie.
type sseFirst struct{ transport.SSE }

// Supports implements graphql.Transport.
func (t sseFirst) Supports(r *http.Request) bool {
	first := strings.TrimSpace(strings.Split(r.Header.Get("Accept"), ",")[0])
	mt, _, err := mime.ParseMediaType(first)
	if err != nil || mt != "text/event-stream" {
		return false
	}
	return t.SSE.Supports(r)
}

// Do implements graphql.Transport. A body that is not one GraphQL request is answered
// here with 400 and BAD_REQUEST: gqlgen's transport would quote the whole body in its
// answer and in the standard logger, and the body may hold a password.
func (t sseFirst) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		err = dec.Decode(&graphql.RawParams{})
	}
	if err != nil {
		status, gqlErr := requestBodyError(err)
		writeGraphQLError(w, status, gqlErr.Extensions["code"].(string), gqlErr.Message)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.SSE.Do(w, r, exec)
}
