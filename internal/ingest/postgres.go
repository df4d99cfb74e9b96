package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/tenant"
)

// The PostgreSQL path writes a batch with a handful of statements whose text never
// changes, whatever the batch size: every per-row value travels in an array parameter.
// pgx therefore prepares each statement once per connection and reuses it, where ent's
// CreateBulk built (and PostgreSQL planned) a new ~17,000-parameter statement for every
// batch. Each statement names the school explicitly: the tenant hook that stamps ent
// creates does not run for raw SQL, so the school comes from the tenant context here.

// pgInsertEvents inserts the rows of a batch and hands their IDs to ent, which selects
// from the CTE (FROM ins AS events) so that the returned events are real ent entities:
// bound to the transaction's client, able to load their edges.
//
// The rows take their IDs in input order (u: nextval over unnest's rows in array order;
// volatile target expressions are computed after the ORDER BY), as with ent's
// CreateBulk, but are inserted in external-ID order: concurrent batches sharing external
// IDs then wait for one another in one order and cannot deadlock on the unique index.
// pgInsert pairs the returned rows with the inputs by ascending ID.
//
// ON CONFLICT DO NOTHING skips a row whose external ID a concurrent batch stored after
// this one looked the IDs up (the insert waits for that batch to commit); recordPostgres
// then answers with the stored event. Rows without an external ID never conflict (NULLs
// are distinct in the unique index event_school_id_external_id).
const pgInsertEvents = `WITH u AS MATERIALIZED (
SELECT nextval((SELECT pg_get_serial_sequence('events', 'id'))::regclass) AS id, u.*
FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
	$8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[],
	$18::bigint[], $19::bigint[], $20::bigint[])
	WITH ORDINALITY AS u(type, date_started, date_finished, processed, added, updated, deleted, disabled, errors,
	details, problems, service, external_id, user_id, sync_profile_id, flags, changes_recorded, change_rows, n)
ORDER BY u.n
), ins AS (
INSERT INTO events (id, type, date_started, date_finished, processed, added, updated, deleted, disabled, errors,
	details, problems, service, external_id, user_id, sync_profile_id, recorded_at, school_id, flags,
	changes_recorded, change_rows)
SELECT u.id, u.type, u.date_started, u.date_finished, u.processed, u.added, u.updated, u.deleted, u.disabled, u.errors,
	u.details, u.problems::jsonb, NULLIF(u.service, ''), NULLIF(u.external_id, ''), NULLIF(u.user_id, 0),
	NULLIF(u.sync_profile_id, 0), $16::timestamptz, $17::bigint, u.flags, u.changes_recorded, u.change_rows
FROM u ORDER BY u.external_id, u.n
ON CONFLICT (school_id, external_id) DO NOTHING
RETURNING id, school_id, external_id)`

// querier runs a raw statement: an ent client (in a transaction) or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// pgLookup finds, in one round trip, the batch's external IDs that are already stored
// and the IDs of the sync profiles and users it names. It looks up every name, also
// those only repeated events name: that is only a read; creating is decided after.
const pgLookup = `SELECT 0, external_id, id FROM events WHERE school_id = $1 AND external_id = ANY($2::text[])
UNION ALL
SELECT 1, name, id FROM sync_profiles WHERE school_id = $1 AND name = ANY($3::text[])
UNION ALL
SELECT 2, username, id FROM users WHERE school_id = $1 AND username = ANY($4::text[])`

// What pgLookup's first column says a row is.
const (
	lookupEvent = iota
	lookupProfile
	lookupUser
)

