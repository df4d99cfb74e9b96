// Package metrics exposes provreport's Prometheus metrics: GraphQL latency by operation,
// the database pool, the job queue, exports, and live delivery.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/provreport/provreport/internal/live"
)

// Metrics is provreport's metric registry.
type Metrics struct {
	reg           *prometheus.Registry
	gqlDuration   *prometheus.HistogramVec
	exportSeconds prometheus.Histogram
	exportRows    prometheus.Histogram
	exportFailed  prometheus.Counter
	op            *operatorMetrics
	// known maps the operation names this server knows to their type ("query",
	// "mutation"); any other name is labelled "other".
	known map[string]string
}

// OtherOperation is the operation label of named operations this server does not know.
// Operation names are chosen by clients, anyone can send any number of them, and each
// label value is a new time series kept until the process ends.
const OtherOperation = "other"

// KnowOperations sets the operation names (with their type, "query" or "mutation") that
// are labelled by name; call it before serving.
func (m *Metrics) KnowOperations(known map[string]string) { m.known = known }

// New registers the metrics. broker may be nil until live delivery exists.
func New(db *sql.DB, broker func() live.Stats) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, "provreport"))
	m.gqlDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "provreport_graphql_duration_seconds",
		Help:    "Time to answer a GraphQL query or mutation, by operation name and type.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"operation", "type"})
	m.exportSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "provreport_export_duration_seconds", Help: "Time to build an export's CSV file.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
	})
	m.exportRows = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "provreport_export_rows", Help: "Rows in a finished export.",
		Buckets: prometheus.ExponentialBuckets(10, 4, 10),
	})
	m.exportFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "provreport_export_build_failures_total", Help: "Export builds that failed (each attempt).",
	})
	m.reg.MustRegister(m.gqlDuration, m.exportSeconds, m.exportRows, m.exportFailed)
	m.op = newOperatorMetrics(m.reg)
	m.reg.MustRegister(&queueCollector{db: db,
		depth:  prometheus.NewDesc("provreport_jobs", "Background jobs by kind and state.", []string{"kind", "state"}, nil),
		failed: prometheus.NewDesc("provreport_job_errors", "Errors recorded on jobs still in the queue, by kind.", []string{"kind"}, nil),
	})
	if broker != nil {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "provreport_live_subscriptions", Help: "Live subscriptions open on this replica."},
				func() float64 { return float64(broker().Open) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "provreport_live_events_delivered_total", Help: "Events handed to live subscribers."},
				func() float64 { return float64(broker().Delivered) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "provreport_live_subscriptions_dropped_total", Help: "Subscriptions ended because they fell behind."},
				func() float64 { return float64(broker().Dropped) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "provreport_live_reconnects_total", Help: "Times the PostgreSQL listener reconnected."},
				func() float64 { return float64(broker().Reconnects) }),
		)
	}
	return m
}

// ReportCache exports the report cache's hits and misses (graph.ReportCache.Stats).
func (m *Metrics) ReportCache(stats func() (hits, misses int64)) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "provreport_report_cache_hits_total", Help: "Report queries answered from the cache."},
			func() float64 { h, _ := stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "provreport_report_cache_misses_total", Help: "Cacheable report queries that ran."},
			func() float64 { _, mi := stats(); return float64(mi) }),
	)
}

// Handler serves the metrics in the Prometheus text format. With a token, only a
// request with "Authorization: Bearer <token>" is answered; others get 401.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		ok := len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ")
		// Hashing first makes the comparison take the same time whatever the length.
		got := sha256.Sum256([]byte(strings.TrimSpace(auth[min(len(auth), 7):])))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "send the metrics token (PROVREPORT_METRICS_TOKEN) as a bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ExportBuilt records a finished export build.
func (m *Metrics) ExportBuilt(d time.Duration, rows int, err error) {
	if err != nil {
		m.exportFailed.Inc()
		return
	}
	m.exportSeconds.Observe(d.Seconds())
	m.exportRows.Observe(float64(rows))
}

// GraphQL is a gqlgen extension timing each query and mutation by operation name: the
// name when KnowOperations lists it with this type, "anonymous" for an unnamed
// operation, OtherOperation for any other.
func (m *Metrics) GraphQL() graphql.HandlerExtension { return gqlTimer{m} }

type gqlTimer struct{ m *Metrics }

func (gqlTimer) ExtensionName() string                   { return "Metrics" }
func (gqlTimer) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse counts the response's errors by code and times one response;
// subscriptions, whose responses stream, are not timed.
func (g gqlTimer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return g.countErrors(next(ctx))
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == "subscription" {
		return g.countErrors(next(ctx))
	}
	start := time.Now()
	resp := g.countErrors(next(ctx))
	name := oc.OperationName
	if name == "" {
		name = oc.Operation.Name
	}
	typ := string(oc.Operation.Operation)
	switch {
	case name == "":
		name = "anonymous"
	case g.m.known[name] != typ:
		name = OtherOperation
	}
	g.m.gqlDuration.WithLabelValues(name, typ).Observe(time.Since(start).Seconds())
	return resp
}

// countErrors counts resp's errors by code.
func (g gqlTimer) countErrors(resp *graphql.Response) *graphql.Response {
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			g.m.GraphQLError(code)
		}
	}
	return resp
}

// queueCollector reads River's job table on each scrape.
type queueCollector struct {
	db            *sql.DB
	depth, failed *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.failed
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, "SELECT kind, state, COUNT(*) FROM river_job GROUP BY kind, state")
	if err == nil {
		for rows.Next() {
			var kind, state string
			var n float64
			if rows.Scan(&kind, &state, &n) == nil {
				ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, n, kind, state)
			}
		}
		rows.Close()
	}
	rows, err = c.db.QueryContext(ctx, "SELECT kind, COUNT(*) FROM river_job WHERE state IN ('retryable', 'discarded') GROUP BY kind")
	if err == nil {
		for rows.Next() {
			var kind string
			var n float64
			if rows.Scan(&kind, &n) == nil {
				ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, n, kind)
			}
		}
		rows.Close()
	}
}
