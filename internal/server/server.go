// Package server composes provreport's HTTP surface: the GraphQL endpoint, the
// playground, health checks and the embedded dashboard, behind request IDs, access
// logs, security headers, CORS, body limits and authentication.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/riverqueue/river"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/ent"
	entexport "github.com/provreport/provreport/ent/export"
	"github.com/provreport/provreport/frontend"
	"github.com/provreport/provreport/graph"
	"github.com/provreport/provreport/internal/alert"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/mail"
	"github.com/provreport/provreport/internal/metrics"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/retention"
	"github.com/provreport/provreport/internal/secretkey"
	"github.com/provreport/provreport/internal/sso"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/telemetry"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// Config is what the server needs to know beyond the database.
type Config struct {
	// Addr is the listen address, e.g. 127.0.0.1:8080.
	Addr string
	// CORSOrigins are the cross-origin sites allowed to call the API with credentials.
	CORSOrigins []string
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64
	// ComplexityLimit caps a query's computed complexity.
	ComplexityLimit int
	// ShutdownGrace is how long shutdown waits for in-flight requests.
	ShutdownGrace time.Duration
	// RequestTimeout bounds one GraphQL query or mutation (not subscriptions).
	RequestTimeout time.Duration
	// MaxDepth caps how deeply a query may nest.
	MaxDepth int
	// Session configures dashboard sessions.
	Session auth.SessionOptions
	// PublicURL is the dashboard's address as users reach it, for links in emails.
	PublicURL string
	// DataDir holds the default export folder and the mail outbox.
	DataDir string
	// BlobURL is the export storage bucket (s3://, gs://, azblob://, file://); empty
	// means DataDir/exports.
	BlobURL string
	// SMTPURL and SMTPFrom configure email; without SMTPURL mail goes to DataDir/outbox.
	SMTPURL, SMTPFrom string
	// ExportTTL is how long finished exports can be downloaded.
	ExportTTL time.Duration
	// ExportAttempts is how many times an export build is tried before it fails.
	ExportAttempts int
	// DownloadNowMaxRows is how many events GET /report.csv (the dashboard's "Download
	// now") serves at most; zero means 10,000.
	DownloadNowMaxRows int
	// ExportRowPause slows every export build down by this much per row, for tests
	// that stop a server in the middle of a build; zero in production.
	ExportRowPause time.Duration
	// Queue tunes the background job queue.
	Queue queue.Options
	// Live tunes live delivery.
	Live live.Options
	// MetricsAddr, when set, serves /metrics, /healthz and /readyz on their own address
	// (kept off the public port); otherwise they are served on Addr, /metrics only when
	// MetricsToken is set.
	MetricsAddr string
	// RateLimit is each caller's budget of API requests; zero sets none.
	RateLimit RateLimit
	// RecordRateLimit is each caller's budget of recorded events, counted per event
	// whether they come through recordEvents or POST /api/v1/events; zero sets none.
	RecordRateLimit RateLimit
	// MetricsToken, when set, is the bearer token /metrics asks for, wherever it is served.
	MetricsToken string
	// RetentionDays deletes events older than this many days; zero keeps the default
	// (365), negative keeps events forever.
	RetentionDays int
	// ReportCacheBytes is the memory for cached report answers (graph.ReportCache);
	// zero keeps the default (64 MiB), negative turns the cache off.
	ReportCacheBytes int64
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed when
	// telling clients apart (for sign-in throttling and logs).
	TrustedProxies []netip.Prefix
	// LiveRecheck is how often the credentials of open websockets and event streams are
	// read again, so that those whose credential ended are closed; zero means 2 s.
	LiveRecheck time.Duration
	// MaxSubscriptionsPerCredential caps the subscriptions one API token or one user's
	// sessions hold open on a replica; zero means 100.
	MaxSubscriptionsPerCredential int
	// MaxSubscriptions caps the subscriptions open on a replica; zero means 10,000.
	MaxSubscriptions int
	// SecretKeys seal and open the client secrets of single sign-on providers
	// (PROVREPORT_SECRET_KEY); nil or empty keys turn single sign-on off.
	SecretKeys *secretkey.Keys
	// OIDCHTTPClient talks to single sign-on providers; nil uses one with a 10 s timeout.
	OIDCHTTPClient *http.Client
	// HealthInterval is how often every school's sync health is recomputed, so that a
	// profile whose runs stopped is noticed QUIET; zero means alert.DefaultInterval.
	HealthInterval time.Duration
	// Now is the clock sync health is judged by; nil means time.Now. Tests move it to
	// make profiles quiet or a digest due without waiting.
	Now func() time.Time
	// Tracing, when enabled, makes a span per HTTP request and per GraphQL operation
	// (the database's spans are wired where it is opened: store.WithTracing); nil traces
	// nothing.
	Tracing *telemetry.Tracing
}

