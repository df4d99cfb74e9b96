package store

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"entgo.io/ent/dialect"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrate applies every pending versioned migration. It is safe to run from several
// replicas at once on PostgreSQL: goose takes an advisory lock.
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.migrator()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", d.Dialect, err)
	}
	return nil
}

// Pending reports how many migrations have not been applied; /readyz uses it.
func (d *DB) Pending(ctx context.Context) (int, error) {
	p, err := d.migrator()
	if err != nil {
		return 0, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration status: %w", err)
	}
	n := 0
	for _, s := range status {
		if s.State == goose.StatePending {
			n++
		}
	}
	return n, nil
}

func (d *DB) migrator() (*goose.Provider, error) {
	dir, gd := "migrations/sqlite", goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithGoMigrations(flagsBackfill(d.Dialect))}
	if d.Dialect == dialect.Postgres {
		dir, gd = "migrations/postgres", goose.DialectPostgres
		// Replicas starting together must not both run the same migration.
		locker, err := lockerForPostgres(context.Background(), d)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dir, err)
	}
	p, err := goose.NewProvider(gd, d.SQL, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dir, err)
	}
	return p, nil
}

// lockerForPostgres returns goose's advisory-lock locker with a lock ID of the current
// schema's own, so that databases in different schemas (tenants of a shared server, or
// parallel tests) migrate without waiting on each other; the lock is retried every
// second rather than every five.
func lockerForPostgres(ctx context.Context, d *DB) (lock.SessionLocker, error) {
	var schema string
	if err := d.SQL.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("provreport:" + schema))
	l, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return l, nil
}
