// Package ingest records the events provisioning agents report: a batch is validated
// whole, unknown sync profiles and users are created, repeated external IDs are
// answered with the event already stored, and everything is written in one transaction.
//
// On PostgreSQL a batch is written with a few set-based statements of constant text
// (postgres.go); on SQLite through ent's builders. Both give the same answers.
package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/usererr"
)

// MaxBatch is the most events one recordEvents call may record.
const MaxBatch = 1000

// MaxBulk is the most events one bulk request (POST /api/v1/events) may record.
const MaxBulk = 10_000

// MaxDetails is the largest details text an event may carry, in bytes.
const MaxDetails = 64 << 10

// maxName bounds names and keys, matching the columns' limits.
const maxName = 255

// MaxCount is the largest count (processed, added, …) one event may report: more than
// any school's directory holds, and small enough that sums over billions of events fit
// in 64 bits.
const MaxCount = 10_000_000

// MaxProblems is the most problem rows one event may carry, and MaxProblemMessage the
// longest message of one.
const (
	MaxProblems       = 1000
	MaxProblemMessage = 4 << 10
)

// Input is one event as an agent reports it (the GraphQL RecordEventInput).
type Input struct {
	Type event.Type
	// StartedAt and FinishedAt are when the run or login started and finished. The
	// deprecated names DateStarted and DateFinished are still accepted: Check moves
	// them here, and refuses an event that gives both names with different instants.
	StartedAt    time.Time
	FinishedAt   time.Time
	DateStarted  time.Time
	DateFinished time.Time
	SyncProfile  *string
	Username     *string
	Processed    *int
	Added        *int
	Updated      *int
	Deleted      *int
	Disabled     *int
	Errors       *int
	Details      *string
	Problems     []*ProblemInput
	Service      *string
	ExternalID   *string
	Changes      []*ChangeInput
}

// ChangeInput is what the run did to one account, as reported (the GraphQL ChangeInput).
type ChangeInput struct {
	Action      change.Action
	Username    string
	DisplayName *string
	Email       *string
	Attributes  []*eventtype.AttributeChange
	Message     *string
}

// ProblemInput is one CSV problem row as reported (the GraphQL ProblemInput).
type ProblemInput struct {
	Line    int
	Field   string
	Message string
}

// Recorder writes batches of events.
type Recorder struct {
	client *ent.Client
	// sql is the database under client; bulk requests on PostgreSQL COPY through it.
	sql *sql.DB
	// OnRecorded, when set, is called after a batch commits with the events it created
	// (not the ones that already existed); the live feed hangs off it.
	OnRecorded func(ctx context.Context, created []*ent.Event)

	// dialect is the database's SQL dialect: PostgreSQL gets set-based statements.
	dialect string
	// analyze refreshes the statistics of the tables batches fill when they lag.
	analyze func(tables ...string)
}

// NewRecorder returns a Recorder writing to db.
func NewRecorder(db *store.DB) *Recorder {
	return &Recorder{client: db.Client, sql: db.SQL, dialect: db.Dialect, analyze: db.AnalyzeIfStale}
}

// Validate checks a batch without touching the database, naming the first bad row and
// field.
func Validate(in []*Input) error {
	return validate(in, MaxBatch)
}

func validate(in []*Input, most int) error {
	if len(in) == 0 {
		return usererr.BadInput("input", "at least one event is required")
	}
	if len(in) > most {
		return usererr.BadInput("input", "%d events in one batch; at most %d", len(in), most)
	}
	for i, e := range in {
		if err := Check(e); err != nil {
			ue, _ := usererr.As(err)
			return usererr.BadInput(fmt.Sprintf("input[%d].%s", i, ue.Field), "%s", ue.Message)
		}
	}
	return checkBatchChanges(in)
}

