package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/graph"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/usererr"
)

// Error codes of operations refused on a long-lived connection.
const (
	// codeTooManySubscriptions refuses a subscription beyond the per-credential or
	// per-replica limit.
	codeTooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS"
	// codeMutationOverWebsocket refuses a mutation sent over a websocket.
	codeMutationOverWebsocket = "MUTATION_OVER_WEBSOCKET"
)

// operationGuard is a gqlgen extension that applies the rules every operation follows
// whatever its transport:
//
//   - On a websocket, the connection's credential is read again before each operation;
//     an ended credential refuses the operation (UNAUTHENTICATED) and closes the socket
//     with 4403. Mutations are refused on websockets altogether: they go over HTTP POST,
//     where cookies can be set and cleared and every request-level rule applies.
//   - Subscriptions count against a limit per credential and per replica.
//   - Queries and mutations end after the request timeout on every transport, an event
//     stream or a websocket included, and answer once; only subscriptions run as long
//     as the client stays.
type operationGuard struct {
	s       *Server
	timeout time.Duration
	subs    *subscriptionCaps
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = operationGuard{}

// ExtensionName implements graphql.HandlerExtension.
func (operationGuard) ExtensionName() string { return "OperationGuard" }

// Validate implements graphql.HandlerExtension.
func (operationGuard) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (g operationGuard) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return next(ctx)
	}
	op := oc.Operation.Operation
	if lc := liveConnFrom(ctx); lc != nil && lc.kind == liveWebsocket && lc.live != nil {
		ok, err := g.s.live.recheck(ctx, lc)
		if err != nil {
			id := requestid.FromContext(ctx)
			g.s.logger.ErrorContext(ctx, "check websocket credential", "request_id", id, "err", err)
			return refuse(&usererr.Error{Code: graph.CodeInternal, Message: "internal server error (request ID " + id + ")"})
		}
		if !ok {
			return refuse(&usererr.Error{Code: usererr.Unauthenticated,
				Message: "the credential this connection was opened with has ended (signed out, expired, revoked or no longer allowed): sign in again and reconnect"})
		}
		if op == ast.Mutation {
			return refuse(&usererr.Error{Code: codeMutationOverWebsocket,
				Message: "send mutations as HTTP POST requests to /graphql; a websocket carries subscriptions and queries"})
		}
	}
	if op == ast.Subscription {
		return g.subscribe(ctx, next)
	}
	// A query or mutation has one answer (the schema has no @defer). Streaming
	// transports ask for answers until there are none, and an interceptor that answers
	// from memory (the report cache) would otherwise answer again on every call, forever.
	h := next(ctx)
	answered := false
	return func(ctx context.Context) *graphql.Response {
		if answered {
			return nil
		}
		answered = true
		ctx, cancel := context.WithTimeout(ctx, g.timeout)
		defer cancel()
		return h(ctx)
	}
}

// subscribe counts a subscription against its limits for as long as it runs.
func (g operationGuard) subscribe(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	v, ok := auth.FromContext(ctx)
	if !ok {
		// The resolver refuses it (UNAUTHENTICATED) at once; there is nothing to count.
		return next(ctx)
	}
	release, err := g.subs.acquire(subscriberKey(ctx, v))
	if err != nil {
		return refuse(err)
	}
	var once sync.Once
	done := func() { once.Do(release) }
	stop := context.AfterFunc(ctx, done)
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil {
			stop()
			done()
		}
		return resp
	}
}

// subscriberKey names the credential a subscription counts against.
func subscriberKey(ctx context.Context, v *auth.Viewer) string {
	if l, ok := auth.LiveFrom(ctx); ok {
		return l.Credential.Key()
	}
	if v.TokenID != 0 {
		return auth.TokenCredential(v.TokenID).Key()
	}
	return auth.Credential{UserID: v.UserID}.Key()
}

// refuse answers an operation with one typed error, without running it.
func refuse(err *usererr.Error) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
		Message: err.Message, Extensions: map[string]any{"code": string(err.Code)},
	}}})
}

// subscriptionCaps counts the subscriptions open on this replica, in total and per
// credential.
type subscriptionCaps struct {
	perCredential, perReplica int

	mu    sync.Mutex
	total int
	by    map[string]int
}

func newSubscriptionCaps(perCredential, perReplica int) *subscriptionCaps {
	return &subscriptionCaps{perCredential: perCredential, perReplica: perReplica, by: map[string]int{}}
}

// acquire counts one more subscription for key, or refuses it with
// TOO_MANY_SUBSCRIPTIONS; release uncounts it.
func (c *subscriptionCaps) acquire(key string) (release func(), err *usererr.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by[key] >= c.perCredential {
		return nil, &usererr.Error{Code: codeTooManySubscriptions, Message: fmt.Sprintf(
			"this credential already has %d subscriptions open on this server, the most it may; end one before starting another", c.perCredential)}
	}
	if c.total >= c.perReplica {
		return nil, &usererr.Error{Code: codeTooManySubscriptions, Message: fmt.Sprintf(
			"this server already serves %d subscriptions, the most it may; try again later", c.perReplica)}
	}
	c.by[key]++
	c.total++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.total--
		if c.by[key]--; c.by[key] <= 0 {
			delete(c.by, key)
		}
	}, nil
}