// The sync profile and user statements for names pgLookup did not find: insert them
// at once, and look up again those a concurrent batch inserted meanwhile. The inserts
// take names in sorted order so that two batches creating the same new names lock
// them in the same order and cannot deadlock; ON CONFLICT DO NOTHING lets the second
// wait for the first to commit and then skip its rows.
const (
	pgInsertProfiles = `INSERT INTO sync_profiles (create_time, name, kind, school_id)
SELECT $1::timestamptz, u.name, u.kind, $2::bigint FROM unnest($3::text[], $4::text[]) AS u(name, kind)
ON CONFLICT (school_id, name) DO NOTHING
RETURNING id, name`
	pgSelectProfiles = `SELECT id, name FROM sync_profiles WHERE school_id = $1 AND name = ANY($2::text[])`
	// Users created on first sight are directory accounts: display name = username, no
	// email, role NONE, no password, as the ent path creates them.
	pgInsertUsers = `INSERT INTO users (create_time, username, display_name, email, role, school_id)
SELECT $1::timestamptz, u.name, COALESCE(NULLIF(u.display, ''), u.name), '', 'NONE', $2::bigint
FROM unnest($3::text[], $4::text[]) AS u(name, display)
ON CONFLICT (school_id, username) DO NOTHING
RETURNING id, username`
	pgSelectUsers = `SELECT id, username FROM users WHERE school_id = $1 AND username = ANY($2::text[])`
)

// errRaced reports that a concurrent batch stored one of this batch's external IDs
// between the look-up and the insert (or a stored event vanished meanwhile); Record
// retries, and the look-up then sees the current state.
var errRaced = errors.New("record events: a concurrent batch changed the same external IDs")