// Defaults fills unset fields with production defaults.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.MaxBodyBytes == 0 {
		// A full recordEvents batch of 1,000 events with long details fits comfortably.
		c.MaxBodyBytes = 8 << 20
	}
	if c.ComplexityLimit == 0 {
		c.ComplexityLimit = 25000
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = 12
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 20 * time.Second
	}
	if c.ReportCacheBytes == 0 {
		c.ReportCacheBytes = 64 << 20
	}
	if c.LiveRecheck <= 0 {
		c.LiveRecheck = 2 * time.Second
	}
	if c.MaxSubscriptionsPerCredential <= 0 {
		c.MaxSubscriptionsPerCredential = 100
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = 10000
	}
}

// Server is a provreport HTTP server over one database.
type Server struct {
	cfg     Config
	db      *store.DB
	logger  *slog.Logger
	handler http.Handler
	// Recorder is the ingestion path shared by GraphQL and anything else recording.
	Recorder *ingest.Recorder
	// Sessions signs dashboard users in and out.
	Sessions *auth.Sessions
	// Exports builds and serves CSV exports.
	Exports *export.Service
	// Queue works background jobs.
	Queue *queue.Queue
	// Broker delivers recorded events to live subscribers on every replica.
	Broker live.Broker
	// SSO signs users in through their school's OpenID Connect providers.
	SSO *sso.Service
	// ReportCache answers repeated report queries; nil when turned off.
	ReportCache *graph.ReportCache
	// Alerts notices sync health changes and emails the people who asked.
	Alerts *alert.Watch

	metrics  *metrics.Metrics
	resolver *graph.Resolver
	ops      http.Handler
	started  atomic.Bool
	// draining is set when shutdown begins: /readyz answers 503 from then on.
	draining atomic.Bool

	// wsCtx is the parent of every websocket connection; cancelling it on shutdown
	// closes them with a normal close code.
	wsCtx    context.Context
	wsCancel context.CancelFunc
	// live registers open websockets and event streams, to close those whose
	// credential ends.
	live *liveConns
	// refusals slows down addresses whose websockets keep being refused; refused
	// counts them.
	refusals *refusalThrottle
	refused  func(reason string)
	// records is the events budget (Config.RecordRateLimit).
	records *limiter
}

