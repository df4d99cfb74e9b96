package report

import (
	"context"
	"fmt"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/predicate"
)

// The event list's page on PostgreSQL reads its IDs first (see pickIDsFirst) when the
// filter is one an index carries the activity rule's columns for. WithPage marks a
// request's context with the page's shape; store.Open installs IDsFirst on every
// client, which adds that step to marked queries. It changes the plan, not the rows:
// entgql pages the query and loads its users and profiles as usual.

type pageKey struct{}

// Page says how the event list reads a page: newest first (Desc) or oldest first, by
// finish time and then ID, as entgql's pager orders it (reversed for `last`).
type Page struct {
	Desc bool
}

// WithPage marks ctx so that the list of events loaded through it (EventQuery.All,
// which entgql's Paginate calls) reads its page's IDs first when f calls for it. p is
// the order the page is read in.
func WithPage(ctx context.Context, f Filter, p Page) context.Context {
	if !f.pickIDsFirst() {
		return ctx
	}
	return context.WithValue(ctx, pageKey{}, p)
}

// pickIDsFirst reports whether a page under f picks its IDs first (see pickIDsFirst):
// under the default activity rule, with a type or a sync profile filter, the two an
// index carries the rule's columns for (event_active_type, and the events-by-profile
// index with its INCLUDE columns). Other filters keep the plain statement, which
// PostgreSQL already reads from an index in page order.
func (f Filter) pickIDsFirst() bool {
	return f.Active() && (len(f.Types) > 0 || f.SyncProfileID != nil)
}

// IDsFirst is the Event interceptor behind WithPage. Every other query, and every query
// without the mark, passes through untouched.
func IDsFirst() entgo.Interceptor {
	return entgo.InterceptFunc(func(next entgo.Querier) entgo.Querier {
		return entgo.QuerierFunc(func(ctx context.Context, q entgo.Query) (entgo.Value, error) {
			eq, ok := q.(*ent.EventQuery)
			qc := entgo.QueryFromContext(ctx)
			page, marked := ctx.Value(pageKey{}).(Page)
			if ok && marked && qc != nil && qc.Op == entgo.OpQueryAll && qc.Limit != nil && qc.Offset == nil && *qc.Limit > 0 {
				limit := *qc.Limit
				eq.Modify(func(s *sql.Selector) { pickIDsFirst(s, limit, page.Desc) })
			}
			return next.Query(ctx, q)
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

// idIn selects the events with the given IDs. On PostgreSQL the IDs travel as one array
// parameter (id = ANY($1)) rather than one parameter each, so that batches of every size
// share one statement instead of one per number of IDs. The array alone does not decide
// the plan: LoadEvents asks for one made for its IDs (see there).
func idIn(ids []int) predicate.Event {
	return func(s *sql.Selector) {
		if s.Dialect() != dialect.Postgres {
			event.IDIn(ids...)(s)
			return
		}
		arr := make([]int64, len(ids))
		for i, id := range ids {
			arr[i] = int64(id)
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(event.FieldID)).WriteString(" = ANY(").Arg(arr).WriteString(")")
		}))
	}
}

// Dialect returns the dialect.
func (p *pageIDs) Dialect() string { return p.dialect }

// SetDialect sets the dialect.
func (p *pageIDs) SetDialect(d string) { p.dialect = d }

// Total returns the number of arguments before this query.
func (p *pageIDs) Total() int { return p.total }

// SetTotal sets the number of arguments before this query.
func (p *pageIDs) SetTotal(n int) { p.total = n }

// LoadEvents reads events by ID, in ID order, with each event's user and sync profile:
// the live feed loads each published batch with it, and recordEvents its answer when
// the request selects their user or profile, so that neither resolves them one event
// at a time. dialectName is the database's ent dialect.
//
// On PostgreSQL the statement runs in a transaction of its own that asks for a plan
// made for the IDs it is given (plan_cache_mode = force_custom_plan). A prepared
// statement is otherwise planned generically after a few runs, once, from the table's
// size at that moment: under a bulk load into a school whose events grow by thousands
// a second, the plan made while the table was small read the IDs from the school's
// (school_id, date_finished, id) index — every entry of the school, for each batch —
// instead of by primary key, taking one to two and a half seconds a batch
// (auto_explain under the soak), and the live feed fell minutes behind. A custom plan
// costs a planning of this one statement per batch.
func LoadEvents(ctx context.Context, client *ent.Client, dialectName string, ids []int) ([]*ent.Event, error) {
	if dialectName != dialect.Postgres {
		return loadEvents(ctx, client, ids)
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("load %d events: %w", len(ids), err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if _, err := tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
		return nil, fmt.Errorf("load %d events: plan for these IDs: %w", len(ids), err)
	}
	events, err := loadEvents(ctx, tx.Client(), ids)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("load %d events: %w", len(ids), err)
	}
	// The events outlive the transaction: whatever their resolvers query later goes
	// through the client's own driver.
	// Events of one user or profile share that user's or profile's entity, which is
	// unwrapped once.
	users, profiles := map[*ent.User]bool{}, map[*ent.SyncProfile]bool{}
	for _, e := range events {
		e.Unwrap()
		if u := e.Edges.User; u != nil && !users[u] {
			users[u] = true
			u.Unwrap()
		}
		if p := e.Edges.SyncProfile; p != nil && !profiles[p] {
			profiles[p] = true
			p.Unwrap()
		}
	}
	return events, nil
}

func loadEvents(ctx context.Context, client *ent.Client, ids []int) ([]*ent.Event, error) {
	events, err := client.Event.Query().Where(idIn(ids)).Order(event.ByID()).
		WithUser().WithSyncProfile().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load %d events: %w", len(ids), err)
	}
	return events, nil
}