// Check checks one event, naming the bad field (relative to the event) in the
// *usererr.Error it returns. It also settles the deprecated instant names: afterwards
// StartedAt and FinishedAt hold the instants and DateStarted and DateFinished equal them.
func Check(e *Input) error {
	if err := event.TypeValidator(e.Type); err != nil {
		return &usererr.Error{Field: "type", Message: fmt.Sprintf("unknown event type %q", e.Type)}
	}
	for _, p := range []struct {
		name, old string
		now, was  *time.Time
	}{{"startedAt", "dateStarted", &e.StartedAt, &e.DateStarted}, {"finishedAt", "dateFinished", &e.FinishedAt, &e.DateFinished}} {
		switch {
		case p.now.IsZero() && p.was.IsZero():
			return &usererr.Error{Field: p.name, Message: "is required"}
		case p.now.IsZero():
			*p.now = *p.was
		case !p.was.IsZero() && !p.was.Equal(*p.now):
			return &usererr.Error{Field: p.old, Message: fmt.Sprintf("differs from %s: give only %s (%s is its deprecated name)", p.name, p.name, p.old)}
		}
		*p.was = *p.now
	}
	if e.StartedAt.After(e.FinishedAt) {
		return &usererr.Error{Field: "startedAt", Message: "is after finishedAt"}
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"processed", e.Processed}, {"added", e.Added}, {"updated", e.Updated}, {"deleted", e.Deleted}, {"disabled", e.Disabled}, {"errors", e.Errors}} {
		if c.v != nil && *c.v < 0 {
			return &usererr.Error{Field: c.name, Message: fmt.Sprintf("must not be negative (got %d)", *c.v)}
		}
		if c.v != nil && *c.v > MaxCount {
			return &usererr.Error{Field: c.name, Message: fmt.Sprintf("is %d; at most %d", *c.v, MaxCount)}
		}
	}
	if e.Details != nil && len(*e.Details) > MaxDetails {
		return &usererr.Error{Field: "details", Message: fmt.Sprintf("is %d bytes; at most %d", len(*e.Details), MaxDetails)}
	}
	auth := eventtype.IsAuth(string(e.Type))
	switch {
	case auth && empty(e.Username):
		return &usererr.Error{Field: "username", Message: fmt.Sprintf("is required for %s events", e.Type)}
	case auth && !empty(e.SyncProfile):
		return &usererr.Error{Field: "syncProfile", Message: fmt.Sprintf("must be empty for %s events", e.Type)}
	case !auth && empty(e.SyncProfile):
		return &usererr.Error{Field: "syncProfile", Message: fmt.Sprintf("is required for %s events", e.Type)}
	}
	for _, s := range []struct {
		name string
		v    *string
	}{{"syncProfile", e.SyncProfile}, {"username", e.Username}, {"service", e.Service}, {"externalID", e.ExternalID}} {
		if s.v != nil && len(*s.v) > maxName {
			return &usererr.Error{Field: s.name, Message: fmt.Sprintf("is longer than %d bytes", maxName)}
		}
	}
	for _, s := range []struct {
		name string
		v    *string
	}{{"syncProfile", e.SyncProfile}, {"username", e.Username}, {"service", e.Service}, {"externalID", e.ExternalID}, {"details", e.Details}} {
		if s.v != nil && strings.IndexByte(*s.v, 0) >= 0 {
			return &usererr.Error{Field: s.name, Message: "must not contain a NUL character"}
		}
	}
	if len(e.Problems) > MaxProblems {
		return &usererr.Error{Field: "problems", Message: fmt.Sprintf("has %d rows; at most %d", len(e.Problems), MaxProblems)}
	}
	if e.ExternalID != nil && *e.ExternalID == "" {
		return &usererr.Error{Field: "externalID", Message: "must not be empty when given"}
	}
	for j, p := range e.Problems {
		if p == nil {
			continue
		}
		if p.Line < 0 {
			return &usererr.Error{Field: fmt.Sprintf("problems[%d].line", j), Message: "must not be negative"}
		}
		if len(p.Message) > MaxProblemMessage {
			return &usererr.Error{Field: fmt.Sprintf("problems[%d].message", j), Message: fmt.Sprintf("is longer than %d bytes", MaxProblemMessage)}
		}
		if len(p.Field) > maxName {
			return &usererr.Error{Field: fmt.Sprintf("problems[%d].field", j), Message: fmt.Sprintf("is longer than %d bytes", maxName)}
		}
		if strings.IndexByte(p.Message, 0) >= 0 || strings.IndexByte(p.Field, 0) >= 0 {
			return &usererr.Error{Field: fmt.Sprintf("problems[%d]", j), Message: "must not contain a NUL character"}
		}
	}
	return checkChanges(e)
}

