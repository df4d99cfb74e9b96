package metrics

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The rate limits whose refusals are counted (label "limit" of
// provreport_rate_limit_refusals_total).
const (
	// LimitRequests is PROVREPORT_RATE_LIMIT: API requests per caller.
	LimitRequests = "requests"
	// LimitRecordEvents is PROVREPORT_RECORD_RATE_LIMIT: recorded events per caller.
	LimitRecordEvents = "record_events"
)

// Transports of provreport_open_connections.
const (
	// TransportWebsocket is a GraphQL websocket (graphql-ws).
	TransportWebsocket = "websocket"
	// TransportSSE is a GraphQL Server-Sent Events stream.
	TransportSSE = "sse"
)

// operatorMetrics are what an operator's dashboards and alerts start from: answers by
// status, GraphQL errors by code, open streaming connections, rate-limit refusals and
// the export queue.
type operatorMetrics struct {
	requests  *prometheus.CounterVec
	gqlErrors *prometheus.CounterVec
	open      *prometheus.GaugeVec
	refusals  *prometheus.CounterVec

	// codes caches the label strings of status codes.
	codes sync.Map
}

func newOperatorMetrics(reg *prometheus.Registry) *operatorMetrics {
	o := &operatorMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provreport_http_requests_total",
			Help: "HTTP requests answered, by route (/graphql, /api/v1/events, /exports/{id}/download, / for the dashboard, …) and status code.",
		}, []string{"route", "code"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provreport_graphql_errors_total",
			Help: "GraphQL errors sent to clients, by extensions.code (including those answered before GraphQL runs: BAD_REQUEST, UNAUTHENTICATED for a bad token, TOO_MANY_REQUESTS, REQUEST_TOO_LARGE).",
		}, []string{"code"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provreport_open_connections",
			Help: "Long-lived GraphQL connections open on this replica, by transport (websocket, sse).",
		}, []string{"transport"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "provreport_rate_limit_refusals_total",
			Help: "Requests refused with 429 by a rate limit, by limit (requests: PROVREPORT_RATE_LIMIT; record_events: PROVREPORT_RECORD_RATE_LIMIT).",
		}, []string{"limit"}),
	}
	// Series that exist from the start read as 0 rather than missing, so that rate() and
	// alerts work before the first event.
	o.open.WithLabelValues(TransportWebsocket)
	o.open.WithLabelValues(TransportSSE)
	o.refusals.WithLabelValues(LimitRequests)
	o.refusals.WithLabelValues(LimitRecordEvents)
	reg.MustRegister(o.requests, o.gqlErrors, o.open, o.refusals)
	return o
}

// Request counts one answered HTTP request; route must come from a small fixed set.
func (m *Metrics) Request(route string, status int) {
	code, ok := m.op.codes.Load(status)
	if !ok {
		code, _ = m.op.codes.LoadOrStore(status, strconv.Itoa(status))
	}
	m.op.requests.WithLabelValues(route, code.(string)).Inc()
}

// GraphQLError counts one GraphQL error sent with the given extensions.code ("" counts
// as UNKNOWN). Codes are the server's own, never the client's words.
func (m *Metrics) GraphQLError(code string) {
	if code == "" {
		code = "UNKNOWN"
	}
	m.op.gqlErrors.WithLabelValues(code).Inc()
}

// Opened counts a long-lived connection of the transport as open, and returns the
// function to call once when it closes.
func (m *Metrics) Opened(transport string) (closed func()) {
	g := m.op.open.WithLabelValues(transport)
	g.Inc()
	var once sync.Once
	return func() { once.Do(g.Dec) }
}

// RateLimited counts one request refused by the named limit.
func (m *Metrics) RateLimited(limit string) { m.op.refusals.WithLabelValues(limit).Inc() }

// ExportQueue exports the queue of requested exports not yet started: how many there
// are, and how long the oldest has waited, read with queued on each scrape. queued
// returns the count and the oldest request's time (zero when none waits).
func (m *Metrics) ExportQueue(queued func(ctx context.Context) (int, time.Time, error)) {
	m.reg.MustRegister(&exportQueueCollector{queued: queued, now: time.Now,
		depth: prometheus.NewDesc("provreport_export_queue_depth", "Exports requested and not yet started (status QUEUED).", nil, nil),
		age:   prometheus.NewDesc("provreport_export_queue_oldest_age_seconds", "How long the oldest queued export has waited; 0 when none waits.", nil, nil),
	})
}

type exportQueueCollector struct {
	queued     func(ctx context.Context) (int, time.Time, error)
	now        func() time.Time
	depth, age *prometheus.Desc
}

func (c *exportQueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.age
}

func (c *exportQueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := c.queued(ctx)
	if err != nil {
		// A scrape without the series says the value is unknown; a made-up 0 would not.
		return
	}
	age := 0.0
	if n > 0 && !oldest.IsZero() {
		age = max(0, c.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
}
