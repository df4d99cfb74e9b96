package server

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/metrics"
)

// sseFirst is gqlgen's Server-Sent Events transport, taken only by clients that ask for
// an event stream first (graphql-sse sends "Accept: text/event-stream"). Clients that
// merely list it among JSON types, as urql does for every request, get plain JSON: a
// signIn answered as a stream could not set its session cookie.
type sseFirst struct {
	transport.SSE
	s *Server
}

// Supports implements graphql.Transport.
func (t sseFirst) Supports(r *http.Request) bool {
	return streamsEvents(r) && t.SSE.Supports(r)
}

// streamsEvents reports whether a request asks for an event stream first.
func streamsEvents(r *http.Request) bool {
	first := strings.TrimSpace(strings.Split(r.Header.Get("Accept"), ",")[0])
	mt, _, err := mime.ParseMediaType(first)
	return err == nil && mt == "text/event-stream"
}

// Do implements graphql.Transport. A body that is not one GraphQL request is answered
// here with 400 and BAD_REQUEST, as post answers it: gqlgen's transport would quote the
// whole body, which may hold a password. An authenticated stream is registered as a
// live connection, so that it ends when its credential does.
func (t sseFirst) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = checkShape(body)
	}
	if err != nil {
		status, gqlErr := requestBodyError(err)
		writeGraphQLError(w, r, status, gqlErr.Extensions["code"].(string), gqlErr.Message)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if t.s != nil {
		defer t.s.metrics.Opened(metrics.TransportSSE)()
	}
	ctx := r.Context()
	v, ok := auth.FromContext(ctx)
	if !ok || t.s == nil {
		t.SSE.Do(w, r, exec)
		return
	}
	cred := auth.TokenCredential(v.TokenID)
	if v.TokenID == 0 {
		if cred, ok = t.s.Sessions.Credential(ctx); !ok {
			t.SSE.Do(w, r, exec)
			return
		}
	}
	lc := &liveConn{kind: liveSSE, live: auth.NewLive(cred, v)}
	ctx, lc.cancel = context.WithCancel(auth.WithLive(ctx, lc.live))
	defer lc.cancel()
	defer t.s.live.add(lc)()
	t.SSE.Do(w, r.WithContext(context.WithValue(ctx, liveConnKey{}, lc)), exec)
}
