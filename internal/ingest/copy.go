package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/tenant"
)

// A bulk request on PostgreSQL writes its new events with COPY straight into events,
// the cheapest way into PostgreSQL: COPY inserts rows in batches where an INSERT …
// SELECT … ON CONFLICT inserts them one by one, each speculatively (measured at 10,000
// events, the INSERT from a staging table took a quarter longer than COPY itself).
//
// COPY has no ON CONFLICT and returns no IDs, so the request
//   - first copies every event, without looking up its external ID: agents resend a
//     request rarely, and the look-up of 10,000 external IDs cost 20–30 ms of a
//     ~540 ms request. A stored external ID makes COPY fail on the unique index, and
//     the request starts again, looking up the external IDs already stored (as the
//     recordEvents path does) and copying only the others;
//   - takes its IDs from the events' sequence first, ascending in input order, as ent's
//     CreateBulk and the array path number them;
//   - copies in external-ID order, so that two requests sharing external IDs wait for
//     one another in one order rather than deadlock;
//   - and when a concurrent request stored one of its external IDs after the look-up
//     (the unique index refuses the row once that request commits), rolls back and
//     starts again: the next look-up finds the stored event.
// Everything runs in the request's one transaction, on one connection; the statement
// triggers that move the report cache's data version fire for COPY as for INSERT.

// copyColumns names the columns copyEvents writes, in the order of its rows.
var copyColumns = []string{"id", "type", "date_started", "date_finished", "processed", "added", "updated", "deleted",
	"disabled", "errors", "details", "problems", "service", "external_id", "user_id", "sync_profile_id",
	"recorded_at", "school_id", "flags", "changes_recorded", "change_rows"}

// copyIDs takes n IDs from the events' sequence.
const copyIDs = `SELECT nextval((SELECT pg_get_serial_sequence('events', 'id'))::regclass) FROM generate_series(1, $1)`

// recordCopy is recordPostgres for bulk requests, writing the new events with COPY. It
// answers repeated external IDs with the stored event's ID only (a bulk request answers
// IDs). Without lookup it assumes that no external ID is stored yet.
func (r *Recorder) recordCopy(ctx context.Context, in []*Input, lookup bool) (out, created []*ent.Event, err error) {
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

	found, err := pgLookupAll(ctx, tx, schoolID, in, lookup)
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
		// The flags' history is read in this transaction, through ent on the same
		// connection, so that it sees the profiles created above.
		c := ent.NewClient(ent.Driver(entsql.NewDriver(dialect.Postgres, entsql.Conn{ExecQuerier: tx})))
		var flags []int
		if flags, err = runFlags(ctx, c, in, slots, func(name string) int { return int(profiles[name]) }); err != nil {
			return nil, nil, err
		}
		if created, err = copyEvents(ctx, conn, tx, schoolID, now, in, slots, profiles, users, flags); err != nil {
			return nil, nil, err
		}
		for k, ev := range created {
			out[slots[k]] = ev
		}
		if err = writeChangesPostgres(ctx, tx, schoolID, in, slots, created, users); err != nil {
			return nil, nil, err
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

// copyEvents numbers the inputs at slots and writes them into events with COPY,
// returning the created events in slot order.
func copyEvents(ctx context.Context, conn *sql.Conn, tx *sql.Tx, schoolID int, now time.Time, in []*Input, slots []int,
	profiles, users map[string]int64, flags []int) ([]*ent.Event, error) {
	cols, err := newColumns(in, slots, profiles, users, flags)
	if err != nil {
		return nil, err
	}
	ids, err := takeIDs(ctx, tx, len(slots))
	if err != nil {
		return nil, err
	}
	// Rows in external-ID order (see above); IDs stay in input order.
	order := make([]int, len(slots))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(cols.external[a], cols.external[b]) })
	row := make([]any, len(copyColumns))
	school := int64(schoolID)
	src := pgx.CopyFromSlice(len(order), func(j int) ([]any, error) {
		k := order[j]
		row[0], row[1], row[2], row[3] = ids[k], cols.types[k], cols.started[k], cols.finished[k]
		row[4], row[5], row[6], row[7] = cols.processed[k], cols.added[k], cols.updated[k], cols.deleted[k]
		row[8], row[9], row[10], row[11] = cols.disabled[k], cols.errs[k], cols.details[k], json.RawMessage(cols.probs[k])
		row[12], row[13], row[14], row[15] = nullString(cols.service[k]), nullString(cols.external[k]), nullID(cols.userIDs[k]), nullID(cols.profileIDs[k])
		row[16], row[17], row[18] = now, school, cols.flags[k]
		row[19], row[20] = cols.changesRecorded[k], cols.changeRows[k]
		return row, nil
	})
	// The transaction began on this connection's pgx.Conn, so COPY runs inside it.
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", driverConn)
		}
		n, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{"events"}, copyColumns, src)
		if err == nil && n != int64(len(slots)) {
			err = fmt.Errorf("copied %d of %d rows", n, len(slots))
		}
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "event_school_id_external_id" {
		// COPY has no ON CONFLICT: one of the external IDs was stored before (the first
		// attempt does not look them up) or by a concurrent request after the look-up,
		// the race recordPostgres meets; RecordBulk tries again with the look-up.
		return nil, fmt.Errorf("record events: copy met a stored external ID: %w: %w", errRaced, err)
	}
	if err != nil {
		return nil, fmt.Errorf("record events: copy %d: %w", len(slots), err)
	}
	created := make([]*ent.Event, len(slots))
	for k := range slots {
		created[k] = &ent.Event{ID: int(ids[k]), ExternalID: nullString(cols.external[k])}
		cols.fill(created[k], k, schoolID, now)
	}
	return created, nil
}

// takeIDs takes n IDs from the events' sequence, ascending.
func takeIDs(ctx context.Context, tx *sql.Tx, n int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, copyIDs, n)
	if err != nil {
		return nil, fmt.Errorf("record events: take %d IDs: %w", n, err)
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("record events: take %d IDs: %w", n, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record events: take %d IDs: %w", n, err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("record events: took %d of %d IDs", len(ids), n)
	}
	slices.Sort(ids)
	return ids, nil
}

// nullID is NULL for 0 (columns' way of holding no reference), else the ID.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
