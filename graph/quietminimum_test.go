package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestQuietAfterMinimumRange: the school's shortest quiet silence takes whole seconds from
// 60 to 2,592,000 (30 days); one second outside either end is refused as BAD_USER_INPUT
// naming the field and keeps the stored value, and the value set decides when a profile
// that runs every minute becomes QUIET.
func TestQuietAfterMinimumRange(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		admin := signedInAdmin(t, b.srv, b.school.ID, b.school.Slug)
		update := `mutation($v: Int!) { updateSyncHealthSettings(input: {quietAfterMinimum: $v}) { quietAfterMinimum } }`
		read := `{ syncHealthSettings { quietAfterMinimum } }`
		require.JSONEq(t, `{"syncHealthSettings":{"quietAfterMinimum":3600}}`, string(b.srv.Do(t, b.token, read, nil).OK(t).Data))

		for _, tc := range []struct {
			value int
			ok    bool
		}{{-1, false}, {0, false}, {59, false}, {60, true}, {61, true}, {2_591_999, true}, {2_592_000, true}, {2_592_001, false}} {
			out := admin(update, map[string]any{"v": tc.value})
			if tc.ok {
				require.JSONEq(t, fmt.Sprintf(`{"data":{"updateSyncHealthSettings":{"quietAfterMinimum":%d}}}`, tc.value), out)
				continue
			}
			require.Contains(t, out, `"code":"BAD_USER_INPUT"`, "value %d: %s", tc.value, out)
			require.Contains(t, out, "input.quietAfterMinimum", out)
			require.NotContains(t, out, `"updateSyncHealthSettings":{`, out)
		}
		// The refused 2,592,001 left the last accepted value.
		require.JSONEq(t, `{"syncHealthSettings":{"quietAfterMinimum":2592000}}`, string(b.srv.Do(t, b.token, read, nil).OK(t).Data))

		// A profile that ran every minute until ten minutes ago: quiet under a 60-second
		// minimum (3 × 1 minute has passed), not under the default hour.
		last := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
		var in []map[string]any
		for i := range 5 {
			at := last.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339)
			in = append(in, map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "dateStarted": at, "dateFinished": at,
				"syncProfile": "Staff", "processed": 100, "externalID": fmt.Sprint("q", i)})
		}
		record(t, b.srv, b.token, in)
		status := `{ syncProfiles { health { status } } }`
		admin(update, map[string]any{"v": 3600})
		require.JSONEq(t, `{"syncProfiles":[{"health":{"status":"HEALTHY"}}]}`, string(b.srv.Do(t, b.token, status, nil).OK(t).Data))
		admin(update, map[string]any{"v": 60})
		require.JSONEq(t, `{"syncProfiles":[{"health":{"status":"QUIET"}}]}`, string(b.srv.Do(t, b.token, status, nil).OK(t).Data))
	})
}
