package graph

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/usererr"
)

// gqlgen streams a subscription from a channel of results: closing the channel
// completes the stream, and there is no value to send that means "ended with this
// error". SubscriptionEnd fills that gap for every transport (graphql-ws and SSE alike):
// a resolver calls endStream with the reason before it closes its channel, and when
// gqlgen then finds the stream finished, the extension answers one last response with
// that error (through the error presenter, so it carries extensions.code) instead of
// ending silently. The transport then completes the subscription as usual.
type SubscriptionEnd struct{}

var (
	_ graphql.HandlerExtension     = SubscriptionEnd{}
	_ graphql.OperationInterceptor = SubscriptionEnd{}
	_ graphql.ResponseInterceptor  = SubscriptionEnd{}
)

// ExtensionName implements graphql.HandlerExtension.
func (SubscriptionEnd) ExtensionName() string { return "SubscriptionEnd" }

// Validate implements graphql.HandlerExtension.
func (SubscriptionEnd) Validate(graphql.ExecutableSchema) error { return nil }

// streamEndKey keys the operation's *streamEnd in its context.
type streamEndKey struct{}

// streamEnd holds why one subscription's stream ended, until its last response says so.
type streamEnd struct {
	mu  sync.Mutex
	err error
}

// InterceptOperation implements graphql.OperationInterceptor: every subscription gets a
// place for its ending error, in the context its resolver and its responses share.
func (SubscriptionEnd) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation != ast.Subscription {
		return next(ctx)
	}
	return next(context.WithValue(ctx, streamEndKey{}, &streamEnd{}))
}

// InterceptResponse implements graphql.ResponseInterceptor: when a subscription's
// stream has finished (nil) and its resolver left an error, the client gets that error
// as one more response; the next call finishes the stream.
func (SubscriptionEnd) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil || ctx.Err() != nil {
		return resp
	}
	end, ok := ctx.Value(streamEndKey{}).(*streamEnd)
	if !ok {
		return nil
	}
	end.mu.Lock()
	err := end.err
	end.err = nil
	end.mu.Unlock()
	if err == nil {
		return nil
	}
	graphql.AddError(ctx, err)
	return &graphql.Response{Errors: graphql.GetErrors(ctx)}
}

// endStream records why the subscription of ctx is ending, for SubscriptionEnd to
// answer once the resolver has closed its channel. Without the extension (a handler
// that does not use it) the stream just completes.
func endStream(ctx context.Context, err error) {
	if end, ok := ctx.Value(streamEndKey{}).(*streamEnd); ok {
		end.mu.Lock()
		end.err = err
		end.mu.Unlock()
	}
}

// subscriptionEnded is the error a client sees when its subscription is ended by the
// server rather than by itself.
func subscriptionEnded(err error) error {
	switch {
	case errors.Is(err, live.ErrSlowSubscriber), errors.Is(err, live.ErrMissedEvents):
		return &usererr.Error{Code: "SUBSCRIPTION_OVERFLOW", Message: "this live feed fell behind and was stopped: resubscribe and refetch the report"}
	case errors.Is(err, live.ErrShutdown):
		return &usererr.Error{Code: "SERVER_SHUTTING_DOWN", Message: "the server is restarting: resubscribe in a moment and refetch the report"}
	}
	return nil
}

// errCredentialEnded ends a live feed whose credential has ended.
var errCredentialEnded = usererr.Unauthenticatedf("the credential this stream was opened with has ended (signed out, expired, revoked or no longer allowed): sign in again and resubscribe")

func (r *Resolver) eventFeed(ctx context.Context, filter *report.Filter) (<-chan *ent.Event, error) {
	v, err := auth.Require(ctx, auth.ScopeReportsRead)
	if err != nil {
		return nil, err
	}
	f := valueOf(filter)
	if err := f.Check(ctx, r.Client); err != nil {
		return nil, err
	}
	sub, err := r.Broker.Subscribe(ctx, v.SchoolID, f)
	if err != nil {
		return nil, cmp.Or(subscriptionEnded(err), err)
	}
	return follow(ctx, r, sub.C, sub, func(e *ent.Event) (*ent.Event, bool) { return e, true }), nil
}

// liveSubscription is a subscription of the live package as follow sees it: why it
// ended, and how to leave it.
type liveSubscription interface {
	Err() error
	Close()
}

// follow streams a live subscription's items, converted, on the channel gqlgen streams a
// subscription from, until the subscriber leaves (ctx ends), the server ends the
// subscription, or the credential it was opened with ends; in the last two cases the
// stream ends with a typed error saying why. convert drops an item by returning false.
func follow[T, U any](ctx context.Context, r *Resolver, in <-chan T, sub liveSubscription, convert func(T) (U, bool)) <-chan U {
	out := make(chan U)
	r.feeds.Add(1)
	go func() {
		defer r.feeds.Done()
		defer close(out)
		defer sub.Close()
		ended := auth.Ended(ctx)
	deliver:
		for {
			select {
			case item, ok := <-in:
				if !ok {
					break deliver
				}
				u, ok := convert(item)
				if !ok {
					continue
				}
				select {
				case out <- u:
				case <-ctx.Done():
					return
				case <-ended:
					break deliver
				}
			case <-ctx.Done():
				return
			case <-ended:
				break deliver
			}
		}
		select {
		case <-ended:
			// The credential the stream was opened with has ended (signed out, expired,
			// revoked or set to role NONE): say so, then end the stream.
			endStream(ctx, errCredentialEnded)
			return
		default:
		}
		if e := subscriptionEnded(sub.Err()); e != nil {
			endStream(ctx, e)
		}
	}()
	return out
}

func (r *Resolver) exportFeed(ctx context.Context, id int) (<-chan *ent.Export, error) {
	e, err := r.ExportService.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	every := r.ExportPoll
	if every <= 0 {
		every = time.Second
	}
	wake := r.ExportService.Watch(id)
	out := make(chan *ent.Export, 1)
	out <- e
	go func() {
		defer close(out)
		defer r.ExportService.Unwatch(id, wake)
		last := exportState(e)
		t := time.NewTicker(every)
		defer t.Stop()
		ended := auth.Ended(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ended:
				return
			case <-t.C:
			case <-wake:
			}
			cur, err := r.ExportService.Get(ctx, id)
			if err != nil {
				return
			}
			if s := exportState(cur); s != last {
				last = s
				select {
				case out <- cur:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// exportState is what a subscriber sees change on an export.
func exportState(e *ent.Export) string {
	s := string(e.Status)
	if e.RowCount != nil {
		s += "|rows"
	}
	if e.EmailSentAt != nil {
		s += "|sent"
	}
	if e.EmailError != nil {
		s += "|mailerr:" + *e.EmailError
	}
	if e.Error != nil {
		s += "|err:" + *e.Error
	}
	return s
}
