package report_test

import (
	"encoding/json"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/report"
)

// FuzzCursor feeds arbitrary strings to the cursor decoder every connection's arguments
// go through (UnmarshalCursor, which gqlgen.yml maps the Cursor scalar to): it must fail
// cleanly, never panic, and what it accepts must survive a round trip. Its starting
// corpus is in testdata/fuzz/FuzzCursor; it holds a cursor that made entgql's own
// decoder panic.
func FuzzCursor(f *testing.F) {
	valid := entgql.Cursor[int]{ID: 4294967297, Value: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	f.Add(cursorString(f, valid))
	f.Add("")
	f.Add("gqFpzwAAAAEAAEN/oXbW/2sIinY")
	f.Add("!!!not base64")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := report.UnmarshalCursor(s)
		if err != nil {
			return
		}
		again := cursorString(t, c)
		d, err := report.UnmarshalCursor(again)
		if err != nil {
			t.Fatalf("re-decoding an accepted cursor failed: %v", err)
		}
		if d.ID != c.ID {
			t.Fatalf("round trip changed the ID: %v != %v", d.ID, c.ID)
		}
	})
}

func cursorString(t testing.TB, c entgql.Cursor[int]) string {
	t.Helper()
	var b jsonString
	c.MarshalGQL(&b)
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("cursor is not a JSON string: %v", err)
	}
	return s
}

type jsonString []byte

func (j *jsonString) Write(p []byte) (int, error) { *j = append(*j, p...); return len(p), nil }

// FuzzFilter feeds arbitrary JSON to the report filter as the GraphQL layer and stored
// exports decode it: validation, the SQL predicates and the live matcher must never
// panic, and a filter that validates must render SQL on both databases.
func FuzzFilter(f *testing.F) {
	f.Add([]byte(`{"from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z","types":["SYNC_ERROR"],"activeOnly":false}`))
	f.Add([]byte(`{"userID":5,"syncProfileID":7}`))
	f.Add([]byte(`{"types":["NOPE"]}`))
	f.Add([]byte(`{"from":"2026-03-01T00:00:00Z","to":"2025-03-01T00:00:00Z"}`))
	f.Add([]byte(`null`))
	sample := &ent.Event{Type: event.TypeACCOUNT_SYNCHRONIZATION, Processed: 3, DateFinished: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		var flt report.Filter
		if err := json.Unmarshal(data, &flt); err != nil {
			return
		}
		_ = flt.Matches(sample)
		if err := flt.Validate(); err != nil {
			return
		}
		for _, d := range []string{dialect.SQLite, dialect.Postgres} {
			sel := entsql.Dialect(d).Select("id").From(entsql.Table(event.Table))
			for _, p := range flt.Predicates() {
				p(sel)
			}
			if q, _ := sel.Query(); q == "" {
				t.Fatalf("no SQL for %s", d)
			}
		}
	})
}
