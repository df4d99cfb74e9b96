package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
)

// listenerApp is the application_name of listener connections, so that an operator
// can tell them apart in pg_stat_activity.
const listenerApp = "provreport-live"

// catchUpPage is how many events one catch-up query reads.
const catchUpPage = 1000

// catchUpPatience is how long a catch-up waits for a subscriber's full buffer to make
// room before ending that subscription as too slow.
const catchUpPatience = 5 * time.Second

// postgres is the broker of replicas sharing a PostgreSQL database. Publish sends a
// NOTIFY naming the events; each replica listens on one dedicated connection, loads each
// notified batch once and fans it out to its own subscribers.
type postgres struct {
	db      *store.DB
	opts    Options
	channel string
	// healthChannel carries health changes, whole, as JSON.
	healthChannel string
	cfg           *pgx.ConnConfig
	hub           *hub
	health        *healthHub

	// seen belongs to the listener goroutine.
	seen *seen

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	pid                  atomic.Uint32
	reconnects, caughtUp atomic.Int64
}

func newPostgres(ctx context.Context, db *store.DB, opts Options) (*postgres, error) {
	var cfg *pgx.ConnConfig
	if db.Pool != nil {
		cfg = db.Pool.Config().ConnConfig.Copy()
	} else {
		c, err := pgx.ParseConfig(db.URL)
		if err != nil {
			return nil, fmt.Errorf("live: parse database URL: %w", err)
		}
		cfg = c
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = listenerApp

	channel := opts.Channel
	if channel == "" {
		var schema string
		if err := db.SQL.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, fmt.Errorf("live: read current schema: %w", err)
		}
		channel = channelFor(schema)
	}
	p := &postgres{
		db: db, opts: opts, channel: channel, cfg: cfg,
		healthChannel: healthChannelFor(channel),
		hub:           newHub(opts.Buffer),
		health:        newHealthHub(),
		seen:          newSeen(opts.SeenSize),
		done:          make(chan struct{}),
	}
	// The mark is taken before connecting: whatever commits after it is either
	// notified on this connection or found by a later catch-up.
	mark := time.Now()
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	go p.run(runCtx, conn, mark)
	return p, nil
}

// channelFor names the NOTIFY channel of a schema, within PostgreSQL's 63 bytes.
func channelFor(schema string) string {
	if schema == "" || schema == "public" {
		return DefaultChannel
	}
	c := DefaultChannel + ":" + schema
	if len(c) > 63 {
		sum := sha256.Sum256([]byte(schema))
		c = DefaultChannel + ":" + hex.EncodeToString(sum[:12])
	}
	return c
}

// healthChannelFor names the health changes' channel beside an events channel, within
// PostgreSQL's 63 bytes.
func healthChannelFor(channel string) string {
	c := channel + ":health"
	if len(c) > 63 {
		sum := sha256.Sum256([]byte(channel))
		c = "provreport_health:" + hex.EncodeToString(sum[:12])
	}
	return c
}

