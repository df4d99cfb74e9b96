// Package store opens the database named by a URL (SQLite by default, PostgreSQL for
// production and replicas), applies the versioned migrations and hands out the ent
// client and the underlying pools.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"database/sql/driver"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/XSAM/otelsql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/provreport/provreport/ent"
	_ "github.com/provreport/provreport/ent/runtime" // registers the tenant hooks and interceptors
	"github.com/provreport/provreport/internal/report"
)

// DefaultURL is where provreport keeps its data when no database URL is given.
const DefaultURL = "sqlite:data/provreport.db"

// DB is an open database: the ent client plus the pools below it.
type DB struct {
	// Client is the ent client every package queries through.
	Client *ent.Client
	// SQL is the database/sql pool under Client.
	SQL *sql.DB
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string
	// Pool is the pgx pool under SQL on PostgreSQL, nil on SQLite.
	Pool *pgxpool.Pool
	// URL is the database URL the DB was opened with.
	URL string

	// fullAt is when a write last failed for lack of space (Unix nanoseconds), or 0.
	fullAt atomic.Int64
	// analyze keeps the statistics of tables filled by bulk requests current.
	analyze *analyzer
}

// ErrBadURL is returned for a database URL that is neither sqlite: nor postgres://.
var ErrBadURL = errors.New("database URL must start with sqlite: or postgres://")

// Option changes how Open opens a database.
type Option func(*options)

type options struct {
	tracer trace.TracerProvider
	logger *slog.Logger
}

// WithLogger is where the database's own background work (see AnalyzeIfStale) reports
// failures; without it, slog's default logger.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithTracing makes a span for each database statement run in a traced request (see
// package telemetry); a nil provider changes nothing.
func WithTracing(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracer = tp }
}

// Open opens the database at url. It does not migrate; call Migrate.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	if url == "" {
		url = DefaultURL
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(url, o)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url, o)
	default:
		return nil, fmt.Errorf("open %q: %w", redact(url), ErrBadURL)
	}
}

// sqlitePath is the file a sqlite: URL names.
func sqlitePath(url string) (string, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
	if path == "" {
		return "", fmt.Errorf("open %q: no file path: %w", url, ErrBadURL)
	}
	return path, nil
}

// mkdirFor creates the folder of a database file.
func mkdirFor(path string) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create database folder: %w", err)
		}
	}
	return nil
}

func openSQLite(url string, o options) (*DB, error) {
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	if err := mkdirFor(path); err != nil {
		return nil, err
	}
	// WAL lets readers work while a writer commits; busy_timeout makes concurrent
	// writers wait instead of failing; _txlock=immediate takes the write lock at BEGIN
	// so two transactions never deadlock upgrading; _timezone=UTC stores every time in
	// UTC so that SQLite's text comparison orders them correctly.
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_time_format=sqlite&_timezone=UTC&_txlock=immediate"
	var db *sql.DB
	if o.tracer != nil {
		db, err = otelsql.Open("sqlite", dsn, traceOptions(o.tracer, semconv.DBSystemNameSQLite)...)
	} else {
		db, err = sql.Open("sqlite", dsn)
	}
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// A small pool: SQLite has one writer, but readers run in parallel under WAL, and
	// more than one connection avoids deadlocks when a transaction is open.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	drv := entsql.OpenDB(dialect.SQLite, db)
	return &DB{Client: newClient(drv), SQL: db, Dialect: dialect.SQLite, URL: url, analyze: newAnalyzer(o.logger)}, nil
}

func openPostgres(ctx context.Context, url string, o options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse postgres URL %q: %w", redact(url), err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres %q: %w", redact(url), err)
	}
	var db *sql.DB
	if o.tracer != nil {
		db = otelsql.OpenDB(stdlib.GetPoolConnector(pool), traceOptions(o.tracer, semconv.DBSystemNamePostgreSQL)...)
	} else {
		db = stdlib.OpenDBFromPool(pool)
	}
	drv := entsql.OpenDB(dialect.Postgres, db)
	return &DB{Client: newClient(drv), SQL: db, Dialect: dialect.Postgres, Pool: pool, URL: url, analyze: newAnalyzer(o.logger)}, nil
}

// traceOptions configure otelsql: a span per statement (with its text, which ent
// writes with placeholders, never the arguments) and per transaction, only inside a
// trace already begun by a request, so that the job queue's polling and other
// background statements do not each start a trace of their own. Row iteration and
// session resets add a span each to every statement and say little, so they are left
// out.
func traceOptions(tp trace.TracerProvider, system attribute.KeyValue) []otelsql.Option {
	return []otelsql.Option{
		otelsql.WithTracerProvider(tp),
		otelsql.WithMeterProvider(noop.NewMeterProvider()),
		otelsql.WithAttributes(system),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			OmitConnResetSession: true,
			OmitRows:             true,
			OmitConnectorConnect: true,
			DisableErrSkip:       true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}),
	}
}

// newClient is the ent client of every database this program opens: the event list's
// IDs-first page (report.WithPage) is installed here, once per client.
func newClient(drv *entsql.Driver) *ent.Client {
	c := ent.NewClient(ent.Driver(drv))
	c.Event.Intercept(report.IDsFirst())
	return c
}

// Close closes the client and the pools.
func (d *DB) Close() error {
	d.analyze.stopAndWait()
	err := d.Client.Close()
	if d.Pool != nil {
		d.Pool.Close()
	}
	return err
}

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return d.SQL.PingContext(ctx)
}

// redact hides a password in a database URL for logs and errors.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	creds := url[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return url[:scheme+3] + creds[:i] + ":xxxxx" + url[at:]
	}
	return url
}
