package graph

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// pageServer is the GraphQL handler over a real database, as one school's viewer, with
// or without EventPages. nested counts the fields gqlgen's executor resolved below the
// events connection: none when EventPages wrote the page.
type pageServer struct {
	http.Handler
	nested atomic.Int64
}

func newPageServer(t *testing.T, db *store.DB, schoolID int, pages bool) *pageServer {
	t.Helper()
	s := &pageServer{}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Client: db.Client, Dialect: db.Dialect}, Complexity: Complexity()}))
	srv.AddTransport(transport.POST{})
	if pages {
		srv.Use(&EventPages{})
	}
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		switch graphql.GetFieldContext(ctx).Object {
		case "EventConnection", "EventEdge", "Event", "PageInfo", "User", "SyncProfile":
			s.nested.Add(1)
		}
		return next(ctx)
	})
	viewer := &auth.Viewer{SchoolID: schoolID, Scopes: auth.Scopes()}
	s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(auth.WithViewer(r.Context(), viewer)))
	})
	return s
}

func (s *pageServer) post(t *testing.T, b []byte) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// seedPage creates a school whose users, profiles and events carry every kind of value
// the page writer renders: strings that need escaping, absent and present optional
// fields, events with and without a user or profile, times with sub-second parts.
func seedPage(t *testing.T, db *store.DB, r *rand.Rand) int {
	t.Helper()
	ctx := tenant.System(context.Background())
	c := db.Client
	sc, err := c.School.Create().SetSlug("pages").SetName("Pages").SetTimezone("Australia/Sydney").Save(ctx)
	require.NoError(t, err)
	ctx = tenant.WithSchool(ctx, sc.ID)
	text := []string{"plain", "Ünïcödé 名前 🙂", `quote " back \ slash`, "<tag> & amp / </script>", "tab\tnew\nline\rcr",
		"ctrl \x01\x08\x0c\x1f del \x7f", "\u2028 line sep", ""}
	var users []*ent.User
	for i := range 6 {
		u, err := c.User.Create().SetSchoolID(sc.ID).SetUsername(fmt.Sprintf("u%d %s", i, text[i%len(text)])).
			SetDisplayName(text[(i+3)%len(text)]).SetEmail(fmt.Sprintf("u%d@example.org", i)).
			SetRole([]user.Role{user.RoleADMIN, user.RoleVIEWER, user.RoleNONE}[i%3]).Save(ctx)
		require.NoError(t, err)
		users = append(users, u)
	}
	var profiles []*ent.SyncProfile
	for i, k := range []syncprofile.Kind{syncprofile.KindLDAP, syncprofile.KindUSER_CSV, syncprofile.KindSCRIPT} {
		p, err := c.SyncProfile.Create().SetSchoolID(sc.ID).SetName("Profile " + text[i+1]).SetKind(k).Save(ctx)
		require.NoError(t, err)
		profiles = append(profiles, p)
	}
	types := eventtype.Values()
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	bulk := make([]*ent.EventCreate, 0, 130)
	for i := range 130 {
		fin := base.Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Microsecond)
		if i%5 == 0 {
			fin = fin.Truncate(time.Second)
		}
		ec := c.Event.Create().SetSchoolID(sc.ID).SetType(event.Type(types[r.IntN(len(types))])).
			SetDateStarted(fin.Add(-time.Duration(r.IntN(900)) * time.Second)).SetDateFinished(fin).
			SetProcessed(r.IntN(5000)).SetAdded(r.IntN(3)).SetUpdated(r.IntN(40)).SetDeleted(r.IntN(2)).
			SetDisabled(r.IntN(2)).SetErrors(r.IntN(4)).SetDetails(text[r.IntN(len(text))])
		if r.IntN(3) > 0 {
			ec.SetUserID(users[r.IntN(len(users))].ID)
		}
		if r.IntN(2) == 0 {
			ec.SetSyncProfileID(profiles[r.IntN(len(profiles))].ID)
		}
		if r.IntN(2) == 0 {
			ec.SetService(text[r.IntN(len(text))])
		}
		if r.IntN(2) == 0 {
			ec.SetExternalID(fmt.Sprintf("ext-%d", i))
		}
		bulk = append(bulk, ec)
	}
	require.NoError(t, c.Event.CreateBulk(bulk...).Exec(ctx))
	return sc.ID
}

// selectionBuilder makes selection sets over the fields the page writer knows, in random
// order, with aliases, repeated fields, inline and named fragments, and @skip/@include.
type selectionBuilder struct {
	r         *rand.Rand
	fragments []string
}