// PublishHealth notifies every replica of c; like Publish it outlives ctx's
// cancellation, because the change is committed.
func (p *postgres) PublishHealth(ctx context.Context, c HealthChange) error {
	payload, err := encodeHealth(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if p.db.Pool != nil {
		_, err = p.db.Pool.Exec(ctx, "SELECT pg_notify($1, $2)", p.healthChannel, payload)
	} else {
		_, err = p.db.SQL.ExecContext(ctx, "SELECT pg_notify($1, $2)", p.healthChannel, payload)
	}
	if err != nil {
		return fmt.Errorf("live: notify health change of sync profile %d: %w", c.ProfileID, err)
	}
	return nil
}

// SubscribeHealth adds a subscription to the school's health changes.
func (p *postgres) SubscribeHealth(ctx context.Context, schoolID int) (*HealthSubscription, error) {
	return p.health.subscribe(ctx, schoolID)
}

// Publish sends one notification per school and per 7,900 bytes of event IDs. It does
// not use ctx's cancellation: the events are committed, and a client hanging up right
// after recording them must not keep other subscribers from seeing them.
func (p *postgres) Publish(ctx context.Context, events []*ent.Event) error {
	if len(events) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// Every notification of the batch (a large batch needs one per ~650 event IDs) goes in
	// one statement, so announcing it is one round trip however many it needs. They are
	// queued in array order.
	payloads := encodePayloads(events)
	// The events are committed: a notification lost now is an event no replica delivers
	// until its listener next reconnects. Right after a database restart the pool can
	// still hold a dead connection, which fails the first try and is dropped, so a failed
	// NOTIFY is tried again on another connection (a duplicate is harmless: replicas
	// deliver each event ID once).
	var err error
	for attempt, wait := 0, 50*time.Millisecond; ; attempt, wait = attempt+1, wait*2 {
		if p.db.Pool != nil {
			_, err = p.db.Pool.Exec(ctx, notifyAll, p.channel, payloads)
		} else {
			_, err = p.db.SQL.ExecContext(ctx, notifyAll, p.channel, payloads)
		}
		if err == nil || attempt == 5 || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	if err != nil {
		return fmt.Errorf("live: notify %d events: %w", len(events), err)
	}
	return nil
}

// notifyAll sends one notification on channel $1 for each payload of $2, in order.
const notifyAll = `SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS u(p, n) ORDER BY n`

// Subscribe adds a subscription to the school's matching events.
func (p *postgres) Subscribe(ctx context.Context, schoolID int, f report.Filter) (*Subscription, error) {
	return p.hub.subscribe(ctx, schoolID, f)
}

// Stats returns the broker's counters.
func (p *postgres) Stats() Stats {
	st := Stats{Reconnects: p.reconnects.Load(), CaughtUp: p.caughtUp.Load()}
	p.hub.stats(&st)
	return st
}

// Close ends every subscription with ErrShutdown, then stops the listener.
func (p *postgres) Close() error {
	p.closeOnce.Do(func() {
		p.hub.endAll(ErrShutdown, true)
		p.health.endAll(ErrShutdown)
		p.cancel()
		<-p.done
	})
	return nil
}

// connect opens the listener connection and listens on the channel.
func (p *postgres) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		return nil, fmt.Errorf("live: connect listener: %w", err)
	}
	if err := p.listen(ctx, conn); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	p.pid.Store(conn.PgConn().PID())
	return conn, nil
}

// listen runs LISTEN. It is idempotent, so the idle listener also uses it to check its
// connection.
func (p *postgres) listen(ctx context.Context, conn *pgx.Conn) error {
	for _, ch := range []string{p.channel, p.healthChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("live: listen on %q: %w", ch, err)
		}
	}
	return nil
}

