package graph

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/usererr"
)

// gqlgen streams a subscription from a channel of results and has no way to send an
// error once the stream has started. To tell a client why its stream ended (it fell
// behind, or the server is shutting down), the last item sent is a stand-in event whose
// id resolver returns that error: the client receives a result with the error, then the
// stream completes.
var streamErrors sync.Map // *ent.Event → error

func streamEnd(err error) *ent.Event {
	e := &ent.Event{}
	streamErrors.Store(e, err)
	return e
}

func streamError(e *ent.Event) error {
	// Sentinels are never stored, so their ID is 0; every stored event skips the map,
	// whose misses take its lock (this runs for every event of every page).
	if e.ID != 0 {
		return nil
	}
	if v, ok := streamErrors.LoadAndDelete(e); ok {
		return v.(error)
	}
	return nil
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
	f := report.Filter{}
	if filter != nil {
		f = *filter
	}
	if err := f.Check(ctx, r.Client); err != nil {
		return nil, err
	}
	sub, err := r.Broker.Subscribe(ctx, v.SchoolID, f)
	if err != nil {
		if e := subscriptionEnded(err); e != nil {
			return nil, e
		}
		return nil, err
	}
	out := make(chan *ent.Event)
	r.feeds.Add(1)
	go func() {
		defer r.feeds.Done()
		defer close(out)
		defer sub.Close()
		ended := auth.Ended(ctx)
	deliver:
		for {
			select {
			case e, ok := <-sub.C:
				if !ok {
					break deliver
				}
				select {
				case out <- e:
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
			select {
			case out <- streamEnd(errCredentialEnded):
			case <-ctx.Done():
			}
			return
		default:
		}
		if e := subscriptionEnded(sub.Err()); e != nil {
			select {
			case out <- streamEnd(e):
			case <-ctx.Done():
			}
		}
	}()
	return out, nil
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
