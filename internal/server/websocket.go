package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/metrics"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/usererr"
)

// Close codes of the graphql-transport-ws protocol, as the graphql-ws server library
// uses them. The graphql-ws client reports either once, as an error, and retries a 4403
// only as its retry options allow (a 4401 never); a normal close (1000) would make it
// reconnect at once, forever.
const (
	// closeUnauthorized refuses a connection_init that carried no credentials at all:
	// no API token and no session cookie.
	closeUnauthorized = 4401
	// closeForbidden refuses a connection_init whose token or session is unknown,
	// revoked or expired, and closes an open connection whose credential has ended.
	closeForbidden = 4403
	// closeInternal refuses a connection when its credential could not be read.
	closeInternal = 4500
)

// Refused connections from one address are slowed down: past a burst of
// refusalBurst, each waits before its close so that the address gets about one refusal
// a second, never waiting more than maxRefusalDelay.
const (
	refusalBurst    = 10
	refusalEvery    = time.Second
	maxRefusalDelay = 10 * time.Second
)

// websocketTransport is gqlgen's websocket transport with a liveConn for each
// connection, which the connection's init, its operations and its close code share.
type websocketTransport struct{ transport.Websocket }

// Do implements graphql.Transport.
func (t websocketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	lc := &liveConn{kind: liveWebsocket}
	t.Websocket.Do(w, r.WithContext(context.WithValue(r.Context(), liveConnKey{}, lc)), exec)
	// gqlgen returns once the connection has closed.
	if lc.closed != nil {
		lc.closed()
	}
}

// websocketImpl accepts upgrades with coder/websocket and lets a connection whose
// credential has ended close with 4403: gqlgen closes a connection whose context ends
// with a normal close (1000), which graphql-ws clients answer by reconnecting.
type websocketImpl struct {
	transport.CoderWebsocketImplementation
	refused func(reason string)
	metrics *metrics.Metrics
}

// Accept implements transport.WebsocketImplementation.
func (i websocketImpl) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.CoderWebsocketImplementation.Accept(w, r, o)
	if err != nil {
		// coder/websocket has answered already (403 for a foreign origin).
		if strings.Contains(err.Error(), "Origin") {
			i.refused("origin")
		} else {
			i.refused("handshake")
		}
		return nil, err
	}
	lc := liveConnFrom(r.Context())
	if lc != nil && i.metrics != nil {
		lc.closed = i.metrics.Opened(metrics.TransportWebsocket)
	}
	return &codedConn{WebsocketConn: c, lc: lc}, nil
}

// codedConn is an accepted websocket whose close code follows why it closes.
type codedConn struct {
	transport.WebsocketConn
	lc *liveConn
}

// WriteClose closes with 4403 when the connection's credential has ended.
func (c *codedConn) WriteClose(code int, msg string) error {
	if c.lc != nil && c.lc.forbidden.Load() {
		code, msg = closeForbidden, "Forbidden: the credential of this connection has ended"
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// SetReadLimit passes through, so that gqlgen's payload limit still applies.
func (c *codedConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline passes through, for gqlgen's ping timeouts.
func (c *codedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// websocketInit authenticates a websocket connection: by the session cookie of the
// upgrade request (already resolved by the authenticate middleware), or by an API token
// in connection_init's payload as {"Authorization": "Bearer prt_…"} or {"token": "prt_…"}.
// A refused connection closes with 4401 or 4403, as graphql-ws' own server closes it.
// An accepted one is registered, so that it is closed when its credential ends, and its
// context is tied to the server's shutdown.
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
	var cred auth.Credential
	if secret != "" {
		v, err := auth.Authenticate(ctx, s.db.Client, secret)
		if err != nil {
			if ue, ok := usererr.As(err); ok {
				return s.refuseInit(ctx, "bad_credentials", closeForbidden, "Forbidden: "+ue.Message)
			}
			s.logger.ErrorContext(ctx, "authenticate websocket", "request_id", requestid.FromContext(ctx), "err", err)
			return s.refuseInit(ctx, "error", closeInternal, "Internal server error")
		}
		ctx = auth.WithViewer(ctx, v)
		cred = auth.TokenCredential(v.TokenID)
	} else if c, ok := s.Sessions.Credential(ctx); ok {
		cred = c
	}
	v, ok := auth.FromContext(ctx)
	if !ok || (cred.TokenID == 0 && cred.UserID == 0) {
		if auth.PresentedSession(ctx) {
			return s.refuseInit(ctx, "bad_credentials", closeForbidden, "Forbidden: the session has ended; sign in again")
		}
		return s.refuseInit(ctx, "no_credentials", closeUnauthorized, "Unauthorized: "+string(errNotSignedIn))
	}
	lc := liveConnFrom(ctx)
	if lc == nil {
		// Not reached through websocketTransport; keep the connection unregistered
		// rather than refuse it.
		lc = &liveConn{kind: liveWebsocket}
		ctx = context.WithValue(ctx, liveConnKey{}, lc)
	}
	lc.live = auth.NewLive(cred, v)
	ctx = auth.WithLive(ctx, lc.live)
	ctx, cancel := context.WithCancel(ctx)
	lc.cancel = cancel
	remove := s.live.add(lc)
	stop := context.AfterFunc(s.wsCtx, cancel)
	context.AfterFunc(ctx, func() {
		stop()
		remove()
		if lc.forbidden.Load() {
			s.refused("credential_ended")
		}
	})
	return ctx, nil, nil
}

// refuseInit refuses a connection_init with a close code and reason, after a delay when
// the address has been refused often of late, and counts the refusal.
func (s *Server) refuseInit(ctx context.Context, reason string, code int, msg string) (context.Context, *transport.InitPayload, error) {
	s.refused(reason)
	if d := s.refusals.delay(auth.ClientAddr(ctx)); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if len(msg) > 123 {
		// The most a close frame's reason may hold.
		msg = msg[:123]
	}
	ctx = transport.WithWebsocketCloseCode(ctx, code)
	ctx = transport.AppendCloseReason(ctx, msg)
	return ctx, nil, initError(msg)
}

type initError string

func (e initError) Error() string { return string(e) }

const errNotSignedIn = initError("sign in, or send an API token as {\"Authorization\": \"Bearer …\"} in connection_init")

// refusalThrottle remembers, per client address, how often websockets were refused.
type refusalThrottle struct {
	limiters *lru.Cache[string, *rate.Limiter]
}

func newRefusalThrottle() *refusalThrottle {
	c, _ := lru.New[string, *rate.Limiter](10000)
	return &refusalThrottle{limiters: c}
}

// delay counts a refusal for addr and returns how long it should wait.
func (t *refusalThrottle) delay(addr string) time.Duration {
	lim := rate.NewLimiter(rate.Every(refusalEvery), refusalBurst)
	if prev, ok, _ := t.limiters.PeekOrAdd(addr, lim); ok {
		lim = prev
	}
	r := lim.Reserve()
	d := r.Delay()
	if d > maxRefusalDelay {
		// Beyond the cap the refusal does not count, so a flood does not build up a wait
		// longer than the cap for the address's next connection.
		r.Cancel()
		d = maxRefusalDelay
	}
	return d
}

// originHosts turns configured CORS origins into coder/websocket origin patterns. With a
// scheme in the pattern, coder/websocket compares scheme, host and port, so an origin
// allowed as https://site does not let http://site (a page any network attacker can
// forge) open a websocket with a user's cookie.
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Scheme == "" {
			continue
		}
		host := u.Host
		// Browsers leave a scheme's default port out of Origin.
		if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
			host = strings.TrimSuffix(u.Host, ":"+p)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+host))
	}
	return out
}
