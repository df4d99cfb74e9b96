package command

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/demo"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/secretkey"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/telemetry"
	"github.com/provreport/provreport/internal/tenant"
)

func serve(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "serve")
	addr := fs.String("addr", env("PROVREPORT_ADDR", "127.0.0.1:8080"), "listen address (env PROVREPORT_ADDR)")
	dbURL := databaseFlag(fs)
	withDemo := fs.Bool("demo", env("PROVREPORT_DEMO", "") == "true", "seed the demo school when the database has no school (env PROVREPORT_DEMO=true)")
	cors := fs.String("cors-origins", env("PROVREPORT_CORS_ORIGINS", ""), "comma-separated origins allowed to call the API cross-site (env PROVREPORT_CORS_ORIGINS)")
	grace := fs.Duration("shutdown-grace", envDuration("PROVREPORT_SHUTDOWN_GRACE", 20*time.Second), "how long shutdown waits for requests and jobs (env PROVREPORT_SHUTDOWN_GRACE)")
	publicURL := fs.String("public-url", env("PROVREPORT_PUBLIC_URL", ""), "the dashboard's address as users reach it, for links in emails; https makes cookies Secure (env PROVREPORT_PUBLIC_URL)")
	idle := fs.Duration("session-idle", envDuration("PROVREPORT_SESSION_IDLE", 2*time.Hour), "sign out after this long idle (env PROVREPORT_SESSION_IDLE)")
	lifetime := fs.Duration("session-lifetime", envDuration("PROVREPORT_SESSION_LIFETIME", 12*time.Hour), "sign out this long after sign-in (env PROVREPORT_SESSION_LIFETIME)")
	dataDir := fs.String("data-dir", env("PROVREPORT_DATA_DIR", "data"), "folder for export files and the mail outbox (env PROVREPORT_DATA_DIR)")
	blobURL := fs.String("export-bucket", env("PROVREPORT_EXPORT_BUCKET", ""), "blob storage for export files: s3://, gs://, azblob:// or file:// URL; default DATA_DIR/exports (env PROVREPORT_EXPORT_BUCKET)")
	exportTTL := fs.Duration("export-ttl", envDuration("PROVREPORT_EXPORT_TTL", 7*24*time.Hour), "how long finished exports can be downloaded (env PROVREPORT_EXPORT_TTL)")
	exportAttempts := fs.Int("export-attempts", envInt("PROVREPORT_EXPORT_ATTEMPTS", 5), "how many times an export build is tried before it is marked FAILED (env PROVREPORT_EXPORT_ATTEMPTS)")
	nowRows := fs.Int("download-now-max-rows", envInt("PROVREPORT_DOWNLOAD_NOW_MAX_ROWS", 10000), "most events the dashboard's Download now serves at once; larger reports go by the emailed link (env PROVREPORT_DOWNLOAD_NOW_MAX_ROWS)")
	smtpURL := fs.String("smtp-url", env("PROVREPORT_SMTP_URL", ""), "SMTP server, smtp://user:pass@host:587[?starttls=required] or smtps://…; empty writes mail to DATA_DIR/outbox (env PROVREPORT_SMTP_URL)")
	smtpFrom := fs.String("smtp-from", env("PROVREPORT_SMTP_FROM", "provreport <provreport@localhost>"), "From address of emails (env PROVREPORT_SMTP_FROM)")
	jobTimeout := fs.Duration("job-timeout", envDuration("PROVREPORT_JOB_TIMEOUT", 30*time.Minute), "longest a background job may run (env PROVREPORT_JOB_TIMEOUT)")
	rescueAfter := fs.Duration("job-rescue-after", envDuration("PROVREPORT_JOB_RESCUE_AFTER", 35*time.Minute), "when a running job's replica is presumed dead and the job is run again; must exceed the job timeout (env PROVREPORT_JOB_RESCUE_AFTER)")
	workers := fs.Int("workers", envInt("PROVREPORT_WORKERS", 2), "background jobs this replica works at once (env PROVREPORT_WORKERS)")
	metricsAddr := fs.String("metrics-addr", env("PROVREPORT_METRICS_ADDR", ""), "serve /metrics, /healthz and /readyz on this address instead of the main one (env PROVREPORT_METRICS_ADDR)")
	metricsToken := fs.String("metrics-token", env("PROVREPORT_METRICS_TOKEN", ""), "bearer token /metrics asks for; without PROVREPORT_METRICS_ADDR, /metrics is served on the main address only when this is set (env PROVREPORT_METRICS_TOKEN)")
	rateLimit := fs.String("rate-limit", env("PROVREPORT_RATE_LIMIT", ""), "API requests each token, signed-in user or anonymous address may send, e.g. 600/m (per replica); empty sets no limit (env PROVREPORT_RATE_LIMIT)")
	recordRateLimit := fs.String("record-rate-limit", env("PROVREPORT_RECORD_RATE_LIMIT", ""), "events each token or signed-in user may record, counted per event through recordEvents and POST /api/v1/events, e.g. 6000/m (per replica); empty sets no limit (env PROVREPORT_RECORD_RATE_LIMIT)")
	retentionDays := fs.Int("retention-days", envInt("PROVREPORT_RETENTION_DAYS", 365), "delete events older than this many days; 0 keeps them forever (env PROVREPORT_RETENTION_DAYS)")
	memoryMB := fs.Int("memory-mb", envInt("PROVREPORT_MEMORY_MB", defaultMemoryMB), "the heap the server grows to before it collects garbage, in MiB; 0 collects at 400% growth of the live heap instead; GOGC or GOMEMLIMIT, when set, take precedence (env PROVREPORT_MEMORY_MB)")
	cacheMB := fs.Int("report-cache-mb", envInt("PROVREPORT_REPORT_CACHE_MB", 64), "memory for cached report answers, in MiB; 0 turns the cache off (env PROVREPORT_REPORT_CACHE_MB)")
	proxies := fs.String("trusted-proxies", env("PROVREPORT_TRUSTED_PROXIES", ""), "comma-separated CIDRs of load balancers whose X-Forwarded-For is trusted (env PROVREPORT_TRUSTED_PROXIES)")
	liveRecheck := fs.Duration("live-recheck", envDuration("PROVREPORT_LIVE_RECHECK", 2*time.Second), "how often the credentials of open websockets and event streams are read again; those whose credential ended are closed (env PROVREPORT_LIVE_RECHECK)")
	maxSubsPerCred := fs.Int("max-subscriptions-per-credential", envInt("PROVREPORT_MAX_SUBSCRIPTIONS_PER_CREDENTIAL", 100), "subscriptions one API token or one user may hold open on this replica (env PROVREPORT_MAX_SUBSCRIPTIONS_PER_CREDENTIAL)")
	maxSubs := fs.Int("max-subscriptions", envInt("PROVREPORT_MAX_SUBSCRIPTIONS", 10000), "subscriptions this replica serves at once (env PROVREPORT_MAX_SUBSCRIPTIONS)")
	healthInterval := fs.Duration("health-interval", envDuration("PROVREPORT_HEALTH_INTERVAL", time.Minute), "how often sync profiles' health is recomputed, so that one whose runs stopped is noticed QUIET and alerted (env PROVREPORT_HEALTH_INTERVAL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var trusted []netip.Prefix
	for _, p := range splitList(*proxies) {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("PROVREPORT_TRUSTED_PROXIES: %q is not a CIDR like 10.0.0.0/8", p)
		}
		trusted = append(trusted, pfx)
	}
	limit, err := server.ParseRateLimit(*rateLimit)
	if err != nil {
		return fmt.Errorf("PROVREPORT_RATE_LIMIT: %w", err)
	}
	recordLimit, err := server.ParseRateLimit(*recordRateLimit)
	if err != nil {
		return fmt.Errorf("PROVREPORT_RECORD_RATE_LIMIT: %w", err)
	}
	if *publicURL == "" {
		*publicURL = "http://" + *addr
	}
	tuneGC(*memoryMB)
	unlock, err := store.LockServer(*dbURL)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }()
	// Traces go out over OTLP only when the standard OTEL_* variables ask for them.
	tracing, err := telemetry.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tracing.Shutdown(sctx)
	}()
	db, err := openMigrated(ctx, *dbURL, store.WithTracing(tracing.Provider), store.WithLogger(c.logger))
	if err != nil {
		return err
	}
	defer db.Close()
	if *withDemo {
		if err := seedDemo(ctx, c.stderr, db.Client, *dbURL); err != nil {
			return err
		}
	}
	keys, err := secretkey.Load(os.Getenv)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, db, server.Config{
		SecretKeys:         keys,
		PublicURL:          *publicURL,
		DataDir:            *dataDir,
		BlobURL:            *blobURL,
		ExportTTL:          *exportTTL,
		ExportAttempts:     *exportAttempts,
		DownloadNowMaxRows: *nowRows,
		SMTPURL:            *smtpURL,
		SMTPFrom:           *smtpFrom,
		TrustedProxies:     trusted,
		MetricsAddr:        *metricsAddr,
		MetricsToken:       *metricsToken,
		RateLimit:          limit,
		RecordRateLimit:    recordLimit,
		RetentionDays:      retentionDaysOrForever(*retentionDays),
		ReportCacheBytes:   reportCacheBytes(*cacheMB),
		Queue:              queue.Options{Workers: *workers, JobTimeout: *jobTimeout, RescueAfter: *rescueAfter},
		Addr:               *addr,
		CORSOrigins:        splitList(*cors),
		ShutdownGrace:      *grace,
		Session: auth.SessionOptions{
			Idle:     *idle,
			Lifetime: *lifetime,
			Secure:   strings.HasPrefix(*publicURL, "https://"),
		},
		LiveRecheck:                   *liveRecheck,
		MaxSubscriptionsPerCredential: *maxSubsPerCred,
		MaxSubscriptions:              *maxSubs,
		HealthInterval:                *healthInterval,
		Tracing:                       tracing,

		// For tests only: a pause per exported row, so that a test can kill a server
		// in the middle of a build. Deliberately no flag and no mention in --help.
		ExportRowPause: envDuration("PROVREPORT_TEST_EXPORT_ROW_PAUSE", 0),
	}, c.logger)
	if err != nil {
		return err
	}
	return srv.ListenAndServe(ctx, func(a string) {
		fmt.Fprintf(c.stderr, "provreport listening on http://%s (dashboard /, GraphQL /graphql, playground /playground)\n", a)
	})
}