// New builds the server: its services, background workers and HTTP handler. Call
// ListenAndServe (or Start and Stop around Handler) to run it.
func New(ctx context.Context, db *store.DB, cfg Config, logger *slog.Logger) (*Server, error) {
	cfg.Defaults()
	s := &Server{cfg: cfg, db: db, logger: logger, Recorder: ingest.NewRecorder(db),
		Sessions: auth.NewSessions(db.Client, cfg.Session)}

	sender, err := mail.New(cfg.SMTPURL, cfg.SMTPFrom, filepath.Join(cfg.DataDir, "outbox"), logger)
	if err != nil {
		return nil, err
	}
	bucket, err := export.OpenBucket(ctx, cfg.BlobURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.Exports = &export.Service{DB: db, Bucket: bucket, Mail: sender, PublicURL: cfg.PublicURL,
		TTL: cfg.ExportTTL, MaxAttempts: cfg.ExportAttempts, MaxNowRows: cfg.DownloadNowMaxRows, Logger: logger,
		RowPause: cfg.ExportRowPause}
	workers := river.NewWorkers()
	s.Exports.Register(workers)
	qo := cfg.Queue
	days := cfg.RetentionDays
	if days == 0 {
		days = retention.DefaultDays
	}
	qo.Periodic = append(qo.Periodic, retention.Register(workers, db, days)...)
	qo.Periodic = append(qo.Periodic, s.Exports.Periodic()...)
	qo.Periodic = append(qo.Periodic, auth.Periodic(db.Client)...)
	s.Alerts = &alert.Watch{DB: db, Mail: sender, PublicURL: cfg.PublicURL, Interval: cfg.HealthInterval,
		Now: cfg.Now, Logger: logger}
	qo.Periodic = append(qo.Periodic, s.Alerts.Register(workers)...)
	auth.RegisterWorkers(workers, db.Client)
	if qo.Logger == nil {
		qo.Logger = logger
	}
	if cfg.Live.Logger == nil {
		cfg.Live.Logger = logger
	}
	s.Queue, err = queue.New(db, workers, qo)
	if err != nil {
		return nil, err
	}
	s.Exports.Queue = s.Queue
	s.Alerts.Queue = s.Queue

	s.Broker, err = live.New(ctx, db, cfg.Live)
	if err != nil {
		return nil, err
	}
	s.Alerts.Broker = s.Broker
	s.Recorder.OnRecorded = func(ctx context.Context, created []*ent.Event) {
		db.NoteWrite(nil)
		if err := s.Broker.Publish(context.WithoutCancel(ctx), created); err != nil {
			logger.WarnContext(ctx, "publish recorded events", "request_id", requestid.FromContext(ctx), "err", err)
		}
		// Statuses that the runs change are checked, and flagged runs emailed, at once
		// rather than at the next periodic check.
		s.Alerts.Recorded(ctx, created)
	}
	s.wsCtx, s.wsCancel = context.WithCancel(context.Background())
	s.metrics = metrics.New(db.SQL, s.Broker.Stats)
	known, err := knownOperations(frontend.Operations)
	if err != nil {
		return nil, err
	}
	s.metrics.KnowOperations(known)
	s.live = newLiveConns(db.Client, logger, cfg.LiveRecheck)
	s.refusals = newRefusalThrottle()
	s.refused = s.metrics.WebsocketRefusals()
	s.Exports.OnBuilt = s.metrics.ExportBuilt
	s.metrics.ExportQueue(s.exportQueue)

	s.SSO = &sso.Service{Client: db.Client, Keys: cfg.SecretKeys, Sessions: s.Sessions, PublicURL: cfg.PublicURL,
		HTTPClient: cfg.OIDCHTTPClient, Logger: logger}
	s.resolver = &graph.Resolver{Client: db.Client, Dialect: db.Dialect, Recorder: s.Recorder, Sessions: s.Sessions,
		ExportService: s.Exports, Broker: s.Broker, SSO: s.SSO, Now: cfg.Now}
	gql := handler.New(graph.Priced(graph.NewExecutableSchema(graph.Config{Schema: graph.PublishedSchema(), Resolvers: s.resolver, Complexity: graph.Complexity()})))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(getQuery{})
	gql.AddTransport(websocketTransport{transport.Websocket{
		// coder/websocket accepts only same-origin upgrades unless the origin is listed,
		// so a cross-site page cannot ride a user's session cookie over a websocket.
		Implementation: websocketImpl{CoderWebsocketImplementation: transport.CoderWebsocketImplementation{
			AcceptOptions: websocket.AcceptOptions{OriginPatterns: originHosts(cfg.CORSOrigins)},
		}, refused: s.refused, metrics: s.metrics},
		InitFunc:              s.websocketInit,
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	}})
	gql.AddTransport(sseFirst{s: s})
	gql.AddTransport(post{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	s.records = newLimiter("events", cfg.RecordRateLimit, func() { s.metrics.RateLimited(metrics.LimitRecordEvents) })
	if cfg.Tracing.Enabled() {
		// First, so that the operation's span encloses the work of every later extension.
		gql.Use(telemetry.Operations{Provider: cfg.Tracing.Provider})
	}
	gql.Use(operationGuard{s: s, timeout: cfg.RequestTimeout,
		subs: newSubscriptionCaps(cfg.MaxSubscriptionsPerCredential, cfg.MaxSubscriptions)})
	// A live feed that the server ends (shutdown, a subscriber too slow) says why, with a
	// typed error, before it completes.
	gql.Use(graph.SubscriptionEnd{})
	gql.Use(extension.Introspection{})
	gql.Use(graph.IntrospectionForViewers{})
	gql.Use(graph.DepthLimit{Max: cfg.MaxDepth})
	gql.Use(graph.InputLimits{})
	gql.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// After the persisted query is known and before gqlgen parses and validates it.
	gql.Use(graph.RequestBudget{Anonymous: graph.AnonymousBudget, SignedIn: graph.SignedInBudget})
	gql.SetParserTokenLimit(graph.SignedInBudget.Tokens)
	gql.Use(graph.ResponseLimit{MaxErrors: graph.DefaultMaxErrors, MaxBytes: graph.DefaultMaxResponseBytes})
	gql.Use(extension.FixedComplexityLimit(cfg.ComplexityLimit))
	if s.records.on() {
		// After the limits, so that a batch refused as malformed or too costly spends
		// nothing.
		gql.Use(recordBudget{l: s.records})
	}
	gql.Use(s.metrics.GraphQL())
	if cfg.ReportCacheBytes > 0 {
		s.ReportCache = graph.NewReportCache(db.Client, cfg.ReportCacheBytes)
		gql.Use(s.ReportCache)
		s.metrics.ReportCache(s.ReportCache.Stats)
	}
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		name := oc.OperationName
		if name == "" && oc.Operation != nil {
			name = oc.Operation.Name
		}
		noteOperation(ctx, name)
		return next(ctx)
	})
	gql.SetErrorPresenter(s.presentStorageFull(graph.ErrorPresenter(logger)))
	gql.SetRecoverFunc(graph.Recover(logger))

	dist, err := fs.Sub(frontend.Dist, "dist")
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", s.timeout(gateRecords(s.records, jsonBodies(gql))))
	ops := http.NewServeMux()
	ops.HandleFunc("GET /healthz", s.healthz)
	ops.HandleFunc("GET /readyz", s.readyz)
	ops.Handle("GET /metrics", s.metrics.Handler(cfg.MetricsToken))
	s.ops = ops
	if cfg.MetricsAddr == "" {
		mux.Handle("GET /healthz", ops)
		mux.Handle("GET /readyz", ops)
		if cfg.MetricsToken == "" {
			logger.Info("/metrics is not served: set PROVREPORT_METRICS_TOKEN to serve it on the main address, or PROVREPORT_METRICS_ADDR to serve it on its own")
		}
	}
	mux.Handle("GET /playground", s.adminOnly(dist, playground(dist)))
	mux.HandleFunc("GET /exports/{id}/download", s.download)
	mux.Handle("GET "+reportCSVPath, s.timeout(http.HandlerFunc(s.reportCSV)))
	mux.Handle(changesCSVPattern, s.timeout(http.HandlerFunc(s.changesCSV)))
	mux.Handle("POST "+bulkPath, s.timeout(http.HandlerFunc(s.bulk)))
	mux.HandleFunc("GET "+sso.StartPath, s.SSO.Start)
	mux.HandleFunc("GET "+sso.CallbackPath, s.SSO.Callback)
	mux.Handle("/", spa(dist))

	var h http.Handler = mux
	h = csrf(h)
	h = newLimiter("default", cfg.RateLimit, func() { s.metrics.RateLimited(metrics.LimitRequests) }).rateLimit(h)
	h = s.authenticate(h)
	h = s.Sessions.LoadAndSave(h)
	h = limitBody(cfg.MaxBodyBytes, h)
	if len(cfg.CORSOrigins) > 0 {
		// Without listed origins there is no CORS at all: rs/cors given no origins would
		// allow every origin ("*").
		h = cors.New(cors.Options{
			AllowedOrigins:   cfg.CORSOrigins,
			AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodOptions},
			AllowedHeaders:   corsHeaders,
			AllowCredentials: true,
			MaxAge:           600,
		}).Handler(h)
	}
	if cfg.MetricsAddr == "" && cfg.MetricsToken != "" {
		// /metrics answers to its own bearer token, ahead of the API's authentication
		// (which would read it as an unknown API token).
		root := http.NewServeMux()
		root.Handle("/", h)
		root.Handle("GET /metrics", ops)
		h = root
	}
	if h, err = compress(h); err != nil {
		return nil, err
	}
	h = securityHeaders(h)
	h = accessLog(logger, s.metrics, h)
	h = requestid.Middleware(h)
	// Outermost, so that the request's span covers everything the server does for it.
	h = cfg.Tracing.HTTP(h)
	s.handler = h
	return s, nil
}

