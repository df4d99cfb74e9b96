package report

import (
	"context"
	"fmt"
	"slices"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
)

// A page of the event list names each event's user and sync profile. entgql would load
// them with one more query per edge after the page: two more round trips and two more
// statements for every page. WithPeople asks for them to be joined into the page's own
// statement instead; store.Open installs JoinPeople on every client, which does the
// join for such queries.

type peopleKey struct{}

// peopleMark is what WithPeople puts in the context.
type peopleMark struct {
	// idsFirst picks the page's IDs before reading its rows; see pickIDsFirst.
	idsFirst bool
	// desc is the direction the page is read in.
	desc bool
}

// Page says how the event list reads a page: newest first (Desc) or oldest first, by
// finish time and then ID, as entgql's pager orders it (reversed for `last`).
type Page struct {
	Desc bool
}

// WithPeople marks ctx so that loading a list of events through it (EventQuery.All,
// which entgql's Paginate calls) also loads each event's user and sync profile, in the
// same statement, into Edges.User and Edges.SyncProfile. f is the filter the list was
// built from and p the order it reads in; they decide the shape of the statement, not
// which rows it returns. The events it loads are plain values, not bound to a client:
// their Query* methods must not be called.
func WithPeople(ctx context.Context, f Filter, p Page) context.Context {
	return context.WithValue(ctx, peopleKey{}, &peopleMark{idsFirst: f.pickIDsFirst(), desc: p.Desc})
}

// pickIDsFirst reports whether a page under f picks its IDs first (see pickIDsFirst):
// under the default activity rule, with a type or a sync profile filter, the two an
// index carries the rule's columns for (event_active_type, and the events-by-profile
// index with its INCLUDE columns). Other filters keep the plain statement, which
// PostgreSQL already reads from an index in page order.
func (f Filter) pickIDsFirst() bool {
	return f.Active() && (len(f.Types) > 0 || f.SyncProfileID != nil)
}

// JoinPeople is the Event interceptor behind WithPeople. Every other query, and every
// query without the mark, passes through untouched. The marked statement runs through
// pool on PostgreSQL, where pgx decodes straight into the row's typed values, and
// through drv, ent's driver, where pool is nil (SQLite); see readPage.
func JoinPeople(drv dialect.Driver, pool *pgxpool.Pool) entgo.Interceptor {
	src := pageSource{drv: drv, pool: pool}
	return entgo.InterceptFunc(func(next entgo.Querier) entgo.Querier {
		return entgo.QuerierFunc(func(ctx context.Context, q entgo.Query) (entgo.Value, error) {
			eq, ok := q.(*ent.EventQuery)
			qc := entgo.QueryFromContext(ctx)
			mark, _ := ctx.Value(peopleKey{}).(*peopleMark)
			if !ok || qc == nil || qc.Op != entgo.OpQueryAll || mark == nil {
				return next.Query(ctx, q)
			}
			limit := 0
			if qc.Limit != nil && qc.Offset == nil {
				limit = *qc.Limit
			}
			return loadWithPeople(ctx, eq, qc.Fields, limit, mark, src)
		})
	})
}