// recordPostgres is recordEnt for PostgreSQL: the same steps and answers, in one
// transaction, with set-based statements; a batch of new events whose profiles and
// users exist takes four round trips (begin, look-up, insert, commit).
func (r *Recorder) recordPostgres(ctx context.Context, in []*Input) (out, created []*ent.Event, err error) {
	schoolID, ok := tenant.SchoolID(ctx)
	if !ok {
		return nil, nil, fmt.Errorf("record events: %w", tenant.ErrNoTenant)
	}
	tx, err := r.client.Tx(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("record events: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	c := tx.Client()

	found, err := pgLookupAll(ctx, c, schoolID, in, true)
	if err != nil {
		return nil, nil, err
	}
	existing, err := pgLoadExisting(ctx, c, keysOf(found[lookupEvent]))
	if err != nil {
		return nil, nil, err
	}

	out, slots, seen := plan(in, existing)
	if len(slots) > 0 {
		now := time.Now().UTC().Truncate(time.Microsecond)
		profiles, users := found[lookupProfile], found[lookupUser]
		var newProfiles, newUsers map[string]bool
		if newProfiles, err = pgCreateProfiles(ctx, c, schoolID, now, in, existing, profiles); err != nil {
			return nil, nil, err
		}
		if newUsers, err = pgCreateUsers(ctx, c, schoolID, now, in, existing, users); err != nil {
			return nil, nil, err
		}
		var flags []int
		if flags, err = runFlags(ctx, c, in, slots, func(name string) int { return int(profiles[name]) }); err != nil {
			return nil, nil, err
		}
		var at, skipped []int
		created, at, skipped, err = pgInsert(ctx, c, schoolID, now, in, slots, profiles, users, flags)
		if err != nil {
			return nil, nil, err
		}
		if len(skipped) > 0 {
			// ON CONFLICT skipped these rows: a concurrent batch committed their external
			// IDs after the look-up (the insert waited for that commit). Their events are
			// then existing ones, unless this transaction created a user or profile that
			// an input with such an external ID names, which the ent path would not have
			// done: try the batch again in that case.
			raced := map[string]bool{}
			for _, i := range skipped {
				raced[*in[i].ExternalID] = true
			}
			for _, e := range in {
				if e.ExternalID == nil || !raced[*e.ExternalID] {
					continue
				}
				if (!empty(e.Username) && newUsers[*e.Username]) || (!empty(e.SyncProfile) && newProfiles[*e.SyncProfile]) {
					return nil, nil, errRaced
				}
			}
			keys := make([]string, len(skipped))
			for k, i := range skipped {
				keys[k] = *in[i].ExternalID
			}
			var stored map[string]*ent.Event
			if stored, err = pgLoadExisting(ctx, c, keys); err != nil {
				return nil, nil, err
			}
			for _, i := range skipped {
				ev := stored[*in[i].ExternalID]
				out[i] = ev
				existing[*in[i].ExternalID] = ev
			}
		}
		for k, ev := range created {
			out[at[k]] = ev
		}
		if err = writeChangesPostgres(ctx, c, schoolID, in, at, created, users); err != nil {
			return nil, nil, err
		}
	}
	if err := finish(ctx, tx, in, out, seen, created, existing); err != nil {
		return nil, nil, err
	}
	return out, created, nil
}

// pgLookupAll runs pgLookup for the batch: by lookupEvent, the stored events' IDs by
// external ID; by lookupProfile and lookupUser, the IDs of the named profiles and
// users that exist.
func pgLookupAll(ctx context.Context, c querier, schoolID int, in []*Input, events bool) ([3]map[string]int64, error) {
	keys, profiles, users := make([]string, 0, len(in)), []string{}, []string{}
	seen := [3]map[string]struct{}{make(map[string]struct{}, len(in)), {}, make(map[string]struct{}, len(in))}
	add := func(list *[]string, kind int, s *string) {
		if empty(s) {
			return
		}
		if _, ok := seen[kind][*s]; !ok {
			seen[kind][*s] = struct{}{}
			*list = append(*list, *s)
		}
	}
	for _, e := range in {
		if events {
			add(&keys, lookupEvent, e.ExternalID)
		}
		add(&profiles, lookupProfile, e.SyncProfile)
		add(&users, lookupUser, e.Username)
		for _, c := range e.Changes {
			add(&users, lookupUser, &c.Username)
		}
	}
	found := [3]map[string]int64{{}, make(map[string]int64, len(profiles)), make(map[string]int64, len(users))}
	rows, err := c.QueryContext(ctx, pgLookup, schoolID, keys, profiles, users)
	if err != nil {
		return found, fmt.Errorf("record events: look up external IDs, profiles and users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var key string
		var id int64
		if err := rows.Scan(&kind, &key, &id); err != nil {
			return found, fmt.Errorf("record events: look up external IDs, profiles and users: %w", err)
		}
		found[kind][key] = id
	}
	if err := rows.Err(); err != nil {
		return found, fmt.Errorf("record events: look up external IDs, profiles and users: %w", err)
	}
	return found, nil
}

// pgLoadExisting loads the school's stored events with the given external IDs as ent
// entities, by external ID; they must all exist. Agents resend batches rarely, so this
// usually costs nothing.
func pgLoadExisting(ctx context.Context, c *ent.Client, keys []string) (map[string]*ent.Event, error) {
	found := make(map[string]*ent.Event, len(keys))
	if len(keys) == 0 {
		return found, nil
	}
	// One array parameter rather than event.ExternalIDIn's one parameter per key, so
	// that the statement text is the same for every batch. The tenant interceptor adds
	// the school.
	evs, err := c.Event.Query().Where(func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C(event.FieldExternalID)).WriteString(" = ANY(").Arg(keys).WriteString(")")
		}))
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("record events: load %d stored events: %w", len(keys), err)
	}
	for _, ev := range evs {
		found[*ev.ExternalID] = ev
	}
	if len(found) != len(keys) {
		// Deleted (by retention) since they were seen: try the batch again.
		return nil, fmt.Errorf("record events: %d of %d stored events vanished: %w", len(keys)-len(found), len(keys), errRaced)
	}
	return found, nil
}

