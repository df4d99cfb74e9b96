package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
)

// A page of the event list names each event's user and sync profile. entgql would load
// them with one more query per edge after the page: two more round trips and two more
// statements for every page, a third of a first-time page's cost at district scale.
// WithPeople asks for them to be joined into the page's own statement instead; the
// Event schema installs JoinPeople, which does the join for such queries.

type peopleKey struct{}

// WithPeople marks ctx so that loading a list of events through it (EventQuery.All,
// which entgql's Paginate calls) also loads each event's user and sync profile, in the
// same statement, into Edges.User and Edges.SyncProfile. The events it loads are
// plain values, not bound to a client: their Query* methods must not be called.
func WithPeople(ctx context.Context) context.Context {
	return context.WithValue(ctx, peopleKey{}, true)
}

// JoinPeople is the Event interceptor behind WithPeople. Every other query, and every
// query without the mark, passes through untouched.
func JoinPeople() entgo.Interceptor {
	return entgo.InterceptFunc(func(next entgo.Querier) entgo.Querier {
		return entgo.QuerierFunc(func(ctx context.Context, q entgo.Query) (entgo.Value, error) {
			eq, ok := q.(*ent.EventQuery)
			qc := entgo.QueryFromContext(ctx)
			if !ok || qc == nil || qc.Op != entgo.OpQueryAll || ctx.Value(peopleKey{}) == nil {
				return next.Query(ctx, q)
			}
			return loadWithPeople(ctx, eq, qc.Fields)
		})
	})
}

// The joined tables are aliased to keep them apart from a filter's own subqueries on
// users or sync_profiles; their columns are selected under the same prefixes.
const (
	userAlias    = "pr_u"
	profileAlias = "pr_p"
)

// withPeople is one row of the joined statement: the event's own columns, scanned by
// their names into the embedded Event, then its user's and profile's.
type withPeople struct {
	ent.Event
	JoinedUserID      *int       `sql:"pr_u_id"`
	JoinedUserSchool  *int       `sql:"pr_u_school_id"`
	JoinedUserCreated *time.Time `sql:"pr_u_create_time"`
	JoinedUsername    *string    `sql:"pr_u_username"`
	JoinedDisplayName *string    `sql:"pr_u_display_name"`
	JoinedEmail       *string    `sql:"pr_u_email"`
	JoinedRole        *string    `sql:"pr_u_role"`
	JoinedProfileID   *int       `sql:"pr_p_id"`
	JoinedProfSchool  *int       `sql:"pr_p_school_id"`
	JoinedProfCreated *time.Time `sql:"pr_p_create_time"`
	JoinedProfName    *string    `sql:"pr_p_name"`
	JoinedProfKind    *string    `sql:"pr_p_kind"`
}

var (
	// The user's password hash is left out on purpose.
	userColumns    = []string{user.FieldID, user.FieldSchoolID, user.FieldCreateTime, user.FieldUsername, user.FieldDisplayName, user.FieldEmail, user.FieldRole}
	profileColumns = []string{syncprofile.FieldID, syncprofile.FieldSchoolID, syncprofile.FieldCreateTime, syncprofile.FieldName, syncprofile.FieldKind}
)

// loadWithPeople runs q, whose predicates, order and limit entgql has set, as one
// statement with the users and profiles joined. fields are the event columns q selects
// (none: all of them); the ID and the edges' keys are read whether or not they are
// among them.
func loadWithPeople(ctx context.Context, q *ent.EventQuery, fields []string) ([]*ent.Event, error) {
	if len(fields) == 0 {
		fields = event.Columns
	}
	// The statement runs through ent's interceptors again, under the same query context
	// (still "All"): unmarked, it passes through this one. The tenant interceptor adds
	// its school predicate a second time; the databases fold the repeat away (PostgreSQL
	// into a one-time filter), and a request's context must not be unscoped to avoid it.
	ctx = context.WithValue(ctx, peopleKey{}, nil)
	var rows []withPeople
	err := q.Clone().Modify(func(s *sql.Selector) {
		u := sql.Table(user.Table).As(userAlias)
		p := sql.Table(syncprofile.Table).As(profileAlias)
		s.LeftJoin(u).On(s.C(event.UserColumn), u.C(user.FieldID))
		s.LeftJoin(p).On(s.C(event.SyncProfileColumn), p.C(syncprofile.FieldID))
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
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("events with users and profiles: %w", err)
	}
	out := make([]*ent.Event, len(rows))
	for i := range rows {
		r := &rows[i]
		e := &r.Event
		if r.JoinedUserID != nil {
			e.Edges.User = &ent.User{
				ID: *r.JoinedUserID, SchoolID: deref(r.JoinedUserSchool), CreateTime: deref(r.JoinedUserCreated),
				Username: deref(r.JoinedUsername), DisplayName: deref(r.JoinedDisplayName),
				Email: deref(r.JoinedEmail), Role: user.Role(deref(r.JoinedRole)),
			}
		}
		if r.JoinedProfileID != nil {
			e.Edges.SyncProfile = &ent.SyncProfile{
				ID: *r.JoinedProfileID, SchoolID: deref(r.JoinedProfSchool), CreateTime: deref(r.JoinedProfCreated),
				Name: deref(r.JoinedProfName), Kind: syncprofile.Kind(deref(r.JoinedProfKind)),
			}
		}
		out[i] = e
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
