// Package apitest drives provreport's real HTTP handler in tests: it starts the server
// over a test database, creates schools and API tokens, and posts GraphQL operations to
// /graphql, decoding the response so tests can assert on data and on error codes.
// Nothing is mocked; every request goes through the same middleware, authentication and
// error presenter that production requests do.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
)

// Server is a running provreport HTTP server over one test database.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:12345.
	URL string
	// DB is the database the server serves; tests use it to count rows and to set up
	// state the API cannot (expired tokens, say).
	DB *store.DB
	// HTTP is the client requests are sent with.
	HTTP *http.Client
	// App is the server under test, for its services (exports, queue).
	App *server.Server
}

// New starts the real handler (server.New(...).Handler()) on a local port and stops it
// when the test ends. Warnings and errors the server logs go to the test's output, so an
// internal error shows its cause next to the failing assertion.
func New(t testing.TB, db *store.DB) *Server {
	t.Helper()
	return NewWithConfig(t, db, server.Config{})
}

// NewWithConfig is New with a server configuration, for tests of limits and options.
func NewWithConfig(t testing.TB, db *store.DB, cfg server.Config) *Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ts := httptest.NewUnstartedServer(nil)
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ts.Listener.Addr().String()
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Queue.FetchInterval == 0 {
		cfg.Queue.FetchInterval = 50 * time.Millisecond
	}
	if cfg.RetentionDays == 0 {
		// Keep events forever. The retention job runs at start on the real clock, and
		// tests record events at fixed dates: once those dates are a year old, it would
		// delete them in the middle of the test. Retention has its own tests.
		cfg.RetentionDays = -1
	}
	s, err := server.New(context.Background(), db, cfg, logger)
	require.NoError(t, err, "build server")
	require.NoError(t, s.Start(context.Background()), "start job queue")
	ts.Config.Handler = s.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return &Server{URL: ts.URL, DB: db, HTTP: ts.Client(), App: s}
}

// CreateSchool creates a school with the given slug and IANA time zone ("" for UTC),
// as the command line does, with a system context.
func (s *Server) CreateSchool(t testing.TB, slug, timezone string) *ent.School {
	t.Helper()
	return CreateSchool(t, s.DB.Client, slug, timezone)
}

// CreateSchool creates a school through client with a system context; for tests that
// work below the HTTP layer.
func CreateSchool(t testing.TB, client *ent.Client, slug, timezone string) *ent.School {
	t.Helper()
	c := client.School.Create().SetSlug(slug).SetName("School " + slug)
	if timezone != "" {
		c.SetTimezone(timezone)
	}
	sc, err := c.Save(tenant.System(context.Background()))
	require.NoError(t, err, "create school %q", slug)
	return sc
}

// Token creates an API token of the school with the given scopes and returns its
// secret, ready for Do.
func (s *Server) Token(t testing.TB, schoolID int, scopes ...string) string {
	t.Helper()
	_, secret := CreateToken(t, s.DB.Client, schoolID, scopes...)
	return secret
}

// CreateToken creates an API token of the school with the given scopes and returns the
// stored token and its secret.
func CreateToken(t testing.TB, client *ent.Client, schoolID int, scopes ...string) (*ent.APIToken, string) {
	t.Helper()
	ctx := tenant.WithSchool(context.Background(), schoolID)
	tok, secret, err := auth.CreateToken(ctx, client, "test token", scopes, nil, nil)
	require.NoError(t, err, "create token for school %d", schoolID)
	return tok, secret
}

// Response is a decoded GraphQL response plus the HTTP status it came with.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Data is the raw "data" member; null when the operation did not run.
	Data json.RawMessage `json:"data"`
	// Errors are the GraphQL errors, in the order the server reported them.
	Errors []Error `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code, or "" when there is none.
func (e Error) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// Do posts a GraphQL operation with the given variables to /graphql, with token as the
// bearer token when it is not empty, and decodes the response. It fails the test on a
// transport error or a body that is not a GraphQL response, never on GraphQL errors.
func (s *Server) Do(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err, "encode request")
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.HTTP.Do(req.WithContext(ctx))
	require.NoError(t, err, "POST /graphql")
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "read response")
	var r Response
	require.NoError(t, json.Unmarshal(raw, &r), "decode response (HTTP %d): %s", resp.StatusCode, raw)
	r.Status = resp.StatusCode
	return r
}

// OK fails the test unless the response has no errors, and returns it.
func (r Response) OK(t testing.TB) Response {
	t.Helper()
	require.Empty(t, r.Errors, "unexpected GraphQL errors (HTTP %d)", r.Status)
	require.Less(t, r.Status, 300, "HTTP status")
	return r
}

// Decode unmarshals the data member into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Data, v), "decode data: %s", r.Data)
}

// Error fails the test unless the response has exactly one error and it has the given
// extensions.code, and returns that error. It also fails on an HTTP 5xx, which a caller
// must never see for a user error.
func (r Response) Error(t testing.TB, code string) Error {
	t.Helper()
	require.Less(t, r.Status, 500, "HTTP status of an error response")
	require.Len(t, r.Errors, 1, "want one %s error; data: %s", code, r.Data)
	require.Equal(t, code, r.Errors[0].Code(), "extensions.code of %q", r.Errors[0].Message)
	return r.Errors[0]
}

// ID formats a database ID as GraphQL sends it.
func ID(id int) string { return strconv.Itoa(id) }

// IntID parses a GraphQL ID, failing the test when it is not a number.
func IntID(t testing.TB, id string) int {
	t.Helper()
	n, err := strconv.Atoi(id)
	require.NoError(t, err, "ID %q", id)
	return n
}
