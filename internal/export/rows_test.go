package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestCSVRowsCarryEveryColumn holds the export's hand-read rows to its header: every
// column of export.Header is compared, cell by cell, with the stored event's field of the
// same name (found by reflection: date_finished is DateFinished; event is the type's
// display name, syncprofile_name the sync profile's), on both databases. A column added
// to the header and the query but not read or not written leaves its cell empty or zero,
// which fails here because every expected cell is required to be neither.
func TestCSVRowsCarryEveryColumn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		sc := apitest.CreateSchool(t, db.Client, "columns", "UTC")
		ctx := tenant.WithSchool(context.Background(), sc.ID)
		base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		var in []*ingest.Input
		for i := range 3 {
			n := func(k int) *int { v := k*10 + i + 1; return &v }
			details := "details " + strconv.Itoa(i)
			in = append(in, &ingest.Input{Type: event.TypeACCOUNT_SYNCHRONIZATION,
				DateStarted: base.Add(time.Duration(i)*time.Hour - time.Minute), DateFinished: base.Add(time.Duration(i) * time.Hour),
				SyncProfile: ptr("LDAP " + strconv.Itoa(i)), Processed: n(1), Added: n(2), Updated: n(3), Deleted: n(4),
				Disabled: n(5), Errors: n(6), Details: &details})
		}
		stored, err := ingest.NewRecorder(db).Record(ctx, in)
		require.NoError(t, err)
		loc := time.FixedZone("east", 5*3600)

		var buf bytes.Buffer
		n, _, err := export.WriteCSV(ctx, db.SQL, db.Dialect, export.Rows{SchoolID: sc.ID, MaxEventID: math.MaxInt64,
			Filter: report.Filter{}, Location: loc}, &buf)
		require.NoError(t, err)
		require.Equal(t, len(stored), n)
		// The file opens with a UTF-8 byte-order mark (for Excel); the header follows it exactly.
		require.True(t, bytes.HasPrefix(buf.Bytes(), []byte(export.BOM)), "the file starts with a byte-order mark")
		records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte(export.BOM)))).ReadAll()
		require.NoError(t, err)
		require.Equal(t, export.Header, records[0])
		for r, rec := range records[1:] {
			e := stored[len(stored)-1-r] // newest first
			for c, col := range export.Header {
				want := expectedCell(t, ctx, e, col, loc)
				require.NotContains(t, []string{"", "0"}, want, "the events give column %s no value to check", col)
				require.Equal(t, want, rec[c], "row %d, column %s", r+1, col)
			}
		}
	})
}

// expectedCell is what column col of the export says of e.
func expectedCell(t *testing.T, ctx context.Context, e *ent.Event, col string, loc *time.Location) string {
	t.Helper()
	switch col {
	case "event":
		return eventtype.DisplayName(string(e.Type))
	case "syncprofile_name":
		p, err := e.QuerySyncProfile().Only(ctx)
		require.NoError(t, err)
		return p.Name
	}
	name := ""
	for _, part := range strings.Split(col, "_") {
		name += strings.ToUpper(part[:1]) + part[1:]
	}
	f := reflect.ValueOf(e).Elem().FieldByName(name)
	require.True(t, f.IsValid(), "column %s has no event field %s: say here what it holds", col, name)
	switch v := f.Interface().(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		return v
	case time.Time:
		return v.In(loc).Format(time.RFC3339)
	}
	t.Fatalf("column %s: no formatting for %T", col, f.Interface())
	return ""
}

func ptr[T any](v T) *T { return &v }