// defaultMemoryMB is the server's default memory budget: its live heap under load is
// tens of MiB (the report cache's 64 MiB at most, a bulk request's decoded lines), so
// 256 MiB leaves room for a few large requests at once without the collector running
// back to back.
const defaultMemoryMB = 256

// serveGCPercent is the garbage-collection target without a memory budget. The
// server's live heap is small (tens of MiB) while a report page allocates about 1 MB,
// so Go's default of 100 collects after every few requests; at 400 an uncached report
// page serves 30–60% more requests a second (docs/BENCHMARKS.md) for a heap a few times
// the live one.
const serveGCPercent = 400

// tuneGC sets how the server collects garbage. With a budget (the default), the
// collector runs when the heap reaches it rather than when it has grown by a multiple
// of the live heap: a report page allocates about a megabyte against a small live heap,
// so collections are as rare as with a large GOGC, and the process's memory stays at
// the budget instead of following the live heap up by that multiple as pools, caches
// and buffers warm (docs/RELIABILITY.md, the soak's memory check). Should the live heap
// ever approach the budget, Go's collector limits itself to about half the CPU and
// lets the heap pass the budget rather than stall. GOGC or GOMEMLIMIT in the
// environment leave the collector to Go's own reading of them.
func tuneGC(memoryMB int) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if memoryMB <= 0 {
		debug.SetGCPercent(serveGCPercent)
		return
	}
	debug.SetMemoryLimit(int64(memoryMB) << 20)
	debug.SetGCPercent(-1)
}