func keysOf(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// pgCreateProfiles adds to ids the sync profiles that the inputs not already stored
// name and that do not exist yet, created with the kind inferred from the first input
// naming them. It returns the names it created. As on the ent path (ensureProfiles),
// a repeat of an external ID within the batch counts as naming too.
func pgCreateProfiles(ctx context.Context, c querier, schoolID int, now time.Time, in []*Input,
	existing map[string]*ent.Event, ids map[string]int64) (map[string]bool, error) {
	kinds := map[string]string{}
	for _, e := range in {
		if empty(e.SyncProfile) || isExisting(e, existing) {
			continue
		}
		if _, ok := ids[*e.SyncProfile]; ok {
			continue
		}
		if _, ok := kinds[*e.SyncProfile]; !ok {
			kinds[*e.SyncProfile] = eventtype.ProfileKind(string(e.Type))
		}
	}
	return pgCreate(ctx, c, "sync profiles", pgInsertProfiles, pgSelectProfiles, schoolID, kinds, ids, func(names []string) []any {
		ks := make([]string, len(names))
		for i, n := range names {
			ks[i] = kinds[n]
		}
		return []any{now, schoolID, names, ks}
	})
}

// pgCreateUsers adds to ids the users that the inputs not already stored name and that
// do not exist yet. It returns the names it created. As on the ent path (ensureUsers),
// a repeat of an external ID within the batch counts as naming too.
func pgCreateUsers(ctx context.Context, c querier, schoolID int, now time.Time, in []*Input,
	existing map[string]*ent.Event, ids map[string]int64) (map[string]bool, error) {
	missing := map[string]string{}
	for _, e := range in {
		if isExisting(e, existing) {
			continue
		}
		if u := e.Username; !empty(u) {
			if _, ok := ids[*u]; !ok {
				if _, ok := missing[*u]; !ok {
					missing[*u] = ""
				}
			}
		}
		for _, c := range e.Changes {
			if _, ok := ids[c.Username]; !ok && missing[c.Username] == "" {
				missing[c.Username] = changeDisplayName(c)
			}
		}
	}
	return pgCreate(ctx, c, "users", pgInsertUsers, pgSelectUsers, schoolID, missing, ids, func(names []string) []any {
		displays := make([]string, len(names))
		for i, n := range names {
			displays[i] = missing[n]
		}
		return []any{now, schoolID, names, displays}
	})
}

// pgCreate inserts the names that are the keys of missing with insertSQL (arguments
// from insertArgs, given the names sorted), adds their IDs to ids and returns the names
// it inserted. A name a concurrent transaction inserted meanwhile is skipped by the
// insert (ON CONFLICT DO NOTHING, after waiting for that transaction to commit) and
// found by selectSQL, which, being a new statement, sees the committed row.
func pgCreate(ctx context.Context, c querier, what, insertSQL, selectSQL string, schoolID int,
	missing map[string]string, ids map[string]int64, insertArgs func(names []string) []any) (map[string]bool, error) {
	if len(missing) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(missing))
	for n := range missing {
		names = append(names, n)
	}
	slices.Sort(names)
	inserted := map[string]int64{}
	if err := pgScanIDs(ctx, c, inserted, insertSQL, insertArgs(names)...); err != nil {
		return nil, fmt.Errorf("record events: create %d %s: %w", len(names), what, err)
	}
	created := make(map[string]bool, len(inserted))
	for n, id := range inserted {
		ids[n] = id
		created[n] = true
	}
	if names = missingNames(names, ids); len(names) == 0 {
		return created, nil
	}
	if err := pgScanIDs(ctx, c, ids, selectSQL, schoolID, names); err != nil {
		return nil, fmt.Errorf("record events: look up %s: %w", what, err)
	}
	if names = missingNames(names, ids); len(names) > 0 {
		// Inserted concurrently and deleted again before the look-up: retry the batch.
		return nil, fmt.Errorf("record events: %s %q vanished while being created: %w", what, names[0], errRaced)
	}
	return created, nil
}

// pgScanIDs runs a query returning (id, name) rows into ids.
func pgScanIDs(ctx context.Context, c querier, ids map[string]int64, query string, args ...any) error {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		ids[name] = id
	}
	return rows.Err()
}

