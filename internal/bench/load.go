package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"

	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
)

// Load generates the dataset of c into db, which must be migrated and hold no schools
// of the same slugs: schools, users, sync profiles, events, and the changes of the runs
// that changed accounts. On PostgreSQL it streams every table with COPY through pgx; on
// SQLite it uses multi-row INSERTs in large transactions. Statistics are gathered after
// the last table. It returns how many events it wrote.
func Load(ctx context.Context, db *store.DB, c Config) (int, error) {
	c = c.Defaults()
	schools := c.SchoolList()
	now := time.Now().UTC()
	var l loader
	if db.Dialect == dialect.Postgres {
		l = &pgLoader{db: db}
	} else {
		l = &sqliteLoader{db: db}
	}
	if err := l.begin(ctx); err != nil {
		return 0, err
	}
	defer l.end()

	schoolIDs := make([]int64, len(schools))
	userIDs := make([][]int64, len(schools))
	profileIDs := make([][]int64, len(schools))
	rows := make([][]any, len(schools))
	for i, s := range schools {
		rows[i] = []any{now, s.Name, s.Slug, s.Timezone}
	}
	if err := l.copy(ctx, "schools", []string{"create_time", "name", "slug", "timezone"}, rows); err != nil {
		return 0, err
	}
	bySlug, err := l.ids(ctx, "SELECT slug, id FROM schools")
	if err != nil {
		return 0, err
	}
	for i, s := range schools {
		schoolIDs[i] = bySlug[s.Slug]
	}

	rows = rows[:0]
	for i, s := range schools {
		for _, u := range s.Users {
			rows = append(rows, []any{now, u.Username, u.DisplayName, u.Email, u.Role, schoolIDs[i]})
		}
	}
	if err := l.copy(ctx, "users", []string{"create_time", "username", "display_name", "email", "role", "school_id"}, rows); err != nil {
		return 0, err
	}
	rows = rows[:0]
	for i, s := range schools {
		for _, p := range s.Profiles {
			rows = append(rows, []any{now, p.Name, p.Kind, schoolIDs[i]})
		}
	}
	if err := l.copy(ctx, "sync_profiles", []string{"create_time", "name", "kind", "school_id"}, rows); err != nil {
		return 0, err
	}
	users, err := l.ids(ctx, "SELECT CAST(school_id AS TEXT) || '/' || username, id FROM users")
	if err != nil {
		return 0, err
	}
	profiles, err := l.ids(ctx, "SELECT CAST(school_id AS TEXT) || '/' || name, id FROM sync_profiles")
	if err != nil {
		return 0, err
	}
	for i, s := range schools {
		userIDs[i] = make([]int64, len(s.Users))
		for k, u := range s.Users {
			userIDs[i][k] = users[fmt.Sprintf("%d/%s", schoolIDs[i], u.Username)]
		}
		profileIDs[i] = make([]int64, len(s.Profiles))
		for k, p := range s.Profiles {
			profileIDs[i][k] = profiles[fmt.Sprintf("%d/%s", schoolIDs[i], p.Name)]
		}
	}

	// The change generator's scaling is computed once for both passes below.
	p, err := c.planChanges(schools)
	if err != nil {
		return 0, err
	}
	c.plan = &p

	// The events first, each with the counts of the changes it carries, as ingestion
	// stores them with the event.
	n := 0
	err = l.stream(ctx, "events", loadEventColumns, func(yield func([]any) error) error {
		return c.Generate(schools, func(e *Event) error {
			n++
			row := eventRow(e, schoolIDs[e.School], idAt(userIDs[e.School], e.User), idAt(profileIDs[e.School], e.Profile))
			return yield(append(row, int64(len(e.Changes)), int64(e.ChangeRows())))
		})
	})
	if err != nil {
		return n, err
	}

	if p.keep > 0 {
		if err := c.loadChanges(ctx, l, schools, schoolIDs, userIDs); err != nil {
			return n, err
		}
	}
	return n, l.finish(ctx)
}