// reportCacheBytes turns the flag's MiB into the server's setting, where 0 means off.
func reportCacheBytes(mb int) int64 {
	if mb <= 0 {
		return -1
	}
	return int64(mb) << 20
}

func openMigrated(ctx context.Context, url string, opts ...store.Option) (*store.DB, error) {
	db, err := store.Open(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := queue.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func envInt(name string, def int) int {
	if v := env(name, ""); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := env(name, ""); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// retentionDaysOrForever maps the flag's 0 (keep forever) to the server's negative value.
func retentionDaysOrForever(d int) int {
	if d <= 0 {
		return -1
	}
	return d
}

// seedDemo seeds the demo school into an empty database and prints how to sign in. On a
// database that already has a school (a second `make run`) the password printed the first
// time is long gone from the terminal, so it says how to sign in anyway: the username, how
// to set a new password, or how to start again.
func seedDemo(ctx context.Context, w io.Writer, client *ent.Client, dbURL string) error {
	res, err := demo.SeedIfEmpty(ctx, client, demo.Options{Days: 90, AdminPassword: env("PROVREPORT_DEMO_PASSWORD", "")})
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if res != nil {
		fmt.Fprintf(w, "\nDemo school %q seeded: %d users, %d sync profiles, %d events.\n", res.Slug, res.Users, res.Profiles, res.Events)
		fmt.Fprintf(w, "Sign in at the dashboard: school %q, username \"admin\", password %s (shown once)\n", res.Slug, res.AdminPassword)
		fmt.Fprintf(w, "API token (reports:read, events:write), shown once:\n  %s\n\n", res.Token)
		return nil
	}
	// The demo school when it is there, else the oldest school.
	slug := demo.Slug
	sys := tenant.System(ctx)
	if ok, err := client.School.Query().Where(school.Slug(demo.Slug)).Exist(sys); err == nil && !ok {
		if sc, err := client.School.Query().Order(school.ByID()).First(sys); err == nil {
			slug = sc.Slug
		}
	}
	dbFlag := ""
	if dbURL != "sqlite:data/provreport.db" {
		dbFlag = " --database-url " + dbURL
	}
	fmt.Fprintf(w, "\nThe database already has its schools (from an earlier run), so no demo data was added.\n")
	fmt.Fprintf(w, "Sign in with school %q, username \"admin\" and the password printed on the first run.\n", slug)
	fmt.Fprintf(w, "Forgot it? Set a new one:  provreport user set-password --school %s --username admin%s\n", slug, dbFlag)
	fmt.Fprintf(w, "Or start again with fresh demo data: stop the server and delete the data/ folder.\n\n")
	return nil
}