func missingNames(names []string, ids map[string]int64) []string {
	var out []string
	for _, n := range names {
		if _, ok := ids[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// pgInsert inserts the inputs at slots with pgInsertEvents, their IDs ascending in
// slot order. It returns the events it created with the index of the input each stands
// for, in input order, and the indexes of the inputs ON CONFLICT skipped because a
// concurrent batch stored their external IDs first.
func pgInsert(ctx context.Context, c *ent.Client, schoolID int, now time.Time, in []*Input, slots []int,
	profiles, users map[string]int64, flags []int) (created []*ent.Event, at, skipped []int, err error) {
	cols, err := newColumns(in, slots, profiles, users, flags)
	if err != nil {
		return nil, nil, nil, err
	}
	args := []any{cols.types, cols.started, cols.finished, cols.processed, cols.added, cols.updated, cols.deleted,
		cols.disabled, cols.errs, cols.details, cols.probs, cols.service, cols.external, cols.userIDs, cols.profileIDs,
		now, int64(schoolID), cols.flags, cols.changesRecorded, cols.changeRows}
	q := c.Event.Query()
	// Only the ID (and the external ID, to pair rows with inputs) come back: the other
	// fields are the batch's own values, which fill sets, as ent's CreateBulk does.
	// Reading every column back cost a third of the statement's time.
	q.Select(event.FieldID, event.FieldExternalID)
	q.Modify(func(s *entsql.Selector) {
		// ent has already selected the columns of "events" and added the school
		// predicate; point them at the CTE's rows instead of the table.
		s.Prefix(entsql.Expr(pgInsertEvents, args...)).From(entsql.Table("ins").As(event.Table))
	})
	created, err = q.All(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("record events: insert %d: %w", len(slots), err)
	}
	at, skipped, err = cols.pair(created, schoolID, now)
	if err != nil {
		return nil, nil, nil, err
	}
	return created, at, skipped, nil
}

// columns are the values of the events a batch inserts, one slice per column, k-th
// entry for the k-th slot. Nullable columns hold "" and 0 for NULL, which
// pgInsertEvents turns back with NULLIF (and copyEvents with nullString and nullID): an empty service is stored as NULL anyway
// (nonEmpty), an empty external ID is refused by Check, and no row has ID 0.
type columns struct {
	in    []*Input
	slots []int

	// Plain slices, no pointers: pgx encodes []string and []int64 without reflection.
	types, details, probs, service, external           []string
	started, finished                                  []time.Time
	processed, added, updated, deleted, disabled, errs []int64
	userIDs, profileIDs, flags                         []int64
	changesRecorded, changeRows                        []int64 // of the event's changes, known before it is stored
	probVals                                           [][]eventtype.Problem
}

// newColumns lays out the inputs at slots as columns, with the IDs of the users and
// sync profiles they name.
func newColumns(in []*Input, slots []int, profiles, users map[string]int64, flags []int) (*columns, error) {
	n := len(slots)
	c := &columns{in: in, slots: slots,
		types: make([]string, n), details: make([]string, n), probs: make([]string, n),
		service: make([]string, n), external: make([]string, n),
		started: make([]time.Time, n), finished: make([]time.Time, n),
		processed: make([]int64, n), added: make([]int64, n), updated: make([]int64, n),
		deleted: make([]int64, n), disabled: make([]int64, n), errs: make([]int64, n),
		userIDs: make([]int64, n), profileIDs: make([]int64, n), flags: make([]int64, n),
		changesRecorded: make([]int64, n), changeRows: make([]int64, n),
		probVals: make([][]eventtype.Problem, n)}
	for k, i := range slots {
		e := in[i]
		c.flags[k] = int64(flags[k])
		c.changesRecorded[k], c.changeRows[k] = int64(len(e.Changes)), int64(changeRows(e.Changes))
		c.types[k] = string(e.Type)
		c.started[k] = e.DateStarted.UTC().Truncate(time.Microsecond)
		c.finished[k] = e.DateFinished.UTC().Truncate(time.Microsecond)
		c.processed[k] = int64(deref(e.Processed))
		c.added[k] = int64(deref(e.Added))
		c.updated[k] = int64(deref(e.Updated))
		c.deleted[k] = int64(deref(e.Deleted))
		c.disabled[k] = int64(deref(e.Disabled))
		c.errs[k] = int64(deref(e.Errors))
		if e.Details != nil {
			c.details[k] = *e.Details
		}
		c.probVals[k] = problems(e.Problems)
		if len(c.probVals[k]) == 0 {
			c.probs[k] = "[]" // what json.Marshal writes, without its cost for most rows
		} else {
			p, err := json.Marshal(c.probVals[k])
			if err != nil {
				return nil, fmt.Errorf("record events: encode problems of input[%d]: %w", i, err)
			}
			c.probs[k] = string(p)
		}
		if e.Service != nil {
			c.service[k] = *e.Service
		}
		if e.ExternalID != nil {
			c.external[k] = *e.ExternalID
		}
		if !empty(e.Username) {
			id, ok := users[*e.Username]
			if !ok {
				return nil, fmt.Errorf("record events: no ID for user %q", *e.Username)
			}
			c.userIDs[k] = id
		}
		if !empty(e.SyncProfile) {
			id, ok := profiles[*e.SyncProfile]
			if !ok {
				return nil, fmt.Errorf("record events: no ID for sync profile %q", *e.SyncProfile)
			}
			c.profileIDs[k] = id
		}
	}
	return c, nil
}

// fill sets the fields of the event created for slot k as ent's builders would have.
func (c *columns) fill(ev *ent.Event, k, schoolID int, now time.Time) {
	ev.SchoolID = schoolID
	ev.Type = c.in[c.slots[k]].Type
	ev.DateStarted, ev.DateFinished = c.started[k], c.finished[k]
	ev.Processed, ev.Added, ev.Updated = int(c.processed[k]), int(c.added[k]), int(c.updated[k])
	ev.Deleted, ev.Disabled, ev.Errors = int(c.deleted[k]), int(c.disabled[k]), int(c.errs[k])
	ev.Details = c.details[k]
	ev.Problems = c.probVals[k]
	ev.Service = nullString(c.service[k])
	ev.UserID = nullInt(c.userIDs[k])
	ev.SyncProfileID = nullInt(c.profileIDs[k])
	ev.RecordedAt = now
	ev.Flags = int(c.flags[k])
	ev.ChangesRecorded, ev.ChangeRows = int(c.changesRecorded[k]), int(c.changeRows[k])
}

// pair matches the inserted events (only ID and external ID read back) with their
// slots and fills in the rest. By ID, the rows are in slot order, less the skipped ones.
// Skipped rows have an external ID, unique among the slots, so walking both in step
// pairs them up; a mismatch would hand a caller another input's event, so it fails the
// batch. It returns the input index of each created event, and the skipped inputs.
func (c *columns) pair(created []*ent.Event, schoolID int, now time.Time) (at, skipped []int, err error) {
	slices.SortFunc(created, func(a, b *ent.Event) int { return a.ID - b.ID })
	at = make([]int, 0, len(created))
	j := 0
	for k, i := range c.slots {
		e := c.in[i]
		if j < len(created) && equalPtr(created[j].ExternalID, e.ExternalID) {
			c.fill(created[j], k, schoolID, now)
			at = append(at, i)
			j++
			continue
		}
		if e.ExternalID == nil {
			return nil, nil, fmt.Errorf("record events: no inserted event for input[%d]", i)
		}
		skipped = append(skipped, i)
	}
	if j != len(created) {
		return nil, nil, fmt.Errorf("record events: %d inserted events match no input", len(created)-j)
	}
	return at, skipped, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullInt(v int64) *int {
	if v == 0 {
		return nil
	}
	n := int(v)
	return &n
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// retryable reports whether a failed attempt at a batch may succeed when run again:
// a concurrent batch won a race for an external ID or a name, or PostgreSQL chose this
// transaction as a deadlock or serialization victim (batches lock external IDs and
// names in sorted order, but other writers of those tables need not).
func retryable(err error) bool {
	if ent.IsConstraintError(err) || errors.Is(err, errRaced) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
