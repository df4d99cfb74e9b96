package report

import (
	"context"
	"time"

	"github.com/provreport/provreport/ent"
)

// SummarizeEvents is Summarize reading the events themselves, never their sums, for
// tests that hold the two together.
func SummarizeEvents(ctx context.Context, client *ent.Client, dialectName string, loc *time.Location, f Filter) (*Summary, error) {
	return summarize(ctx, client, dialectName, loc, f, false)
}