func empty(s *string) bool { return s == nil || *s == "" }

// Record validates and writes a batch, returning one event per input in input order.
// ctx must be scoped to the school the events belong to.
func (r *Recorder) Record(ctx context.Context, in []*Input) ([]*ent.Event, error) {
	write := r.recordEnt
	if r.dialect == dialect.Postgres {
		write = r.recordPostgres
	}
	out, _, err := r.record(ctx, in, MaxBatch, write)
	return out, err
}

// RecordBulk is Record for a bulk request of up to MaxBulk events, in one transaction.
// It also says how many of the inputs were stored before (by this batch or an earlier
// one) and answered with the stored event rather than a new one.
func (r *Recorder) RecordBulk(ctx context.Context, in []*Input) (out []*ent.Event, duplicates int, err error) {
	write := r.recordEnt
	if r.dialect == dialect.Postgres {
		// The first attempt copies without looking up the external IDs (see recordCopy);
		// an attempt after one met a stored external ID looks them up.
		lookup := false
		write = func(ctx context.Context, in []*Input) (out, created []*ent.Event, err error) {
			out, created, err = r.recordCopy(ctx, in, lookup)
			lookup = true
			return out, created, err
		}
	}
	out, created, err := r.record(ctx, in, MaxBulk, write)
	if err != nil {
		return nil, 0, err
	}
	return out, len(in) - created, nil
}

// record validates a batch of at most most events and writes it with write, returning
// the events in input order and how many of them it created.
func (r *Recorder) record(ctx context.Context, in []*Input, most int,
	write func(context.Context, []*Input) (out, created []*ent.Event, err error)) ([]*ent.Event, int, error) {
	if err := validate(in, most); err != nil {
		return nil, 0, err
	}
	var out, created []*ent.Event
	var err error
	// A concurrent batch with the same external ID or new profile name can win the race
	// to insert; the retry then finds its row and answers with it.
	for attempt := 0; attempt < 3; attempt++ {
		out, created, err = write(ctx, in)
		if err == nil || !retryable(err) {
			break
		}
	}
	if err != nil {
		return nil, 0, err
	}
	if len(created) > 0 {
		r.analyze(event.Table, change.Table, report.RollupTable)
		if r.OnRecorded != nil {
			r.OnRecorded(ctx, created)
		}
	}
	return out, len(created), nil
}