// loadChanges writes the changes of the events Load has written: generated again (the
// generator is deterministic, and holding millions of changes until the events' IDs
// are known would take gigabytes), with the IDs of the runs that carry them.
func (c Config) loadChanges(ctx context.Context, l loader, schools []School, schoolIDs []int64, userIDs [][]int64) error {
	runs, err := l.ids(ctx, "SELECT external_id, id FROM events WHERE changes_recorded > 0 AND external_id LIKE '"+
		strings.ReplaceAll(c.Prefix, "'", "''")+"gen-%'")
	if err != nil {
		return err
	}
	return l.stream(ctx, "changes", ChangeColumns, func(yield func([]any) error) error {
		return c.Generate(schools, func(e *Event) error {
			if len(e.Changes) == 0 {
				return nil
			}
			run, ok := runs[e.ExternalID]
			if !ok {
				return fmt.Errorf("load changes: run %s was not stored", e.ExternalID)
			}
			users := schools[e.School].Users
			for i := range e.Changes {
				ch := &e.Changes[i]
				u := &users[ch.User]
				attrs, err := json.Marshal(ch.Attributes)
				if err != nil {
					return fmt.Errorf("load changes: encode attributes: %w", err)
				}
				var msg *string
				if ch.Message != "" {
					msg = &ch.Message
				}
				row := []any{schoolIDs[e.School], run, userIDs[e.School][ch.User], ch.Action, e.Finished,
					&u.DisplayName, &u.Email, json.RawMessage(attrs), msg}
				if err := yield(row); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// EventColumns are the columns of an event row as eventRow builds it.
var EventColumns = []string{"type", "date_started", "date_finished", "processed", "added", "updated", "deleted",
	"disabled", "errors", "details", "problems", "service", "external_id", "recorded_at", "school_id", "user_id", "sync_profile_id"}

// loadEventColumns are EventColumns with the counts of the event's changes, which
// Load stores with each event as ingestion does.
var loadEventColumns = append(append([]string{}, EventColumns...), "changes_recorded", "change_rows")

// ChangeColumns are the columns of a change row as Load writes it.
var ChangeColumns = []string{"school_id", "event_id", "user_id", "action", "at", "display_name", "email", "attributes", "message"}

func eventRow(e *Event, school int64, user, profile *int64) []any {
	var service *string
	if e.Service != "" {
		service = &e.Service
	}
	ext := e.ExternalID
	return []any{e.Type, e.Started, e.Finished, e.Processed, e.Added, e.Updated, e.Deleted, e.Disabled, e.Errors,
		e.Details, e.Problems, service, &ext, e.Finished.Add(2 * time.Second), school, user, profile}
}

func idAt(ids []int64, i int) *int64 {
	if i < 0 {
		return nil
	}
	return &ids[i]
}

type loader interface {
	begin(ctx context.Context) error
	copy(ctx context.Context, table string, cols []string, rows [][]any) error
	ids(ctx context.Context, query string) (map[string]int64, error)
	// stream writes the rows gen yields into table without holding them all.
	stream(ctx context.Context, table string, cols []string, gen func(yield func([]any) error) error) error
	finish(ctx context.Context) error
	end()
}

// pgLoader streams rows with COPY FROM STDIN (binary) through the pgx pool.
type pgLoader struct {
	db *store.DB
}

func (l *pgLoader) begin(ctx context.Context) error { return nil }
func (l *pgLoader) end()                            {}

func (l *pgLoader) copy(ctx context.Context, table string, cols []string, rows [][]any) error {
	if _, err := l.db.Pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

func (l *pgLoader) ids(ctx context.Context, query string) (map[string]int64, error) {
	rows, err := l.db.Pool.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	out := map[string]int64{}
	var k string
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&k, &id}, func() error { out[k] = id; return nil })
	return out, err
}

func (l *pgLoader) stream(ctx context.Context, table string, cols []string, gen func(yield func([]any) error) error) error {
	// The generator pushes rows and COPY pulls them: a goroutine and a small channel
	// join the two, so the whole dataset is never in memory.
	ch := make(chan []any, 4096)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ch)
		errc <- gen(func(row []any) error {
			select {
			case ch <- row:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-ch
		if !ok {
			return nil, nil
		}
		return r, nil
	})
	if _, err := l.db.Pool.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
		cancel()
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return <-errc
}

func (l *pgLoader) finish(ctx context.Context) error {
	// Fresh statistics and a set visibility map, as autovacuum would leave a table that
	// has been written over a year: index-only scans then work as in production.
	for _, t := range []string{"schools", "users", "sync_profiles", "events", "changes", report.RollupTable} {
		if _, err := l.db.Pool.Exec(ctx, "VACUUM (ANALYZE) "+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}

// sqliteLoader writes rows with multi-row INSERTs, 10,000 rows a transaction.
type sqliteLoader struct {
	db *store.DB
}

func (l *sqliteLoader) begin(ctx context.Context) error { return nil }
func (l *sqliteLoader) end()                            {}

func (l *sqliteLoader) copy(ctx context.Context, table string, cols []string, rows [][]any) error {
	return l.insert(ctx, table, cols, func(yield func([]any) error) error {
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *sqliteLoader) insert(ctx context.Context, table string, cols []string, gen func(yield func([]any) error) error) error {
	// SQLite binds at most 32,766 variables a statement.
	per := 32766 / len(cols)
	per = min(per, 500)
	var tx *sql.Tx
	var batch []any
	inTx := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		for i := 0; i < len(batch)/len(cols); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
		}
		if tx == nil {
			var err error
			if tx, err = l.db.SQL.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, b.String(), batch...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		inTx += len(batch) / len(cols)
		batch = batch[:0]
		if inTx >= 10000 {
			inTx = 0
			err := tx.Commit()
			tx = nil
			return err
		}
		return nil
	}
	err := gen(func(r []any) error {
		for i, v := range r {
			// The driver would store raw JSON as a BLOB; JSON columns are text.
			if raw, ok := v.(json.RawMessage); ok {
				r[i] = string(raw)
			}
		}
		batch = append(batch, r...)
		if len(batch)/len(cols) >= per {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if tx != nil {
		if err != nil {
			_ = tx.Rollback()
		} else {
			err = tx.Commit()
		}
	}
	return err
}

func (l *sqliteLoader) ids(ctx context.Context, query string) (map[string]int64, error) {
	rows, err := l.db.SQL.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		out[k] = id
	}
	return out, rows.Err()
}

func (l *sqliteLoader) stream(ctx context.Context, table string, cols []string, gen func(yield func([]any) error) error) error {
	return l.insert(ctx, table, cols, gen)
}

func (l *sqliteLoader) finish(ctx context.Context) error {
	_, err := l.db.SQL.ExecContext(ctx, "ANALYZE")
	return err
}