// corsHeaders are the request headers a listed origin may send: ours, and those browsers'
// GraphQL clients add (W3C trace context, Apollo Client's client awareness and CSRF
// headers).
var corsHeaders = []string{"Authorization", "Content-Type", "X-Requested-With",
	"traceparent", "tracestate", "apollographql-client-name", "apollographql-client-version",
	"Apollo-Require-Preflight", "X-Apollo-Operation-Name"}

// Handler returns the composed HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// authenticate resolves an API token or a session into a Viewer. A request without credentials
// continues anonymously (fields then answer UNAUTHENTICATED); a bad token is refused
// at once, so an agent with a revoked token learns so on every call.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if secret, ok := bearer(r); ok {
			v, err := auth.Authenticate(r.Context(), s.db.Client, secret)
			if err != nil {
				if ue, ok := usererr.As(err); ok {
					writeGraphQLError(w, r, http.StatusUnauthorized, string(ue.Code), ue.Message)
					return
				}
				s.logger.ErrorContext(r.Context(), "authenticate token", "request_id", requestid.FromContext(r.Context()), "err", err)
				writeGraphQLError(w, r, http.StatusInternalServerError, graph.CodeInternal, "internal server error (request ID "+requestid.FromContext(r.Context())+")")
				return
			}
			r = r.WithContext(auth.WithViewer(r.Context(), v))
		} else if v, err := s.Sessions.Viewer(r.Context()); err != nil {
			s.logger.ErrorContext(r.Context(), "load session", "request_id", requestid.FromContext(r.Context()), "err", err)
		} else if v != nil {
			r = r.WithContext(auth.WithViewer(r.Context(), v))
		}
		r = r.WithContext(auth.WithClientAddr(r.Context(), r, s.cfg.TrustedProxies))
		v, _ := auth.FromContext(r.Context())
		noteCaller(r, v, auth.ClientAddr(r.Context()))
		next.ServeHTTP(w, r)
	})
}

