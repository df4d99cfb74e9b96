// Package graph is the GraphQL layer: hand-written *.graphqls, thin resolvers that hand
// off to ent and the capability packages, and gqlgen's generated executor.
package graph

import (
	"context"
	"sync"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/sso"
)

// Resolver is the root resolver; it holds the services the resolvers hand off to.
type Resolver struct {
	// Client is the ent client; the request context scopes it to the caller's school.
	Client *ent.Client
	// Dialect is the database's ent dialect name, for the few dialect-specific queries.
	Dialect string
	// Recorder writes recordEvents batches.
	Recorder *ingest.Recorder
	// Sessions signs dashboard users in and out.
	Sessions *auth.Sessions
	// Exports requests and serves CSV exports.
	ExportService *export.Service
	// Broker delivers recorded events to subscribers.
	Broker live.Broker
	// SSO manages the schools' single sign-on providers.
	SSO *sso.Service
	// ExportPoll is how often exportUpdated looks for changes made on other replicas.
	ExportPoll time.Duration
	// Now is the clock sync health is judged by; nil means time.Now. Tests move it to
	// make profiles quiet without waiting.
	Now func() time.Time

	feeds sync.WaitGroup
}

// WaitFeeds waits until every live event feed has ended and handed its last message to
// the transport, or ctx ends. Shutdown calls it after closing the broker so that
// subscribers hear why their feed ended before their connection closes.
func (r *Resolver) WaitFeeds(ctx context.Context) {
	done := make(chan struct{})
	go func() { r.feeds.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// now is the resolver's clock (Resolver.Now).
func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
