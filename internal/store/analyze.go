package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
)

// PostgreSQL plans the report's queries from each table's statistics, which autovacuum
// refreshes at most once a minute (autovacuum_naptime) and only once a tenth of the
// table has changed. A table that bulk requests fill quickly (a new installation, a
// school's history imported with provreport record) is read meanwhile with plans made
// for a handful of rows: a school's newest events are then found by reading all of them
// and sorting, 100–300 ms a page instead of well under one (docs/RELIABILITY.md).
// PostgreSQL's advice for bulk loads is to ANALYZE after them; AnalyzeIfStale does so
// for the tables ingestion fills, when their statistics lag.

// analyzeEvery is how often one process checks the statistics at most.
const analyzeEvery = 10 * time.Second

// statsDelay is how long a check waits before it reads the tables' change counts: a
// server process reports its writes to them up to a second after they commit.
const statsDelay = 2 * time.Second

// analyzer runs at most one check at a time, in the background.
type analyzer struct {
	last    atomic.Int64 // Unix nanoseconds of the last check started
	running atomic.Bool
	wg      sync.WaitGroup
	ctx     context.Context
	stop    context.CancelFunc
	logger  *slog.Logger
}

func newAnalyzer(l *slog.Logger) *analyzer {
	if l == nil {
		l = slog.Default()
	}
	a := &analyzer{logger: l}
	a.ctx, a.stop = context.WithCancel(context.Background())
	return a
}

// AnalyzeIfStale starts, in the background, an ANALYZE of each of tables whose rows
// changed since it was last analyzed by more than a fifth of its size (and by more than
// a thousand rows), unless this process checked in the last analyzeEvery. ANALYZE
// samples the table and blocks neither reads nor writes. It does nothing on SQLite,
// whose planner picks the report's indexes without statistics (the soak's SQLite reads
// were fast from the start). Close waits for a running check.
func (d *DB) AnalyzeIfStale(tables ...string) {
	if d.Dialect != dialect.Postgres {
		return
	}
	a := d.analyze
	now := time.Now().UnixNano()
	if a.ctx.Err() != nil || now-a.last.Load() < int64(analyzeEvery) || !a.running.CompareAndSwap(false, true) {
		return
	}
	a.last.Store(now)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer a.running.Store(false)
		ctx, cancel := context.WithTimeout(a.ctx, 5*time.Minute)
		defer cancel()
		select {
		case <-ctx.Done():
			return
		case <-time.After(statsDelay):
		}
		if err := d.analyzeStale(ctx, tables); err != nil && a.ctx.Err() == nil {
			a.logger.Warn("refresh table statistics", "err", err)
		}
	}()
}

// analyzeStale analyzes those of tables whose statistics lag.
func (d *DB) analyzeStale(ctx context.Context, tables []string) error {
	a := d.analyze
	rows, err := d.SQL.QueryContext(ctx, `SELECT c.relname FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
		WHERE c.oid = ANY($1::text[]::regclass[]) AND s.n_mod_since_analyze > GREATEST(1000, 0.2 * c.reltuples)`, tables)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, name)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, name := range stale {
		start := time.Now()
		// The names come from pg_class for tables this program names, not from input.
		if _, err := d.SQL.ExecContext(ctx, `ANALYZE "`+name+`"`); err != nil {
			return err
		}
		a.logger.Debug("refreshed table statistics", "table", name, "took", time.Since(start))
	}
	return nil
}

// stopAndWait cancels a running check, waits for it, and starts no other.
func (a *analyzer) stopAndWait() {
	a.stop()
	a.wg.Wait()
}
