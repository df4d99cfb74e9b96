package bench_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// samples collects the latency of every operation of one benchmark run.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *samples) quantile(q float64) time.Duration {
	if len(s.d) == 0 {
		return 0
	}
	slices.Sort(s.d)
	i := int(q*float64(len(s.d)-1) + 0.5)
	return s.d[i]
}

// result is one line of the summary table printed after the benchmarks.
type result struct {
	name    string
	n       int
	p50     time.Duration
	p95     time.Duration
	metrics map[string]float64
}

var (
	resultsMu sync.Mutex
	results   = map[string]*result{}
	order     []string
	notes     []string
)

// record reports median and p95 as benchmark metrics and keeps them for the summary;
// the last run of a benchmark (the one with the final b.N) wins.
func record(b *testing.B, s *samples, metrics map[string]float64) {
	b.Helper()
	r := &result{name: b.Name(), n: len(s.d), metrics: metrics}
	if len(s.d) > 0 {
		r.p50, r.p95 = s.quantile(0.5), s.quantile(0.95)
		b.ReportMetric(ms(r.p50), "p50-ms")
		b.ReportMetric(ms(r.p95), "p95-ms")
	}
	for k, v := range metrics {
		b.ReportMetric(v, k)
	}
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if _, ok := results[r.name]; !ok {
		order = append(order, r.name)
	}
	results[r.name] = r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// processCPU is the CPU time (user and system) this process has used. The servers run
// in the benchmark's process, so a query's CPU per operation is what the Go side costs
// (server and client; the database's own work is not counted). On a shared host that
// varies far less than the query's wall time does, so it shows changes to the server's
// work that latency alone hides in the noise.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// withCPU adds "cpu-ms/op" to metrics: the process's CPU since since, over n operations.
func withCPU(metrics map[string]float64, since time.Duration, n int) map[string]float64 {
	if metrics == nil {
		metrics = map[string]float64{}
	}
	if n > 0 {
		metrics["cpu-ms/op"] = ms(processCPU()-since) / float64(n)
	}
	return metrics
}

// note prints a line now and again in the summary.
func note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "bench: "+line)
	resultsMu.Lock()
	notes = append(notes, line)
	resultsMu.Unlock()
}

func printSummary() {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(order) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n## provreport benchmark summary\n\n")
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("\n| benchmark | runs | median ms | p95 ms | other |\n| --- | ---: | ---: | ---: | --- |\n")
	for _, name := range order {
		r := results[name]
		keys := make([]string, 0, len(r.metrics))
		for k := range r.metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var other []string
		for _, k := range keys {
			other = append(other, fmt.Sprintf("%s %s", human(r.metrics[k]), k))
		}
		p50, p95 := "", ""
		if r.n > 0 {
			p50, p95 = fmt.Sprintf("%.2f", ms(r.p50)), fmt.Sprintf("%.2f", ms(r.p95))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", strings.TrimPrefix(name, "Benchmark"), r.n, p50, p95, strings.Join(other, ", "))
	}
	fmt.Print(b.String())
}

func human(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	c := slices.Clone(v)
	slices.Sort(c)
	return c[len(c)/2]
}

func minOf(v []int) int {
	if len(v) == 0 {
		return 0
	}
	return slices.Min(v)
}

func maxOf(v []int) int {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}
