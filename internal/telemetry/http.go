package telemetry

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// HTTP wraps h so that each request gets a server span, continuing the trace of an
// incoming W3C traceparent. Health checks and metric scrapes, polled every few seconds,
// are left out. Without tracing h is returned as it is.
func (t *Tracing) HTTP(h http.Handler) http.Handler {
	if !t.Enabled() {
		return h
	}
	return otelhttp.NewHandler(h, "provreport",
		otelhttp.WithTracerProvider(t.Provider),
		otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + Route(r.URL.Path)
		}),
	)
}

// Route is the path's route, a small set of names fit for span names and metric labels:
// each API path, "/exports/{id}/download" for downloads, and "/" for the dashboard and
// anything else.
func Route(path string) string {
	switch {
	case path == "/graphql", path == "/api/v1/events", path == "/playground",
		path == "/healthz", path == "/readyz", path == "/metrics":
		return path
	case strings.HasPrefix(path, "/exports/") && strings.HasSuffix(path, "/download"):
		return "/exports/{id}/download"
	case strings.HasPrefix(path, "/assets/"):
		return "/assets/"
	}
	return "/"
}