// recordEnt writes a batch through ent's builders; it serves SQLite (PostgreSQL has
// recordPostgres).
func (r *Recorder) recordEnt(ctx context.Context, in []*Input) (out, created []*ent.Event, err error) {
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

	existing, err := existingByExternalID(ctx, c, in)
	if err != nil {
		return nil, nil, err
	}
	profiles, err := ensureProfiles(ctx, c, in, existing)
	if err != nil {
		return nil, nil, err
	}
	users, err := ensureUsers(ctx, c, in, existing)
	if err != nil {
		return nil, nil, err
	}

	now := time.Now().UTC().Truncate(time.Microsecond)
	out, slots, seen := plan(in, existing)
	flags, err := runFlags(ctx, c, in, slots, func(name string) int { return profiles[name] })
	if err != nil {
		return nil, nil, err
	}
	builders := make([]*ent.EventCreate, 0, len(slots))
	for k, i := range slots {
		e := in[i]
		b := c.Event.Create().
			SetType(e.Type).
			SetDateStarted(e.DateStarted.UTC().Truncate(time.Microsecond)).
			SetDateFinished(e.DateFinished.UTC().Truncate(time.Microsecond)).
			SetProcessed(deref(e.Processed)).
			SetAdded(deref(e.Added)).
			SetUpdated(deref(e.Updated)).
			SetDeleted(deref(e.Deleted)).
			SetDisabled(deref(e.Disabled)).
			SetErrors(deref(e.Errors)).
			SetRecordedAt(now).
			SetProblems(problems(e.Problems)).
			SetNillableService(nonEmpty(e.Service)).
			SetNillableExternalID(e.ExternalID).
			SetFlags(flags[k]).
			SetChangesRecorded(len(e.Changes)).
			SetChangeRows(changeRows(e.Changes))
		if e.Details != nil {
			b.SetDetails(*e.Details)
		}
		if !empty(e.SyncProfile) {
			b.SetSyncProfileID(profiles[*e.SyncProfile])
		}
		if !empty(e.Username) {
			b.SetUserID(users[*e.Username])
		}
		builders = append(builders, b)
	}
	if len(builders) > 0 {
		created, err = inChunks(builders, func(b []*ent.EventCreate) ([]*ent.Event, error) {
			return c.Event.CreateBulk(b...).Save(ctx)
		})
		if err != nil {
			return nil, nil, fmt.Errorf("record events: insert %d: %w", len(builders), err)
		}
		for k, ev := range created {
			out[slots[k]] = ev
		}
		if err := writeChangesEnt(ctx, c, in, slots, created, users); err != nil {
			return nil, nil, err
		}
	}
	if err := finish(ctx, tx, in, out, seen, created, existing); err != nil {
		return nil, nil, err
	}
	return out, created, nil
}

// plan decides which inputs become new events: out has the stored event for an input
// whose external ID exists; slots lists the inputs to insert, in input order; seen maps
// each external ID in slots to its input, so later repeats in the batch answer with it.
func plan(in []*Input, existing map[string]*ent.Event) (out []*ent.Event, slots []int, seen map[string]int) {
	out = make([]*ent.Event, len(in))
	seen = map[string]int{}
	for i, e := range in {
		if e.ExternalID != nil {
			if ev, ok := existing[*e.ExternalID]; ok {
				out[i] = ev
				continue
			}
			if _, ok := seen[*e.ExternalID]; ok {
				continue // filled from the first occurrence in finish
			}
			seen[*e.ExternalID] = i
		}
		slots = append(slots, i)
	}
	return out, slots, seen
}

