// Package alert notices changes of sync profiles' health and tells people about them:
// it keeps each profile's last known status in the database, announces each change to
// the live feed (syncHealthChanged), and emails the school's users who asked for it
// about flagged runs, profiles that start failing or go quiet, their recovery, and a
// daily digest.
//
// Every replica recomputes statuses, right after runs are recorded and periodically as
// time passes, but a change counts only for the replica whose conditional UPDATE moves
// the profile's health_states row from the status it read to the new one. That replica
// enqueues the change's emails in the same transaction, so each change is announced and
// emailed once however many replicas run; the emails themselves are River jobs, retried
// while the SMTP server is unreachable.
package alert

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/mail"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/store"
)

// DefaultInterval is how often statuses are recomputed when nothing is recorded, so
// that a profile whose runs stopped is noticed QUIET within about this long.
const DefaultInterval = time.Minute

// DefaultSettle is Watch.Settle's default: a status change or a flagged run recorded
// is acted on within about a second, and ingestion pays for one check a second at
// most however many batches arrive.
const DefaultSettle = time.Second

// DigestHour is the local hour, in the school's time zone, from which the day's digest
// is sent.
const DigestHour = 7

// digestWindow is how long after DigestHour a replica still sends a digest that was
// not sent (all replicas down at 07:00, say); later in the day it is skipped.
const digestWindow = 5 * time.Hour

// Watch notices health changes and sends alerts.
type Watch struct {
	// DB is the database; Queue enqueues the emails in its transactions.
	DB    *store.DB
	Queue *queue.Queue
	// Broker announces changes to syncHealthChanged subscribers on every replica.
	Broker live.Broker
	// Mail sends the emails.
	Mail mail.Sender
	// PublicURL is the dashboard's address, for links in emails.
	PublicURL string
	// Interval is how often every school's statuses are recomputed; zero means
	// DefaultInterval.
	Interval time.Duration
	// Now is the clock statuses are judged by; nil means time.Now.
	Now func() time.Time
	// Logger receives failures of the background checks.
	Logger *slog.Logger
	// Settle is the least time between two checks after recording (zero means
	// DefaultSettle): an agent recording continuously has its profiles checked about
	// once per Settle rather than after every batch, each check covering every batch
	// recorded since the one before.
	Settle time.Duration

	mu      sync.Mutex
	pending map[int]map[int]struct{} // school → profiles recorded since the last check
	flagged map[int][]int            // school → flagged runs recorded since the last check
	wake    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

func (w *Watch) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Watch) settle() time.Duration {
	if w.Settle <= 0 {
		return DefaultSettle
	}
	return w.Settle
}

func (w *Watch) interval() time.Duration {
	if w.Interval <= 0 {
		return DefaultInterval
	}
	return w.Interval
}

func (w *Watch) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// inTx runs fn in a database transaction with an ent client bound to it, so that a
// status change and the jobs that email it commit together.
func (w *Watch) inTx(ctx context.Context, fn func(tx *sql.Tx, c *ent.Client) error) (err error) {
	tx, err := w.DB.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	c := ent.NewClient(ent.Driver(txDriver{entsql.NewDriver(w.DB.Dialect, entsql.Conn{ExecQuerier: tx})}))
	if err := fn(tx, c); err != nil {
		return err
	}
	return tx.Commit()
}

// txDriver runs ent on a transaction opened elsewhere.
type txDriver struct{ *entsql.Driver }

// Tx implements dialect.Driver.
func (d txDriver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d.Driver), nil }

// BeginTx keeps ent's option-taking transactions inside the outer one too.
func (d txDriver) BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error) {
	return dialect.NopTx(d.Driver), nil
}

// ph is the n-th (1-based) placeholder of the database's SQL.
func (w *Watch) ph(n int) string {
	if w.DB.Dialect == dialect.Postgres {
		return "$" + string(rune('0'+n))
	}
	return "?"
}
