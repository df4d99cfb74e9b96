package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/tenant"
)

// A bulk request on PostgreSQL streams its rows with COPY into a temporary table of the
// session, then moves them into events with one INSERT … SELECT … ON CONFLICT DO
// NOTHING: COPY is the cheapest way into PostgreSQL, and the INSERT keeps what COPY
// cannot do alone (skip external IDs already stored, take IDs in input order, fire the
// triggers that keep the report cache's data version). Both run in the request's one
// transaction, on one connection.

// copyTable is the session's staging table. ON COMMIT DELETE ROWS empties it at the end
// of every transaction (a rolled-back one drops what it created), so a pooled
// connection creates it once and every request finds it empty. Its columns are those of
// pgInsertEvents' arrays, so that both paths share pgInsertRows.
const (
	copyTable  = "provreport_events_in"
	copyCreate = `CREATE TEMP TABLE IF NOT EXISTS ` + copyTable + ` (n bigint NOT NULL, type text NOT NULL,
	date_started timestamptz NOT NULL, date_finished timestamptz NOT NULL, processed bigint NOT NULL,
	added bigint NOT NULL, updated bigint NOT NULL, deleted bigint NOT NULL, disabled bigint NOT NULL,
	errors bigint NOT NULL, details text NOT NULL, problems text NOT NULL, service text NOT NULL,
	external_id text NOT NULL, user_id bigint NOT NULL, sync_profile_id bigint NOT NULL) ON COMMIT DELETE ROWS`
	copyInsert = `WITH u AS MATERIALIZED (
SELECT nextval((SELECT pg_get_serial_sequence('events', 'id'))::regclass) AS id, u.*
FROM pg_temp.` + copyTable + ` AS u ORDER BY u.n
), ins AS (` + pgInsertRows + `$1::timestamptz, $2::bigint
FROM u ORDER BY u.external_id, u.n
ON CONFLICT (school_id, external_id) DO NOTHING
RETURNING id, external_id)
SELECT id, external_id FROM ins`
)

// copyColumns names copyTable's columns in the order copyRow gives them.
var copyColumns = []string{"n", "type", "date_started", "date_finished", "processed", "added", "updated", "deleted",
	"disabled", "errors", "details", "problems", "service", "external_id", "user_id", "sync_profile_id"}

// recordCopy is recordPostgres for bulk requests, writing the new events with COPY. It
// answers repeated external IDs with the stored event's ID only (a bulk request answers
// IDs), and tries the batch again (errRaced) when a concurrent batch stored one of its
// external IDs between the look-up and the insert.
func (r *Recorder) recordCopy(ctx context.Context, in []*Input) (out, created []*ent.Event, err error) {
	schoolID, ok := tenant.SchoolID(ctx)
	if !ok {
		return nil, nil, fmt.Errorf("record events: %w", tenant.ErrNoTenant)
	}
	// COPY needs the pgx connection under database/sql, and the statements around it
	// must run in the same transaction: hold one connection for the whole request.
	conn, err := r.sql.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("record events: connect: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("record events: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	found, err := pgLookupAll(ctx, tx, schoolID, in)
	if err != nil {
		return nil, nil, err
	}
	existing := make(map[string]*ent.Event, len(found[lookupEvent]))
	for ext, id := range found[lookupEvent] {
		existing[ext] = &ent.Event{ID: int(id), SchoolID: schoolID, ExternalID: &ext}
	}
	out, slots, seen := plan(in, existing)
	if len(slots) > 0 {
		now := time.Now().UTC().Truncate(time.Microsecond)
		profiles, users := found[lookupProfile], found[lookupUser]
		if _, err = pgCreateProfiles(ctx, tx, schoolID, now, in, existing, profiles); err != nil {
			return nil, nil, err
		}
		if _, err = pgCreateUsers(ctx, tx, schoolID, now, in, existing, users); err != nil {
			return nil, nil, err
		}
		var at []int
		if created, at, err = copyEvents(ctx, conn, tx, schoolID, now, in, slots, profiles, users); err != nil {
			return nil, nil, err
		}
		for k, ev := range created {
			out[at[k]] = ev
		}
	}
	for i, e := range in {
		if out[i] == nil && e.ExternalID != nil {
			out[i] = out[seen[*e.ExternalID]]
		}
	}
	if err = tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("record events: commit: %w", err)
	}
	return out, created, nil
}

// copyEvents writes the inputs at slots into copyTable with COPY and inserts them into
// events with copyInsert, returning the created events and the input index of each.
func copyEvents(ctx context.Context, conn *sql.Conn, tx *sql.Tx, schoolID int, now time.Time, in []*Input, slots []int,
	profiles, users map[string]int64) (created []*ent.Event, at []int, err error) {
	cols, err := newColumns(in, slots, profiles, users)
	if err != nil {
		return nil, nil, err
	}
	if _, err := tx.ExecContext(ctx, copyCreate); err != nil {
		return nil, nil, fmt.Errorf("record events: staging table: %w", err)
	}
	row := make([]any, len(copyColumns))
	src := pgx.CopyFromSlice(len(slots), func(k int) ([]any, error) {
		row[0], row[1], row[2], row[3] = int64(k), cols.types[k], cols.started[k], cols.finished[k]
		row[4], row[5], row[6], row[7] = cols.processed[k], cols.added[k], cols.updated[k], cols.deleted[k]
		row[8], row[9], row[10], row[11] = cols.disabled[k], cols.errs[k], cols.details[k], cols.probs[k]
		row[12], row[13], row[14], row[15] = cols.service[k], cols.external[k], cols.userIDs[k], cols.profileIDs[k]
		return row, nil
	})
	// The transaction began on this connection's pgx.Conn, so COPY runs inside it.
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", driverConn)
		}
		n, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{"pg_temp", copyTable}, copyColumns, src)
		if err == nil && n != int64(len(slots)) {
			err = fmt.Errorf("copied %d of %d rows", n, len(slots))
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("record events: copy %d: %w", len(slots), err)
	}
	rows, err := tx.QueryContext(ctx, copyInsert, now, int64(schoolID))
	if err != nil {
		return nil, nil, fmt.Errorf("record events: insert %d: %w", len(slots), err)
	}
	defer rows.Close()
	created = make([]*ent.Event, 0, len(slots))
	for rows.Next() {
		ev := &ent.Event{}
		if err := rows.Scan(&ev.ID, &ev.ExternalID); err != nil {
			return nil, nil, fmt.Errorf("record events: insert %d: %w", len(slots), err)
		}
		created = append(created, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("record events: insert %d: %w", len(slots), err)
	}
	at, skipped, err := cols.pair(created, schoolID, now)
	if err != nil {
		return nil, nil, err
	}
	if len(skipped) > 0 {
		// A concurrent batch committed one of these external IDs after the look-up (the
		// insert waited for it): the next attempt's look-up answers with its event.
		return nil, nil, errRaced
	}
	return created, at, nil
}
