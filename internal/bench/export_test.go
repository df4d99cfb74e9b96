package bench_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/provreport/provreport/internal/bench"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/report"
)

// exportSchool returns the school holding the large export's rows, loading it (one
// school of PROVREPORT_BENCH_EXPORT_ROWS events over the same year) on first use.
func (e *env) exportSchool(b *testing.B) *school {
	if e.export != nil {
		return e.export
	}
	ctx := context.Background()
	rows := envInt(envExportRows, 50_000)
	// The export writes events only: the school's runs carry no changes, which would
	// add minutes to the load at a million rows.
	cfg := bench.Config{Events: rows, Schools: 1, Users: 5_000, Prefix: fmt.Sprintf("export%d-", rows), ChangesPerEvent: -1}.Defaults()
	slug := cfg.SchoolList()[0].Slug
	s := &school{Slug: slug, Loc: time.UTC}
	err := e.db.SQL.QueryRowContext(ctx, rebind(e.kind, "SELECT id FROM schools WHERE slug = ?"), slug).Scan(&s.ID)
	if err != nil {
		start := time.Now()
		n, err := bench.Load(ctx, e.db, cfg)
		if err != nil {
			b.Fatalf("load export school: %v", err)
		}
		note("%s: loaded the export school (%d events) in %s", e.kind, n, time.Since(start).Round(time.Millisecond))
		if err := e.db.SQL.QueryRowContext(ctx, rebind(e.kind, "SELECT id FROM schools WHERE slug = ?"), slug).Scan(&s.ID); err != nil {
			b.Fatal(err)
		}
	}
	e.export = s
	return s
}

// peakHeap samples HeapInuse every 10 ms until stop is called, which returns the
// highest value seen.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		peak = max(peak, m.HeapInuse)
		mu.Unlock()
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		return peak
	}
}

// BenchmarkExport streams a CSV export into a file with export.WriteCSV, for the
// largest ordinary school's year and for the large export school, and on PostgreSQL
// the same rows with COPY (...) TO STDOUT WITH CSV; rows/s and peak heap in use.
func BenchmarkExport(b *testing.B) {
	for _, kind := range kinds() {
		b.Run(kind, func(b *testing.B) {
			e := setup(b, kind)
			big := e.schools[0]
			for _, s := range e.schools {
				if s.Active > big.Active {
					big = s
				}
			}
			from, to := yearRange(e)
			all := false
			cases := []struct {
				name string
				s    *school
				f    report.Filter
			}{
				{"school_year", big, report.Filter{From: &from, To: &to, ActiveOnly: &all}},
				{fmt.Sprintf("rows=%d", envInt(envExportRows, 50_000)), e.exportSchool(b), report.Filter{ActiveOnly: &all}},
			}
			for _, c := range cases {
				rows := export.Rows{SchoolID: c.s.ID, Filter: c.f, MaxEventID: 1 << 62, Location: c.s.Loc}
				b.Run(c.name+"/writecsv", func(b *testing.B) {
					path := filepath.Join(b.TempDir(), "export.csv")
					var total int
					stop := peakHeap()
					start := time.Now()
					for i := 0; i < b.N; i++ {
						f, err := os.Create(path)
						if err != nil {
							b.Fatal(err)
						}
						n, _, err := export.WriteCSV(context.Background(), e.db.SQL, e.db.Dialect, rows, f)
						if err != nil {
							b.Fatal(err)
						}
						if err := f.Close(); err != nil {
							b.Fatal(err)
						}
						total += n
					}
					elapsed := time.Since(start)
					peak := stop()
					record(b, &samples{}, map[string]float64{
						"rows/s": float64(total) / elapsed.Seconds(), "rows": float64(total / b.N),
						"peak-heap-MiB": float64(peak) / (1 << 20),
					})
				})
				if kind != "postgres" {
					continue
				}
				b.Run(c.name+"/copy", func(b *testing.B) {
					q := copyQuery(c.s.ID, c.f)
					path := filepath.Join(b.TempDir(), "copy.csv")
					var total int64
					start := time.Now()
					for i := 0; i < b.N; i++ {
						n, err := copyTo(e, q, path)
						if err != nil {
							b.Fatal(err)
						}
						total += n
					}
					record(b, &samples{}, map[string]float64{
						"rows/s": float64(total) / time.Since(start).Seconds(), "rows": float64(total / int64(b.N)),
					})
				})
			}
		})
	}
}

// copyQuery is the export's SELECT with literal values, as COPY needs them.
func copyQuery(schoolID int, f report.Filter) string {
	where := fmt.Sprintf("e.school_id = %d", schoolID)
	if f.From != nil {
		where += fmt.Sprintf(" AND e.date_finished >= '%s' AND e.date_finished < '%s'", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	if f.Active() {
		where += " AND " + report.ActiveIndexPredicate()
	}
	return `COPY (SELECT e.updated, e.added, e.deleted, e.disabled, e.type, p.name, e.errors, e.date_finished,
 e.processed, e.date_started, e.details FROM events e LEFT JOIN sync_profiles p ON p.id = e.sync_profile_id
 WHERE ` + where + ` ORDER BY e.date_finished DESC, e.id DESC) TO STDOUT WITH CSV HEADER`
}

func copyTo(e *env, q, path string) (int64, error) {
	ctx := context.Background()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	conn, err := e.db.Pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	tag, err := conn.Conn().PgConn().CopyTo(ctx, w, q)
	if err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
