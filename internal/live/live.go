// Package live delivers events to live-report subscribers as they are recorded, on every
// server replica. It is the pub/sub layer behind the GraphQL subscription eventRecorded.
//
// There is one interface, Broker, with one implementation per database, chosen by New
// from the database URL: on SQLite (a single process) events fan out in memory; on
// PostgreSQL every replica publishes with NOTIFY and listens on one dedicated connection,
// loads each notified batch once and fans it out to its own subscribers, and after losing
// that connection reconnects, listens again and catches up on what it missed.
//
// A subscriber never slows ingestion: recorded events reach subscribers from one
// fan-out goroutine per replica (the listener on PostgreSQL, a queue on SQLite), never
// from the request that recorded them. Each subscription has a bounded buffer; when a
// batch arrives faster than the client reads (a bulk request delivers up to 10,000
// events at once) delivery waits up to Options.Patience for room, and a subscription
// still full after that is ended with ErrSlowSubscriber so that its client resubscribes
// and refetches.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
)

// Broker delivers recorded events to subscribers on every replica.
type Broker interface {
	// Publish announces events that were just committed; ingestion's OnRecorded calls
	// it. It never waits for subscribers. After Close it still announces to other
	// replicas (on PostgreSQL), so requests finishing during shutdown are not lost.
	Publish(ctx context.Context, events []*ent.Event) error
	// Subscribe returns a subscription to the events of school schoolID that match f
	// and are recorded after the call. Events committed just before the call, whose
	// announcement was still on its way, may be delivered too; a client that
	// subscribes and then fetches the report therefore misses nothing and de-duplicates
	// by ID. The subscription ends when ctx is done, when it is closed, when it falls
	// behind (ErrSlowSubscriber) or when the broker closes (ErrShutdown). The caller
	// checks f (report.Filter.Check) beforehand.
	Subscribe(ctx context.Context, schoolID int, f report.Filter) (*Subscription, error)
	// PublishHealth announces a change of a sync profile's health status to the
	// school's health subscribers on every replica. Changes are not caught up after a
	// PostgreSQL listener reconnects: a client that resubscribes reads SyncProfile.health.
	PublishHealth(ctx context.Context, c HealthChange) error
	// SubscribeHealth returns a subscription to the health changes of school schoolID
	// published after the call; it ends like Subscribe's.
	SubscribeHealth(ctx context.Context, schoolID int) (*HealthSubscription, error)
	// Stats returns the broker's counters, for metrics.
	Stats() Stats
	// Close stops the broker and promptly ends every subscription with ErrShutdown.
	Close() error
}

// ErrSlowSubscriber ends a subscription whose buffer overflowed because its client did
// not keep up. The client should resubscribe and refetch the report.
var ErrSlowSubscriber = errors.New("live: subscriber too slow: resubscribe and refetch")

// ErrShutdown ends every subscription when the broker closes, and is returned by
// Subscribe after that.
var ErrShutdown = errors.New("live: server shutting down")

// ErrClosed ends a subscription its owner closed with Subscription.Close.
var ErrClosed = errors.New("live: subscription closed")

// ErrMissedEvents ends the subscriptions of a PostgreSQL replica that was disconnected
// for so long that catching up would exceed Options.CatchUpLimit events. The client
// should resubscribe and refetch the report.
var ErrMissedEvents = errors.New("live: too many events missed while reconnecting: resubscribe and refetch")

// DefaultPatience is how long delivery waits for a subscriber's full buffer by default.
const DefaultPatience = 2 * time.Second

// DefaultChannel is the NOTIFY channel of a database whose tables live in the public
// schema; other schemas get their own channel (see Options.Channel).
const DefaultChannel = "provreport_events"

// Options tune a Broker. The zero value is ready to use.
type Options struct {
	// Buffer is how many undelivered events one subscription may hold; zero means 256.
	Buffer int
	// Patience is how long delivery waits for a full subscription buffer to make room
	// before ending the subscription with ErrSlowSubscriber; zero means 2 seconds, and
	// a negative value ends it at once. A client that reads at its usual pace empties
	// its buffer between two events of a large batch; one that stopped reading holds up
	// the replica's other subscribers for this long once, then is dropped.
	Patience time.Duration
	// Channel is the PostgreSQL NOTIFY channel. Empty means DefaultChannel when the
	// tables live in the public schema and DefaultChannel + ":" + schema otherwise,
	// because notifications are database-wide while event IDs are per schema.
	Channel string
	// Logger receives reconnects and failures; nil discards them.
	Logger *slog.Logger

	// CatchUpMargin is how far before the last moment the listener was known to be
	// connected a catch-up starts reading, by recorded_at. It must cover the longest
	// ingestion transaction and the clock skew between replicas; zero means 1 minute.
	CatchUpMargin time.Duration
	// CatchUpLimit bounds how many events one catch-up loads; when more were missed,
	// the replica's subscriptions end with ErrMissedEvents instead. Zero means 10,000.
	CatchUpLimit int
	// SeenSize bounds how many recently notified event IDs a replica remembers to
	// deliver each event once; zero means 100,000.
	SeenSize int
	// HealthInterval is how often an idle listener checks its connection; zero means
	// 15 seconds.
	HealthInterval time.Duration
	// ReconnectMin and ReconnectMax bound the listener's reconnect backoff; zero means
	// 100 milliseconds and 10 seconds.
	ReconnectMin, ReconnectMax time.Duration
}

func (o *Options) defaults() {
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	switch {
	case o.Patience == 0:
		o.Patience = DefaultPatience
	case o.Patience < 0:
		o.Patience = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CatchUpMargin <= 0 {
		o.CatchUpMargin = time.Minute
	}
	if o.CatchUpLimit <= 0 {
		o.CatchUpLimit = 10_000
	}
	if o.SeenSize <= 0 {
		o.SeenSize = 100_000
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 15 * time.Second
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = 100 * time.Millisecond
	}
	if o.ReconnectMax <= 0 {
		o.ReconnectMax = 10 * time.Second
	}
	if o.ReconnectMax < o.ReconnectMin {
		o.ReconnectMax = o.ReconnectMin
	}
}

// Stats are a broker's counters since it started.
type Stats struct {
	// Delivered counts events handed to subscriptions (one per subscription).
	Delivered int64
	// Dropped counts subscriptions ended with ErrSlowSubscriber or ErrMissedEvents.
	Dropped int64
	// Open is the number of subscriptions open now.
	Open int64
	// Reconnects counts how often the PostgreSQL listener reconnected.
	Reconnects int64
	// CaughtUp counts events a PostgreSQL listener found by catching up after a
	// reconnect rather than through a notification.
	CaughtUp int64
}

// New returns the broker for db: in memory on SQLite, LISTEN/NOTIFY on PostgreSQL. On
// PostgreSQL it returns once the listener is listening, so that a Subscribe after New
// sees every event published after it.
func New(ctx context.Context, db *store.DB, opts Options) (Broker, error) {
	opts.defaults()
	switch db.Dialect {
	case dialect.Postgres:
		return newPostgres(ctx, db, opts)
	case dialect.SQLite:
		return newMemory(db, opts), nil
	default:
		return nil, fmt.Errorf("live: no broker for database dialect %q", db.Dialect)
	}
}
