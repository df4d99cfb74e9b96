// Package telemetry exports traces over OTLP/HTTP when an operator asks for them with
// the standard OpenTelemetry variables: a span per HTTP request (otelhttp), per GraphQL
// operation (Operations, a gqlgen extension) and per database statement (otelsql, wired
// by the store package). Without an endpoint nothing is created and nothing is sent.
package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ServiceName is the service.name traces carry unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise.
const ServiceName = "provreport"

// Tracing is the trace pipeline of one process. Its zero value (and a nil *Tracing)
// traces nothing.
type Tracing struct {
	// Provider makes the spans; nil when tracing is off.
	Provider trace.TracerProvider
	// Propagator reads an incoming W3C traceparent and tracestate (and baggage).
	Propagator propagation.TextMapPropagator

	sdk *sdktrace.TracerProvider
}

// Enabled reports whether spans are made and exported.
func (t *Tracing) Enabled() bool { return t != nil && t.Provider != nil }

// Shutdown sends the spans still buffered and stops the exporter. It does nothing when
// tracing is off.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}

// Requested reports whether the environment asks for traces: an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT for traces alone),
// and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns it off.
func Requested() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")), "none") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv builds the trace pipeline the standard OTEL_* variables describe, or returns
// a Tracing that traces nothing (no exporter, no provider) when Requested is false. The
// exporter itself reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression,
// certificates), the SDK reads OTEL_TRACES_SAMPLER and OTEL_BSP_*, and the resource
// reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
func FromEnv(ctx context.Context) (*Tracing, error) {
	if !Requested() {
		return &Tracing{}, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// The variables are merged last, so they win over the default service name.
	res, err := resource.Merge(resource.NewSchemaless(semconv.ServiceName(ServiceName)), resource.Environment())
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{
		Provider:   sdk,
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		sdk:        sdk,
	}, nil
}