// run is the listener goroutine: it serves the connection until it fails, then
// reconnects with backoff, catches up from the mark and serves again, until Close.
//
// The mark is the last moment the listener is sure every earlier notification reached
// it; it moves only after notifications were handled or the connection proved alive, so
// a catch-up starting at the mark (less CatchUpMargin) finds whatever a dead connection
// missed.
func (p *postgres) run(ctx context.Context, conn *pgx.Conn, mark time.Time) {
	defer close(p.done)
	for {
		err := p.serve(ctx, conn, &mark)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		p.pid.Store(0)
		if ctx.Err() != nil {
			return
		}
		p.opts.Logger.Warn("live: listener connection lost; reconnecting", "channel", p.channel, "error", err)
		for {
			conn = p.reconnect(ctx)
			if conn == nil {
				return
			}
			p.reconnects.Add(1)
			started := time.Now()
			n, err := p.catchUp(ctx, mark)
			if err == nil {
				p.opts.Logger.Info("live: listener reconnected", "channel", p.channel, "caught_up", n)
				// The new connection was listening before the catch-up began.
				mark = started
				break
			}
			p.opts.Logger.Warn("live: catch-up failed; reconnecting", "channel", p.channel, "error", err)
			_ = conn.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// reconnect connects with exponential backoff and jitter; it returns nil once ctx is
// done.
func (p *postgres) reconnect(ctx context.Context) *pgx.Conn {
	delay := p.opts.ReconnectMin
	for {
		wait := delay/2 + rand.N(delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		conn, err := p.connect(ctx)
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		p.opts.Logger.Warn("live: reconnect failed", "channel", p.channel, "error", err, "retry_in", delay)
		delay = min(delay*2, p.opts.ReconnectMax)
	}
}

// serve handles notifications until the connection fails or ctx is done.
func (p *postgres) serve(ctx context.Context, conn *pgx.Conn, mark *time.Time) error {
	for {
		started := time.Now()
		wctx, cancel := context.WithTimeout(ctx, p.opts.HealthInterval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && pgconn.Timeout(err):
			// Idle: prove the connection is alive before moving the mark.
			if err := p.listen(ctx, conn); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("live: wait for notification: %w", err)
		case n.Channel == p.healthChannel:
			if c, err := decodeHealth(n.Payload); err != nil {
				p.opts.Logger.Warn("live: ignoring notification", "channel", n.Channel, "error", err)
			} else {
				p.health.deliver(c)
			}
		default:
			if err := p.handle(ctx, n.Payload); err != nil {
				// Not moving the mark lets the catch-up after reconnecting load
				// these events again.
				return err
			}
		}
		*mark = started
		p.seen.expire(started.Add(-2 * p.opts.CatchUpMargin))
	}
}

// handle loads the events a notification names, once, and fans them out.
func (p *postgres) handle(ctx context.Context, payload string) error {
	schoolID, ids, err := decodePayload(payload)
	if err != nil {
		p.opts.Logger.Warn("live: ignoring notification", "channel", p.channel, "error", err)
		return nil
	}
	fresh := ids[:0]
	for _, id := range ids {
		if !p.seen.has(id) {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// Nobody here watches the school: there is nothing to load.
	if p.hub.watching(schoolID) {
		events, err := load(ctx, p.db.Client, p.db.Dialect, schoolID, fresh)
		if err != nil {
			return fmt.Errorf("live: notified events: %w", err)
		}
		p.hub.deliverPaced(ctx, events, p.opts.Patience)
	}
	now := time.Now()
	for _, id := range fresh {
		p.seen.add(id, now)
	}
	return nil
}

// catchUp delivers the events of watched schools recorded since mark (less the margin)
// that no notification brought, and returns how many it delivered. When more than
// CatchUpLimit were missed, it ends the subscriptions with ErrMissedEvents instead.
func (p *postgres) catchUp(ctx context.Context, mark time.Time) (int, error) {
	schools := p.hub.schools()
	if len(schools) == 0 {
		return 0, nil
	}
	since := mark.Add(-p.opts.CatchUpMargin).UTC()
	q := p.db.Client.Event.Query().
		Where(event.SchoolIDIn(schools...), event.RecordedAtGTE(since)).
		Order(event.ByRecordedAt(), event.ByID()).
		Limit(catchUpPage)
	var after *ent.Event
	delivered := 0
	for {
		page := q.Clone()
		if after != nil {
			page.Where(event.Or(
				event.RecordedAtGT(after.RecordedAt),
				event.And(event.RecordedAt(after.RecordedAt), event.IDGT(after.ID)),
			))
		}
		events, err := page.WithUser().WithSyncProfile().All(tenant.System(ctx))
		if err != nil {
			return delivered, fmt.Errorf("live: catch up since %s: %w", since.Format(time.RFC3339), err)
		}
		var fresh []*ent.Event
		for _, e := range events {
			if !p.seen.has(e.ID) {
				fresh = append(fresh, e)
			}
		}
		if delivered+len(fresh) > p.opts.CatchUpLimit {
			p.opts.Logger.Warn("live: too many events missed; ending subscriptions", "channel", p.channel, "limit", p.opts.CatchUpLimit)
			p.hub.endAll(ErrMissedEvents, false)
			return delivered, nil
		}
		p.hub.deliverPaced(ctx, fresh, catchUpPatience)
		now := time.Now()
		for _, e := range fresh {
			p.seen.add(e.ID, now)
		}
		delivered += len(fresh)
		p.caughtUp.Add(int64(len(fresh)))
		if len(events) < catchUpPage {
			return delivered, nil
		}
		after = events[len(events)-1]
	}
}

// listenerPID is the backend process ID of the listener connection, or 0 while it is
// reconnecting.
func (p *postgres) listenerPID() uint32 { return p.pid.Load() }

var _ Broker = (*postgres)(nil)
var _ Broker = (*memory)(nil)
