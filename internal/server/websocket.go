package server

import (
	"context"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/provreport/provreport/internal/auth"
)

// websocketInit authenticates a websocket connection: by the session cookie of the
// upgrade request (already resolved by the authenticate middleware), or by an API token
// in connection_init's payload as {"Authorization": "Bearer prt_…"} or {"token": "prt_…"}.
// The connection's context is also tied to the server's shutdown.
func (s *Server) websocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	secret := p.Authorization()
	if secret == "" {
		secret = p.GetString("authorization")
	}
	if secret == "" {
		secret = p.GetString("token")
	}
	secret = strings.TrimSpace(secret)
	if len(secret) > 7 && strings.EqualFold(secret[:7], "bearer ") {
		secret = strings.TrimSpace(secret[7:])
	}
	if secret != "" {
		v, err := auth.Authenticate(ctx, s.db.Client, secret)
		if err != nil {
			return ctx, nil, err
		}
		ctx = auth.WithViewer(ctx, v)
	}
	if _, ok := auth.FromContext(ctx); !ok {
		return ctx, nil, errNotSignedIn
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.wsCtx, cancel)
	context.AfterFunc(ctx, func() { stop() })
	return ctx, nil, nil
}

type initError string

func (e initError) Error() string { return string(e) }

const errNotSignedIn = initError("sign in, or send an API token as {\"Authorization\": \"Bearer …\"} in connection_init")

// originHosts turns configured CORS origins into coder/websocket origin patterns
// (host names, with ports).
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}
