package server

import (
	"mime"
	"net/http"
	"strings"

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
