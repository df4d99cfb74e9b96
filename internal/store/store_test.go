package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql/schema"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestMigrationsMatchSchema proves the versioned migrations build exactly the schema
// ent expects: after migrating, ent's auto-migration has nothing left to do.
func TestMigrationsMatchSchema(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		var buf bytes.Buffer
		if err := db.Client.Schema.WriteTo(context.Background(), &buf, schema.WithDropIndex(true), schema.WithDropColumn(true)); err != nil {
			t.Fatalf("diff schema: %v", err)
		}
		var pending []string
		for _, line := range strings.Split(buf.String(), "\n") {
			l := strings.TrimSpace(line)
			if l == "" || l == "BEGIN;" || l == "COMMIT;" || strings.HasPrefix(l, "--") {
				continue
			}
			pending = append(pending, l)
		}
		if db.Dialect == "postgres" {
			pending = withoutRenormalisedIndexes(t, db, pending)
			// The details search's trigram indexes are expression indexes ent's schema
			// cannot state; the migration event_search owns them.
			pending = slices.DeleteFunc(pending, func(l string) bool {
				return strings.HasPrefix(l, `DROP INDEX "event_search_`)
			})
		}
		if len(pending) > 0 {
			t.Fatalf("migrations drift from the ent schema; ent would still run:\n%s", strings.Join(pending, "\n"))
		}
		n, err := db.Pending(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("pending migrations after Migrate: %d, %v", n, err)
		}
		// Migrating again is a no-op.
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "mysql://x")
	if err == nil || !strings.Contains(err.Error(), "sqlite:") {
		t.Fatalf("want a clear error, got %v", err)
	}
}

// withoutRenormalisedIndexes drops from pending each DROP INDEX x and CREATE INDEX x pair
// that only restates a partial index: PostgreSQL stores a partial index's predicate in
// its own normal form (type IN (...) becomes (type)::text = ANY (ARRAY[...])), which ent
// compares as text and so always wants to recreate. The pair is dropped only when
// PostgreSQL normalises ent's predicate to exactly the stored one: the statement is run
// under a scratch name in a rolled-back transaction and the two predicates compared.
func withoutRenormalisedIndexes(t *testing.T, db *store.DB, pending []string) []string {
	t.Helper()
	ctx := context.Background()
	predicate := func(tx *sql.Tx, name string) string {
		var p string
		err := tx.QueryRowContext(ctx, `SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND pg_table_is_visible(c.oid)`, name).Scan(&p)
		if err != nil {
			t.Fatalf("predicate of index %s: %v", name, err)
		}
		return p
	}
	creates := map[string]string{}
	for _, l := range pending {
		if rest, ok := strings.CutPrefix(l, `CREATE INDEX "`); ok && strings.Contains(l, " WHERE ") {
			creates[rest[:strings.Index(rest, `"`)]] = l
		}
	}
	restated := map[string]bool{}
	for _, l := range pending {
		name, ok := strings.CutPrefix(l, "DROP INDEX ")
		if !ok {
			continue
		}
		name = strings.Trim(strings.TrimSuffix(name, ";"), `"`)
		create, ok := creates[name]
		if !ok {
			continue
		}
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		scratch := "scratch_" + name
		_, err = tx.ExecContext(ctx, strings.Replace(create, `"`+name+`"`, `"`+scratch+`"`, 1))
		restated[name] = err == nil && predicate(tx, scratch) == predicate(tx, name)
		_ = tx.Rollback()
	}
	var out []string
	for _, l := range pending {
		name := ""
		if rest, ok := strings.CutPrefix(l, "DROP INDEX "); ok {
			name = strings.Trim(strings.TrimSuffix(rest, ";"), `"`)
		} else if rest, ok := strings.CutPrefix(l, `CREATE INDEX "`); ok {
			name = rest[:strings.Index(rest, `"`)]
		}
		if restated[name] {
			continue
		}
		out = append(out, l)
	}
	return out
}
