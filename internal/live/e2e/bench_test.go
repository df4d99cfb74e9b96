package e2e_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/provreport/provreport/internal/testdb"
)

// BenchmarkLiveDelivery measures how long an event takes to reach live subscribers:
// from recordEvents returning to the graphql-ws client receiving it, with 1, 100 and
// 1,000 subscribers, each on its own websocket as browser tabs would be. On PostgreSQL
// the event is recorded through one server process and delivered by another; on SQLite
// one process does both. Each iteration records one event and waits until every
// subscriber has it.
//
// Reported: p50-ms and p99-ms over every (event, subscriber) delivery; a delivery can
// beat the recording call's response, which shows as a value near or below zero.
// before-ms-p50 is measured from the moment the request was sent instead. Use
// -benchtime 300x or more for a meaningful p99 (see docs/BENCHMARKS.md).
func BenchmarkLiveDelivery(b *testing.B) {
	for _, kind := range testdb.Kinds() {
		for _, n := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("%s/subscribers=%d", kind, n), func(b *testing.B) {
				benchDelivery(b, kind, n)
			})
		}
	}
}

// perProcess is how many subscribers one node process serves.
const perProcess = 250

func benchDelivery(b *testing.B, kind string, n int) {
	c := startOn(b, kind, "north")
	lines := make(chan line, 4*n)
	for first := 0; first < n; first += perProcess {
		k := min(perProcess, n-first)
		cl := subscribe(b, c.first, c.read["north"], eventQuery, map[string]any{"filter": nil}, k, k)
		settle(b, c, cl, "north", k)
		go func() {
			for l := range cl.lines {
				l.Sub += first
				lines <- l
			}
		}()
	}
	var after, before []float64
	ms := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }
	for b.Loop() {
		sent := time.Now()
		ids := record(b, c.second, c.write["north"], login("bench"))
		returned := time.Now()
		got := 0
		timeout := time.After(wait)
		for got < n {
			select {
			case l := <-lines:
				if l.Kind != "next" {
					b.Fatalf("subscriber %d: %+v", l.Sub, l)
				}
				e := l.Payload.Data.EventRecorded
				if e == nil || e.ID != ids[0] {
					continue // a late probe
				}
				got++
				after = append(after, l.T-ms(returned))
				before = append(before, l.T-ms(sent))
			case <-timeout:
				b.Fatalf("%d of %d subscribers received event %s within %s", got, n, ids[0], wait)
			}
		}
	}
	b.ReportMetric(percentile(after, 50), "p50-ms")
	b.ReportMetric(percentile(after, 99), "p99-ms")
	b.ReportMetric(percentile(before, 50), "before-ms-p50")
	b.ReportMetric(percentile(before, 99), "before-ms-p99")
	b.ReportMetric(float64(len(after)), "deliveries")
}

// percentile returns the p-th percentile of xs by the nearest-rank method.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}
