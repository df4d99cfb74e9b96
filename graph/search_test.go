package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestEventsSearch checks ReportFilter.search through the event list and the summary on
// both databases, against a reference computed here, and holds the live feed's matcher to
// the same answers: details or a problem's message containing the text, ignoring case,
// with LIKE's wildcards and JSON's quoting taken literally.
func TestEventsSearch(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		type probs = []map[string]any
		inputs := []struct {
			details  string
			problems probs
		}{
			{"LDAP bind failed for cn=Admin,ou=Staff", nil},
			{"", probs{{"line": 3, "field": "email", "message": "Email 'zoë@school' is not valid"}}},
			{"100% done_ok", nil},
			{"nothing here", probs{{"line": 1, "field": "givenName", "message": "n/a"}}},
			{`Quote "x" and back\slash`, nil},
			{"", probs{{"line": 2, "field": "a", "message": "first"}, {"line": 9, "field": "b", "message": "second"}}},
			{"Schüler ÄRZTE group", nil},
			{"100 percent done", probs{{"line": 4, "field": "email", "message": "said \"hi\""}}},
		}
		var in []map[string]any
		var local []*ent.Event
		for i, x := range inputs {
			fin := base.Add(time.Duration(i) * time.Minute)
			m := map[string]any{
				"type": "USER_CSV_FAILED", "syncProfile": "User CSV Upload", "errors": 1, "details": x.details,
				"dateStarted": fin.Format(time.RFC3339), "dateFinished": fin.Format(time.RFC3339),
			}
			e := &ent.Event{Type: "USER_CSV_FAILED", Errors: 1, Details: x.details, DateFinished: fin}
			if x.problems != nil {
				m["problems"] = x.problems
				for _, p := range x.problems {
					e.Problems = append(e.Problems, eventtype.Problem{Line: p["line"].(int), Field: p["field"].(string), Message: p["message"].(string)})
				}
			}
			in = append(in, m)
			local = append(local, e)
		}
		evs, _ := record(t, b.srv, b.token, in)

		for _, tc := range []struct {
			search string
			want   []int // indexes into inputs
		}{
			{"ldap", []int{0}},
			{"CN=ADMIN", []int{0}},
			{"ZOË@", []int{1}},
			{"not valid", []int{1}},
			{"100%", []int{2}},
			{"%", []int{2}},
			{"done_", []int{2}},
			{"_", []int{2}},
			{`"x"`, []int{4}},
			{`back\slash`, []int{4}},
			{`\`, []int{4}},
			{`"hi"`, []int{7}},
			{"second", []int{5}},
			{"n/a", []int{3}},
			// The JSON text of several messages holds brackets, quotes and commas that are
			// no message's own.
			{`", "`, nil},
			{"[", nil},
			{`first", "second`, nil},
			{"ärzte", []int{6}},
			{"SCHÜLER", []int{6}},
			{"100", []int{2, 7}},
			{"no such text", nil},
		} {
			want := []int{}
			for i := len(tc.want) - 1; i >= 0; i-- {
				want = append(want, evs[tc.want[i]].ID)
			}
			f := map[string]any{"search": tc.search, "activeOnly": false}
			got := events(t, b.srv, b.token, map[string]any{"f": f, "first": 500})
			require.Equal(t, want, got.ids(t), "events, search %q", tc.search)

			var sum struct{ EventSummary struct{ Events int } }
			b.srv.Do(t, b.token, summaryQuery, map[string]any{"f": f}).OK(t).Decode(t, &sum)
			require.Equal(t, len(want), sum.EventSummary.Events, "eventSummary, search %q", tc.search)

			// The live feed's matcher gives the same answer for each event.
			rf := report.Filter{Search: &tc.search, ActiveOnly: new(bool)}
			for i, e := range local {
				require.Equal(t, contains(tc.want, i), rf.Matches(e), "live matcher, search %q, event %d", tc.search, i)
			}
		}

		// Empty is no search at all.
		got := events(t, b.srv, b.token, map[string]any{"f": map[string]any{"search": "", "activeOnly": false}, "first": 500})
		require.Len(t, got.ids(t), len(inputs))

		// At most 200 characters (not bytes), everywhere the filter goes.
		ok := strings.Repeat("é", 200)
		events(t, b.srv, b.token, map[string]any{"f": map[string]any{"search": ok}, "first": 5})
		long := map[string]any{"search": strings.Repeat("a", 201)}
		e := b.srv.Do(t, b.token, eventsQuery, map[string]any{"f": long, "first": 5}).Error(t, "BAD_USER_INPUT")
		require.Contains(t, e.Message, "at most 200")
		b.srv.Do(t, b.token, summaryQuery, map[string]any{"f": long}).Error(t, "BAD_USER_INPUT")
		b.srv.Do(t, b.token, `mutation($f: ReportFilter) { requestExport(filter: $f) { id } }`, map[string]any{"f": long}).
			Error(t, "BAD_USER_INPUT")

		// An export keeps the search it was asked with.
		var ex struct {
			RequestExport struct {
				Filter struct{ Search *string }
			}
		}
		b.srv.Do(t, b.token, `mutation($f: ReportFilter) { requestExport(filter: $f) { filter { search } } }`,
			map[string]any{"f": map[string]any{"search": "LDAP"}}).OK(t).Decode(t, &ex)
		require.NotNil(t, ex.RequestExport.Filter.Search)
		require.Equal(t, "LDAP", *ex.RequestExport.Filter.Search)
	})
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
