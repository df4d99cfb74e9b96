package health

import (
	"context"
	"time"

	"github.com/provreport/provreport/ent"
)

// OfProfiles judges each profile from its latest runs at the time now, reading the runs of
// every profile in one query (LatestRuns); the result is keyed by profile ID.
// quietAfterMinimum is the school's setting (SettingsOf(school).QuietAfterMinimum). The
// GraphQL field SyncHealth, the server's watch for status changes and the daily digest all
// read health here, so they never disagree.
func OfProfiles(ctx context.Context, client *ent.Client, ps []*ent.SyncProfile, quietAfterMinimum time.Duration, now time.Time) (map[int]ProfileHealth, error) {
	ids := make([]int, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	runs, err := LatestRuns(ctx, client, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int]ProfileHealth, len(ps))
	for _, p := range ps {
		s := ProfileSettings{QuietAfterMinimum: quietAfterMinimum}
		if p.ExpectedEvery != nil {
			d := time.Duration(*p.ExpectedEvery) * time.Second
			s.Schedule = &d
		}
		out[p.ID] = Judge(runs[p.ID], now, s)
	}
	return out, nil
}