func (b *selectionBuilder) pick(fields []string, sub map[string]func() string) string {
	var out []string
	for _, i := range b.r.Perm(len(fields)) {
		if b.r.IntN(4) == 0 {
			continue
		}
		f := fields[i]
		s := f
		if b.r.IntN(5) == 0 {
			s = fmt.Sprintf("a%d_%s: %s", b.r.IntN(3), f, f)
		}
		switch b.r.IntN(8) {
		case 0:
			s += " @include(if: $yes)"
		case 1:
			s += " @skip(if: $yes)"
		case 2:
			s += " @include(if: $no)"
		}
		if mk, ok := sub[f]; ok {
			s += " { " + mk() + " }"
		}
		out = append(out, s)
		if b.r.IntN(10) == 0 {
			out = append(out, s) // the same field twice merges into one key
		}
	}
	out = append(out, "__typename")
	return strings.Join(out, " ")
}

func (b *selectionBuilder) wrap(typ, sel string) string {
	switch b.r.IntN(4) {
	case 0:
		return "... on " + typ + " { " + sel + " }"
	case 1:
		name := fmt.Sprintf("F%d", len(b.fragments))
		b.fragments = append(b.fragments, "fragment "+name+" on "+typ+" { "+sel+" }")
		return "..." + name
	}
	return sel
}

func (b *selectionBuilder) connection() string {
	user := func() string {
		return b.wrap("User", b.pick([]string{"id", "createTime", "username", "displayName", "email", "role"}, nil))
	}
	profile := func() string {
		return b.wrap("SyncProfile", b.pick([]string{"id", "createTime", "name", "kind"}, nil))
	}
	node := func() string {
		return b.wrap("Event", b.pick([]string{"id", "type", "typeName", "dateStarted", "dateFinished", "processed", "added",
			"updated", "deleted", "disabled", "errors", "details", "service", "externalID", "recordedAt", "user", "syncProfile"},
			map[string]func() string{"user": user, "syncProfile": profile}))
	}
	edges := func() string {
		return b.wrap("EventEdge", b.pick([]string{"cursor", "node"}, map[string]func() string{"node": node}))
	}
	pageInfo := func() string {
		return b.wrap("PageInfo", b.pick([]string{"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}, nil))
	}
	return b.wrap("EventConnection", b.pick([]string{"edges", "pageInfo", "totalCount"},
		map[string]func() string{"edges": edges, "pageInfo": pageInfo}))
}

// cursorPattern finds the cursors of an answer, to ask for later pages.
var cursorPattern = regexp.MustCompile(`"(?:a\d_)?(?:cursor|startCursor|endCursor)":"([^"]+)"`)

// TestEventPagesAnswerAsGqlgen asks random selections of the events list, on random
// pages and filters, of a server with EventPages and of one without: the answers must
// be the same bytes, and the page writer must have written them.
func TestEventPagesAnswerAsGqlgen(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		r := rand.New(rand.NewPCG(16, 27))
		school := seedPage(t, db, r)
		plain := newPageServer(t, db, school, false)
		fast := newPageServer(t, db, school, true)
		var cursors []string
		const rounds = 150
		for round := range rounds {
			b := &selectionBuilder{r: r}
			sel := b.connection()
			args := "first: $first, after: $after, filter: $filter"
			if r.IntN(6) == 0 {
				args = "last: $first, before: $after, filter: $filter"
			}
			query := "query Q($first: Int, $after: Cursor, $filter: ReportFilter, $yes: Boolean!, $no: Boolean!) { " +
				"events(" + args + ") { " + sel + " t1: __typename @include(if: $yes) t2: __typename @include(if: $no) } "
			if r.IntN(4) == 0 {
				b2 := &selectionBuilder{r: r, fragments: b.fragments}
				query += "second: events(first: 3) { " + b2.connection() + " } "
				b.fragments = b2.fragments
			}
			query += "}\n" + strings.Join(b.fragments, "\n")
			vars := map[string]any{"yes": true, "no": false}
			if n := []any{nil, 1, 7, 50, 500}[r.IntN(5)]; n != nil {
				vars["first"] = n
			}
			if len(cursors) > 0 && r.IntN(3) == 0 {
				vars["after"] = cursors[r.IntN(len(cursors))]
			}
			switch r.IntN(4) {
			case 0:
				vars["filter"] = map[string]any{"activeOnly": false}
			case 1:
				vars["filter"] = map[string]any{"types": []string{"AUTHENTICATION", "ACCOUNT_SYNCHRONIZATION", "USER_CSV_FAILED"}}
			}
			req := body(t, query, vars, nil)
			before := fast.nested.Load()
			codeA, bodyA := plain.post(t, req)
			codeB, bodyB := fast.post(t, req)
			require.Equal(t, codeA, codeB, "round %d: %s", round, query)
			require.Equal(t, bodyA, bodyB, "round %d: %s\nvariables %v", round, query, vars)
			require.NotContains(t, bodyA, `"errors":[`, "round %d: %s", round, query)
			require.Equal(t, before, fast.nested.Load(), "round %d: gqlgen's executor marshalled the page: %s", round, query)
			for _, m := range cursorPattern.FindAllStringSubmatch(bodyA, -1) {
				cursors = append(cursors, m[1])
			}
		}
		require.NotEmpty(t, cursors)
		require.Positive(t, plain.nested.Load(), "the plain server resolves the page field by field")
	})
}

// TestEventPagesLeaveOthersToGqlgen asks what the page writer does not know, and wrong
// requests: the same answers as without it, through gqlgen's executor.
func TestEventPagesLeaveOthersToGqlgen(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		school := seedPage(t, db, rand.New(rand.NewPCG(3, 4)))
		plain := newPageServer(t, db, school, false)
		fast := newPageServer(t, db, school, true)
		for _, c := range []struct {
			name, query string
			vars        map[string]any
			executor    bool // whether gqlgen's executor must marshal the page
		}{
			{"problems", `{ events(first: 5) { edges { node { id problems { line field message } } } } }`, nil, true},
			{"a user's school", `{ events(first: 5) { edges { node { id user { username school { name } } } } } }`, nil, true},
			{"deferred", `query { events(first: 5) { edges { node { id ... @defer { details } } } } }`, nil, true},
			{"negative first", `{ events(first: -1) { edges { node { id } } } }`, nil, false},
			{"after and before", `query($c: Cursor) { events(after: $c, before: $c) { totalCount } }`, map[string]any{"c": "gqFpAaF2pjIwMjYtMDYtMDFUMDA6MDA6MDBa"}, false},
			{"a cursor of another list", `{ events(after: "gaFpAQ") { totalCount } }`, nil, false},
			{"unknown field", `{ events { edges { node { nope } } } }`, nil, false},
			{"bad filter", `{ events(filter: { types: [NOPE] }) { totalCount } }`, nil, false},
			{"plain beside another root field", `{ school { name } events(first: 2) { totalCount edges { cursor } } }`, nil, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				req := body(t, c.query, c.vars, nil)
				before := fast.nested.Load()
				codeA, bodyA := plain.post(t, req)
				codeB, bodyB := fast.post(t, req)
				require.Equal(t, codeA, codeB)
				require.Equal(t, bodyA, bodyB)
				require.Equal(t, c.executor, fast.nested.Load() > before, "executor used: %s", bodyA)
			})
		}
	})
}