// finish answers repeats in the batch with their first occurrence's event, commits
// (the database's triggers have bumped the school's report data version with the
// inserts, see store's migrations), and detaches every
// returned event from the finished transaction, so that loading its user or sync
// profile afterwards uses the client again.
func finish(ctx context.Context, tx *ent.Tx, in []*Input, out []*ent.Event, seen map[string]int, created []*ent.Event, existing map[string]*ent.Event) error {
	for i, e := range in {
		if out[i] == nil && e.ExternalID != nil {
			out[i] = out[seen[*e.ExternalID]]
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record events: commit: %w", err)
	}
	for _, ev := range created {
		ev.Unwrap()
	}
	for _, ev := range existing {
		ev.Unwrap()
	}
	return nil
}

func existingByExternalID(ctx context.Context, c *ent.Client, in []*Input) (map[string]*ent.Event, error) {
	var keys []string
	for _, e := range in {
		if e.ExternalID != nil {
			keys = append(keys, *e.ExternalID)
		}
	}
	found := map[string]*ent.Event{}
	if len(keys) == 0 {
		return found, nil
	}
	evs, err := c.Event.Query().Where(event.ExternalIDIn(keys...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("record events: look up external IDs: %w", err)
	}
	for _, ev := range evs {
		found[*ev.ExternalID] = ev
	}
	return found, nil
}

// ensureProfiles returns the ID of every sync profile the batch names, creating the
// unknown ones with a kind inferred from the first event that names them.
func ensureProfiles(ctx context.Context, c *ent.Client, in []*Input, existing map[string]*ent.Event) (map[string]int, error) {
	kinds := map[string]syncprofile.Kind{}
	var names []string
	for _, e := range in {
		if empty(e.SyncProfile) || isExisting(e, existing) {
			continue
		}
		if _, ok := kinds[*e.SyncProfile]; !ok {
			kinds[*e.SyncProfile] = syncprofile.Kind(eventtype.ProfileKind(string(e.Type)))
			names = append(names, *e.SyncProfile)
		}
	}
	ids := map[string]int{}
	if len(names) == 0 {
		return ids, nil
	}
	have, err := c.SyncProfile.Query().Where(syncprofile.NameIn(names...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("record events: look up sync profiles: %w", err)
	}
	for _, p := range have {
		ids[p.Name] = p.ID
	}
	for _, n := range names {
		if _, ok := ids[n]; ok {
			continue
		}
		p, err := c.SyncProfile.Create().SetName(n).SetKind(kinds[n]).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("record events: create sync profile %q: %w", n, err)
		}
		ids[n] = p.ID
	}
	return ids, nil
}

// ensureUsers returns the ID of every user the batch names, creating unknown ones as
// directory accounts (role NONE) that cannot sign in.
func ensureUsers(ctx context.Context, c *ent.Client, in []*Input, existing map[string]*ent.Event) (map[string]int, error) {
	seen := map[string]bool{}
	var names []string
	for _, e := range in {
		if empty(e.Username) || isExisting(e, existing) || seen[*e.Username] {
			continue
		}
		seen[*e.Username] = true
		names = append(names, *e.Username)
	}
	for _, n := range changeUsernames(in, existing) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	displays := changeDisplayNames(in, existing)
	ids := map[string]int{}
	if len(names) == 0 {
		return ids, nil
	}
	have, err := c.User.Query().Where(user.UsernameIn(names...)).Select(user.FieldID, user.FieldUsername).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("record events: look up users: %w", err)
	}
	for _, u := range have {
		ids[u.Username] = u.ID
	}
	var missing []*ent.UserCreate
	var missingNames []string
	for _, n := range names {
		if _, ok := ids[n]; !ok {
			display := n
			if d := displays[n]; d != "" {
				display = d
			}
			missing = append(missing, c.User.Create().SetUsername(n).SetDisplayName(display).SetRole(user.RoleNONE))
			missingNames = append(missingNames, n)
		}
	}
	if len(missing) > 0 {
		made, err := inChunks(missing, func(b []*ent.UserCreate) ([]*ent.User, error) {
			return c.User.CreateBulk(b...).Save(ctx)
		})
		if err != nil {
			return nil, fmt.Errorf("record events: create %d users: %w", len(missing), err)
		}
		for i, u := range made {
			ids[missingNames[i]] = u.ID
		}
	}
	return ids, nil
}

// bulkChunk is how many rows one INSERT through ent's builders holds: SQLite takes at
// most 32,766 bound values in a statement, and an event row binds 17.
const bulkChunk = 1000

// inChunks saves builders bulkChunk at a time, in order, returning every saved row.
func inChunks[B, T any](builders []B, save func([]B) ([]T, error)) ([]T, error) {
	out := make([]T, 0, len(builders))
	for start := 0; start < len(builders); start += bulkChunk {
		saved, err := save(builders[start:min(start+bulkChunk, len(builders))])
		if err != nil {
			return nil, err
		}
		out = append(out, saved...)
	}
	return out, nil
}

func isExisting(e *Input, existing map[string]*ent.Event) bool {
	if e.ExternalID == nil {
		return false
	}
	_, ok := existing[*e.ExternalID]
	return ok
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

func problems(in []*ProblemInput) []eventtype.Problem {
	out := make([]eventtype.Problem, 0, len(in))
	for _, p := range in {
		if p != nil {
			out = append(out, eventtype.Problem{Line: p.Line, Field: p.Field, Message: p.Message})
		}
	}
	return out
}
