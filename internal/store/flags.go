package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"github.com/pressly/goose/v3"

	"github.com/provreport/provreport/internal/health"
)

// flagsBackfillVersion is the goose version of the Go migration that computes the run
// flags of the events stored before the flags existed; it follows the migration that
// added the column (run_flags) on both databases.
const flagsBackfillVersion = 20261205224400

// flagsBackfill returns that migration for a database of dialect d.
func flagsBackfill(d string) *goose.Migration {
	return goose.NewGoMigration(flagsBackfillVersion,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return backfillFlags(ctx, tx, d) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE events SET flags = 0 WHERE flags <> 0")
			return err
		}})
}

// backfillFlags gives every stored run the flags it would have got when it was
// recorded: each profile's runs are read in the order the rule reads history, by
// (date_finished, id), and judged against the runs before them with the school's
// thresholds, as package health defines. Only flagged runs are written.
func backfillFlags(ctx context.Context, tx *sql.Tx, d string) error {
	settings := map[int64]health.Settings{}
	rows, err := tx.QueryContext(ctx, `SELECT id, health_delete_percent, health_disable_percent, health_update_percent,
	health_processed_drop_percent FROM schools`)
	if err != nil {
		return fmt.Errorf("backfill run flags: read schools: %w", err)
	}
	for rows.Next() {
		var id int64
		var s health.Settings
		if err := rows.Scan(&id, &s.DeletePercent, &s.DisablePercent, &s.UpdatePercent, &s.ProcessedDropPercent); err != nil {
			rows.Close()
			return fmt.Errorf("backfill run flags: read schools: %w", err)
		}
		settings[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill run flags: read schools: %w", err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT id, school_id, sync_profile_id, type, date_finished, processed, updated,
	deleted, disabled, errors FROM events WHERE sync_profile_id IS NOT NULL
	ORDER BY school_id, sync_profile_id, date_finished, id`)
	if err != nil {
		return fmt.Errorf("backfill run flags: read events: %w", err)
	}
	type update struct{ id, flags int64 }
	var updates []update
	var school, profile int64 = -1, -1
	var window []health.Run // the profile's last runs that count, oldest first
	for rows.Next() {
		var id, sc, p int64
		var r health.Run
		var finished time.Time
		if err := rows.Scan(&id, &sc, &p, &r.Type, &finished, &r.Processed, &r.Updated, &r.Deleted, &r.Disabled,
			&r.Errors); err != nil {
			rows.Close()
			return fmt.Errorf("backfill run flags: read events: %w", err)
		}
		r.DateFinished = finished
		if sc != school || p != profile {
			school, profile, window = sc, p, window[:0]
		}
		if f := health.Compute(r, window, settings[sc]); f != 0 {
			updates = append(updates, update{id, int64(f)})
		}
		if health.Counts(r) {
			if len(window) == health.BaselineRuns {
				window = append(window[:0], window[1:]...)
			}
			window = append(window, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill run flags: read events: %w", err)
	}

	// Written after the read, which holds the transaction's connection while it runs.
	set := "UPDATE events SET flags = ? WHERE id = ?"
	if d == dialect.Postgres {
		set = "UPDATE events SET flags = $1 WHERE id = $2"
	}
	stmt, err := tx.PrepareContext(ctx, set)
	if err != nil {
		return fmt.Errorf("backfill run flags: %w", err)
	}
	defer stmt.Close()
	for _, u := range updates {
		if _, err := stmt.ExecContext(ctx, u.flags, u.id); err != nil {
			return fmt.Errorf("backfill run flags of event %d: %w", u.id, err)
		}
	}
	return nil
}
