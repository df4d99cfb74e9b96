// Package store opens the database named by a URL (SQLite by default, PostgreSQL for
// production and replicas), applies the versioned migrations and hands out the ent
// client and the underlying pools.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
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
}

// ErrBadURL is returned for a database URL that is neither sqlite: nor postgres://.
var ErrBadURL = errors.New("database URL must start with sqlite: or postgres://")

// Open opens the database at url. It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	if url == "" {
		url = DefaultURL
	}
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(url)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
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

func openSQLite(url string) (*DB, error) {
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
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// A small pool: SQLite has one writer, but readers run in parallel under WAL, and
	// more than one connection avoids deadlocks when a transaction is open.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	drv := entsql.OpenDB(dialect.SQLite, db)
	return &DB{Client: newClient(drv), SQL: db, Dialect: dialect.SQLite, URL: url}, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse postgres URL %q: %w", redact(url), err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres %q: %w", redact(url), err)
	}
	db := stdlib.OpenDBFromPool(pool)
	drv := entsql.OpenDB(dialect.Postgres, db)
	return &DB{Client: newClient(drv), SQL: db, Dialect: dialect.Postgres, Pool: pool, URL: url}, nil
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