// TestEventPagesFallBackWithoutPeople writes a page whose events' users were not loaded
// with it (as a node lookup leaves them) through the generated marshaller, which looks
// them up, instead of as null.
func TestEventPagesFallBackWithoutPeople(t *testing.T) {
	var plan fieldList
	plan = append(plan, field{alias: "edges", name: "edges", sub: []field{{alias: "node", name: "node", sub: []field{
		{alias: "user", name: "user", sub: []field{{alias: "id", name: "id"}}}}}}})
	uid := 7
	conn := &ent.EventConnection{Edges: []*ent.EventEdge{{Node: &ent.Event{ID: 1, UserID: &uid}}}}
	_, err := plan.write(nil, conn)
	require.ErrorIs(t, err, errNotPlain)
	conn.Edges[0].Node.Edges.User = &ent.User{ID: uid}
	b, err := plan.write(nil, conn)
	require.NoError(t, err)
	require.JSONEq(t, `{"edges":[{"node":{"user":{"id":"7"}}}]}`, string(b))
	conn.Edges[0].Node.UserID = nil
	b, err = plan.write(nil, conn)
	require.NoError(t, err)
	require.JSONEq(t, `{"edges":[{"node":{"user":null}}]}`, string(b))
}

// TestAppendStringAsGqlgen compares the page writer's string quoting with gqlgen's
// MarshalString over random bytes, invalid UTF-8 and every control character included.
func TestAppendStringAsGqlgen(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	samples := []string{"", `"`, `\`, "\x00\x1f\x7f", "\xff\xfe", "é\xc3", "\u2028\u2029", "🙂"}
	for range 2000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		samples = append(samples, string(b))
	}
	for _, s := range samples {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		require.Equal(t, want.String(), string(appendString(nil, s)), "%q", s)
	}
	var want bytes.Buffer
	for _, tm := range []time.Time{time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC), time.Date(1, 2, 3, 4, 5, 6, 7, time.FixedZone("", -9000)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("X", 50400))} {
		want.Reset()
		graphql.MarshalTime(tm).MarshalGQL(&want)
		got, err := appendTime(nil, tm)
		require.NoError(t, err)
		require.Equal(t, want.String(), string(got))
	}
	_, err := appendTime(nil, time.Time{})
	require.ErrorIs(t, err, errNotPlain, "the zero time is null to gqlgen, an error for a Time!")
}