// pickIDsFirst narrows s to the rows whose IDs s itself selects: the same filter, cursor,
// order and limit, selecting only the ID, as a common table expression the query reads
// its rows by. On PostgreSQL that inner query is an index-only scan of the active events
// by type (event_active_type) or of a profile's events with the rule's columns, which
// hold every column it tests; the outer query then reads only the page's rows, by
// primary key. Without it, PostgreSQL reads every candidate row to test the rest of the
// filter: a month of a large school's events for three types, ~460 rows read for 51
// kept (6.0 ms instead of 1.8 ms warm at 2M events); an LDAP profile's page, ~310 rows
// for 51, most of them idle runs (1.9 ms instead of 0.18 ms cold for the ID pick).
//
// The inner query is rendered when s is, as the statement's prefix, from s's WHERE as it
// stands then: entgql adds the filter and the cursor after this modifier ran. limit is
// the page's (ent's QueryContext has it) and desc its direction; entgql's order terms
// are not readable from s. Rendering the prefix first matters: ent's predicates render
// into builders of their own, which the inner query shares, so it must be done before
// s renders its WHERE.
func pickIDsFirst(s *sql.Selector, limit int, desc bool) {
	ids := &pageIDs{of: s, limit: limit, desc: desc}
	s.Prefix(ids)
	s.Where(sql.P(func(b *sql.Builder) {
		if ids.rendering {
			// This predicate, in the copy: nothing to add there.
			b.WriteString("1 = 1")
			return
		}
		if b.Dialect() == dialect.Postgres {
			// An array, not IN: PostgreSQL plans IN (SELECT …) as a semi-join it may drive
			// from the outer query's own predicates, and underestimating how many rows a
			// profile's filter keeps (19 for 948 of a 5,443-event profile at 10M events), it
			// read the whole profile by the profile index and hashed the 51 IDs against it
			// (37 ms). The array is computed first and read by primary key (3 ms cold).
			b.WriteString(s.C(event.FieldID)).WriteString(" = ANY(ARRAY(SELECT ").Ident(event.FieldID).
				WriteString(" FROM ").Ident(pageIDsName).WriteString("))")
			return
		}
		b.WriteString(s.C(event.FieldID)).WriteString(" IN (SELECT ").Ident(event.FieldID).
			WriteString(" FROM ").Ident(pageIDsName).WriteString(")")
	}))
}

// pageIDsName names the common table expression of the page's IDs.
const pageIDsName = "pr_page"

// pageIDs renders `WITH pr_page AS (SELECT id … )` from the selector it is the prefix of.
type pageIDs struct {
	of        *sql.Selector
	limit     int
	desc      bool
	rendering bool
	dialect   string
	total     int
}

// Query renders the common table expression.
func (p *pageIDs) Query() (string, []any) {
	p.rendering = true
	defer func() { p.rendering = false }()
	// A new statement over events with the page's predicates, order and limit, but not
	// its joins: with them, PostgreSQL no longer answers from the index alone.
	t := sql.Table(event.Table)
	order := sql.Asc
	if p.desc {
		order = sql.Desc
	}
	ids := sql.Dialect(p.dialect).Select(t.C(event.FieldID)).From(t).Where(p.of.P()).
		OrderBy(order(t.C(event.FieldDateFinished)), order(t.C(event.FieldID))).Limit(p.limit)
	b := &sql.Builder{}
	b.SetDialect(p.dialect)
	b.SetTotal(p.total)
	b.WriteString("WITH ").Ident(pageIDsName).WriteString(" AS ").Wrap(func(b *sql.Builder) { b.Join(ids) })
	return b.Query()
}

// The methods ent's builder uses to hand a nested query its dialect and the number of
// arguments before it.

// Dialect returns the dialect.
func (p *pageIDs) Dialect() string { return p.dialect }

// SetDialect sets the dialect.
func (p *pageIDs) SetDialect(d string) { p.dialect = d }

// Total returns the number of arguments before this query.
func (p *pageIDs) Total() int { return p.total }

// SetTotal sets the number of arguments before this query.
func (p *pageIDs) SetTotal(n int) { p.total = n }

// The joined tables are aliased to keep them apart from a filter's own subqueries on
// users or sync_profiles; their columns are selected under the same prefixes.
const (
	userAlias    = "pr_u"
	profileAlias = "pr_p"
)

var (
	// The user's password hash is left out on purpose.
	userColumns    = []string{user.FieldID, user.FieldSchoolID, user.FieldCreateTime, user.FieldUsername, user.FieldDisplayName, user.FieldEmail, user.FieldRole}
	profileColumns = []string{syncprofile.FieldID, syncprofile.FieldSchoolID, syncprofile.FieldCreateTime, syncprofile.FieldName, syncprofile.FieldKind}
)