// exportQueue counts the exports of every school waiting to start, and finds when the
// oldest was requested, for the export queue metrics.
func (s *Server) exportQueue(ctx context.Context) (int, time.Time, error) {
	sys := tenant.System(ctx)
	queued := s.db.Client.Export.Query().Where(entexport.StatusEQ(entexport.StatusQUEUED))
	n, err := queued.Clone().Count(sys)
	if err != nil || n == 0 {
		return n, time.Time{}, err
	}
	first, err := queued.Order(entexport.ByRequestedAt()).First(sys)
	if err != nil {
		return 0, time.Time{}, err
	}
	return n, first.RequestedAt, nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.draining.Load() {
		// Said before anything else, so that a load balancer stops sending requests
		// while the ones in flight finish.
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if err := s.db.Ping(ctx); err != nil {
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	if n, err := s.db.Pending(ctx); err != nil || n > 0 {
		http.Error(w, "migrations pending", http.StatusServiceUnavailable)
		return
	}
	if s.db.StorageFull() {
		http.Error(w, "database full: writes are failing for lack of space", http.StatusServiceUnavailable)
		return
	}
	if !s.started.Load() {
		http.Error(w, "job queue not running", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}

// Start starts the background job workers.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Queue.Start(ctx); err != nil {
		return err
	}
	s.Alerts.Start(ctx)
	s.live.start()
	s.started.Store(true)
	return nil
}

// Stop stops the job workers, letting running jobs finish until ctx ends; jobs still
// running then are cancelled and retried later.
func (s *Server) Stop(ctx context.Context) error {
	s.started.Store(false)
	s.live.halt()
	s.Alerts.Stop()
	if err := s.Queue.Stop(ctx); err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Queue.StopAndCancel(cctx)
		return err
	}
	return nil
}

// ListenAndServe starts the workers and serves until ctx is cancelled, then shuts down
// gracefully within the configured grace period: it stops accepting, finishes in-flight
// requests and jobs, and returns. ready, when not nil, receives the bound address.
func (s *Server) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	// The workers outlive ctx: a signal ends ctx, and running jobs then get the grace
	// period to finish (Stop below) rather than being cancelled at once.
	if err := s.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics address: %w", err)
		}
		msrv := &http.Server{Handler: s.ops, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	// Subscriptions complete first (their clients learn the server is going away),
	// then websocket connections close normally, while requests and jobs finish.
	_ = s.Broker.Close()
	fctx, fcancel := context.WithTimeout(sctx, 2*time.Second)
	s.resolver.WaitFeeds(fctx)
	fcancel()
	// The transport writes each feed's last message and "complete" after the feed ends.
	time.Sleep(100 * time.Millisecond)
	s.wsCancel()
	errs := make(chan error, 2)
	go func() { errs <- srv.Shutdown(sctx) }()
	go func() { errs <- s.Stop(sctx) }()
	var first error
	for range 2 {
		if err := <-errs; err != nil && !errors.Is(err, context.DeadlineExceeded) && first == nil {
			first = err
		}
	}
	return first
}
