//go:build ignore

// Command generate writes a new versioned migration for each database from the
// difference between the ent schema and the migrations already in the folder:
//
//	go run ./internal/store/migrations/generate.go NAME
//
// It replays the existing migrations on a scratch database (in-memory SQLite, and a
// scratch schema of the PostgreSQL at PROVREPORT_DEV_POSTGRES, default the local test
// database) and writes goose-format files, which the server applies at start.
package main

import (
	"context"
	"database/sql"
	"log"
	"os"

	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	"github.com/provreport/provreport/ent/migrate"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run ./internal/store/migrations/generate.go NAME")
	}
	name := os.Args[1]
	ctx := context.Background()
	// Atlas opens SQLite dev databases through a driver named sqlite3.
	sql.Register("sqlite3", &sqlite.Driver{})
	// and PostgreSQL ones through a driver named postgres.
	sql.Register("postgres", stdlib.GetDefaultDriver())

	pgDev := os.Getenv("PROVREPORT_DEV_POSTGRES")
	if pgDev == "" {
		pgDev = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", pgDev)
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{"DROP SCHEMA IF EXISTS atlas_dev CASCADE", "CREATE SCHEMA atlas_dev"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Fatalf("prepare dev schema: %v", err)
		}
	}
	db.Close()

	targets := []struct {
		dir, dialect, devURL string
	}{
		{"internal/store/migrations/sqlite", dialect.SQLite, "sqlite://dev?mode=memory&_pragma=foreign_keys(1)"},
		{"internal/store/migrations/postgres", dialect.Postgres, pgDev + "&search_path=atlas_dev"},
	}
	for _, t := range targets {
		dir, err := sqltool.NewGooseDir(t.dir)
		if err != nil {
			log.Fatalf("open %s: %v", t.dir, err)
		}
		err = migrate.NamedDiff(ctx, t.devURL, name,
			schema.WithDir(dir),
			schema.WithMigrationMode(schema.ModeReplay),
			schema.WithDialect(t.dialect),
			schema.WithFormatter(sqltool.GooseFormatter),
		)
		if err != nil {
			log.Fatalf("diff %s: %v", t.dialect, err)
		}
	}
}