// loadWithPeople runs q, whose predicates, order and limit entgql has set, as one
// statement with the users and profiles joined. fields are the event columns q selects
// (none: all of them); the ID and the edges' keys are read whether or not they are
// among them.
func loadWithPeople(ctx context.Context, q *ent.EventQuery, fields []string, limit int, mark *peopleMark, src pageSource) ([]*ent.Event, error) {
	if len(fields) == 0 {
		fields = event.Columns
	}
	page := q.Clone()
	page.Modify(func(s *sql.Selector) {
		u := sql.Table(user.Table).As(userAlias)
		p := sql.Table(syncprofile.Table).As(profileAlias)
		s.LeftJoin(u).On(s.C(event.UserColumn), u.C(user.FieldID))
		s.LeftJoin(p).On(s.C(event.SyncProfileColumn), p.C(syncprofile.FieldID))
		if mark.idsFirst && limit > 0 {
			pickIDsFirst(s, limit, mark.desc)
		}
		cols := make([]string, 0, len(fields)+3+len(userColumns)+len(profileColumns))
		if !slices.Contains(fields, event.FieldID) {
			cols = append(cols, s.C(event.FieldID))
		}
		for _, f := range fields {
			if f != event.UserColumn && f != event.SyncProfileColumn {
				cols = append(cols, s.C(f))
			}
		}
		cols = append(cols, s.C(event.UserColumn), s.C(event.SyncProfileColumn))
		for _, c := range userColumns {
			cols = append(cols, sql.As(u.C(c), userAlias+"_"+c))
		}
		for _, c := range profileColumns {
			cols = append(cols, sql.As(p.C(c), profileAlias+"_"+c))
		}
		s.Select(cols...)
	})
	// Statement runs the query's traversals again: the tenant rule adds its school
	// predicate a second time. The databases fold the repeat away (PostgreSQL into a
	// one-time filter), and a request's context must not be unscoped to avoid it.
	query, args, err := page.Statement(ctx)
	if err != nil {
		return nil, fmt.Errorf("events with users and profiles: %w", err)
	}
	return src.read(ctx, query, args, limit)
}

// LoadPeople sets Edges.User and Edges.SyncProfile of the events that have a user or a
// profile, with one query for all their users (when users is set) and one for all
// their profiles (when profiles is set), instead of one look-up per event by the
// resolvers. recordEvents answers with up to 1,000 events that were not loaded through
// the event list; it calls this when the request selects their user or profile.
func LoadPeople(ctx context.Context, client *ent.Client, events []*ent.Event, users, profiles bool) error {
	if users {
		err := attach(events, func(e *ent.Event) *int { return e.UserID },
			func(ids []int) ([]*ent.User, error) { return client.User.Query().Where(user.IDIn(ids...)).All(ctx) },
			func(u *ent.User) int { return u.ID },
			func(e *ent.Event, u *ent.User) { e.Edges.User = u })
		if err != nil {
			return fmt.Errorf("users of %d events: %w", len(events), err)
		}
	}
	if profiles {
		err := attach(events, func(e *ent.Event) *int { return e.SyncProfileID },
			func(ids []int) ([]*ent.SyncProfile, error) {
				return client.SyncProfile.Query().Where(syncprofile.IDIn(ids...)).All(ctx)
			},
			func(p *ent.SyncProfile) int { return p.ID },
			func(e *ent.Event, p *ent.SyncProfile) { e.Edges.SyncProfile = p })
		if err != nil {
			return fmt.Errorf("sync profiles of %d events: %w", len(events), err)
		}
	}
	return nil
}

// attach loads, with one call of load, the rows that the events' non-nil keys name, and
// sets each event's with set.
func attach[T any](events []*ent.Event, key func(*ent.Event) *int, load func([]int) ([]T, error),
	id func(T) int, set func(*ent.Event, T)) error {
	var ids []int
	seen := map[int]bool{}
	for _, e := range events {
		if k := key(e); k != nil && !seen[*k] {
			seen[*k] = true
			ids = append(ids, *k)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := load(ids)
	if err != nil {
		return err
	}
	byID := make(map[int]T, len(rows))
	for _, r := range rows {
		byID[id(r)] = r
	}
	for _, e := range events {
		if k := key(e); k != nil {
			if r, ok := byID[*k]; ok {
				set(e, r)
			}
		}
	}
	return nil
}
