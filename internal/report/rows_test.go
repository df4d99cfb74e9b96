package report_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSummaryCarriesEveryTotal holds the summary's hand-mapped rows to its Totals: for
// every field of Totals, found by reflection, the summary (and the sum of its buckets)
// equals the same sum taken in Go over the stored events, on both databases and for
// every way the database groups (quarter hours, zone hours, local days). A total added
// to Totals but not to the query's row, or not mapped from it, reads as zero and fails
// here, because every expected total is required to be non-zero.
func TestSummaryCarriesEveryTotal(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		sc := apitest.CreateSchool(t, db.Client, "totals", "Australia/Sydney")
		ctx := tenant.WithSchool(context.Background(), sc.ID)
		base := time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)
		var in []*ingest.Input
		for i := range 6 {
			at := base.Add(time.Duration(i) * 7 * time.Hour)
			if i%3 == 2 {
				in = append(in, &ingest.Input{Type: event.TypeAUTHENTICATION_FAILED, DateStarted: at, DateFinished: at,
					Username: ptr("alice")})
				continue
			}
			// Distinct counts per field and event, so that no sum equals another's.
			in = append(in, &ingest.Input{Type: event.TypeACCOUNT_SYNCHRONIZATION, DateStarted: at.Add(-time.Minute),
				DateFinished: at, SyncProfile: ptr("LDAP"), Processed: ptr(1000 + i), Added: ptr(100 + i),
				Updated: ptr(200 + i), Deleted: ptr(300 + i), Disabled: ptr(400 + i), Errors: ptr(500 + i)})
		}
		stored, err := ingest.NewRecorder(db).Record(ctx, in)
		require.NoError(t, err)
		want := expectedTotals(t, stored)

		from, to := base.Add(-time.Hour), base.Add(2*time.Hour*24)
		wide := base.Add(10 * 24 * time.Hour)
		for name, f := range map[string]report.Filter{
			"open range":   {ActiveOnly: ptr(false)},
			"narrow range": {ActiveOnly: ptr(false), From: &from, To: &to},
			"wide range":   {ActiveOnly: ptr(false), From: &from, To: &wide},
		} {
			loc, err := time.LoadLocation("Australia/Sydney")
			require.NoError(t, err)
			s, err := report.Summarize(ctx, db.Client, db.Dialect, loc, f)
			require.NoError(t, err, name)
			require.Equal(t, want, s.Totals, "%s: summary totals", name)
			var sum report.Totals
			for _, b := range s.Buckets {
				addTotals(&sum, b.Totals)
			}
			require.Equal(t, want, sum, "%s: the buckets add up to the totals", name)
		}
	})
}

// expectedTotals sums, for each field of report.Totals, the event field of the same name
// (Events counts the events, FailedLogins the failed sign-ins), and requires each to be
// non-zero so that a missing mapping cannot pass as a zero.
func expectedTotals(t *testing.T, events []*ent.Event) report.Totals {
	t.Helper()
	var want report.Totals
	wv := reflect.ValueOf(&want).Elem()
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		var n int64
		for _, e := range events {
			switch name {
			case "Events":
				n++
			case "FailedLogins":
				if string(e.Type) == eventtype.AuthenticationFailed {
					n++
				}
			default:
				f := reflect.ValueOf(e).Elem().FieldByName(name)
				require.True(t, f.IsValid(), "Totals.%s has no event field of the same name: say here what it sums", name)
				n += f.Int()
			}
		}
		require.NotZero(t, n, "the events give Totals.%s no value to check", name)
		wv.Field(i).SetInt(n)
	}
	return want
}

// addTotals adds every field of o to t.
func addTotals(t *report.Totals, o report.Totals) {
	tv, ov := reflect.ValueOf(t).Elem(), reflect.ValueOf(o)
	for i := range tv.NumField() {
		tv.Field(i).SetInt(tv.Field(i).Int() + ov.Field(i).Int())
	}
}
