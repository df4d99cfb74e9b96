// Package testdb gives tests a fresh, migrated database of each kind: a new SQLite file
// always, and a new schema of the PostgreSQL named by PROVREPORT_TEST_POSTGRES when that
// variable is set. Nothing is mocked.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/store"
)

// EnvPostgres names the variable holding the test PostgreSQL URL.
const EnvPostgres = "PROVREPORT_TEST_POSTGRES"

// Kinds returns the database kinds tests should run against: "sqlite", and
// "postgres" when PROVREPORT_TEST_POSTGRES is set.
func Kinds() []string {
	if os.Getenv(EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest once per database kind, each with its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh migrated database of the given kind, removed when the test ends.
func Open(t testing.TB, kind string) *store.DB {
	t.Helper()
	u := URL(t, kind)
	db, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open %s: %v", kind, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", kind, err)
	}
	if err := queue.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate job queue %s: %v", kind, err)
	}
	return db
}

// URL returns the URL of a fresh, empty database of the given kind (not migrated), for
// tests that start server processes themselves.
func URL(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		base := os.Getenv(EnvPostgres)
		if base == "" {
			t.Fatalf("%s is not set", EnvPostgres)
		}
		schema := "t_" + randHex(6)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect %s: %v", EnvPostgres, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			c, err := pgx.Connect(context.Background(), base)
			if err != nil {
				return
			}
			defer c.Close(context.Background())
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		})
		pu, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse %s: %v", EnvPostgres, err)
		}
		q := pu.Query()
		q.Set("search_path", schema)
		pu.RawQuery = q.Encode()
		return pu.String()
	default:
		t.Fatalf("unknown database kind %q", kind)
		return ""
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
