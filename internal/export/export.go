// Package export is "Download Provisioning Report": an export request records the
// filter and a snapshot bound, a background job streams the matching events into a CSV
// file in blob storage, another job emails the requester a link back to the dashboard,
// and the file is downloaded from there until it expires.
package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"
	"gocloud.dev/blob"

	"github.com/provreport/provreport/ent"
	entexport "github.com/provreport/provreport/ent/export"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/mail"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// DefaultTTL is how long a finished export can be downloaded.
const DefaultTTL = 7 * 24 * time.Hour

// Service requests, builds, announces, serves and expires exports.
type Service struct {
	DB        *store.DB
	Bucket    *blob.Bucket
	Queue     *queue.Queue
	Mail      mail.Sender
	PublicURL string
	TTL       time.Duration
	Logger    *slog.Logger
	// MaxNowRows is how many events an immediate download (BuildNow) may hold; zero
	// means DefaultNowMaxRows.
	MaxNowRows int
	// MaxAttempts is how many times a build is tried before the export FAILS; zero
	// means 5.
	MaxAttempts int
	// OnBuilt, when set, is told how each build went (for metrics).
	OnBuilt func(d time.Duration, rows int, err error)
	// OnUpdate, when set, is told of every status change.
	OnUpdate func(ctx context.Context, e *ent.Export)

	watchMu  sync.Mutex
	watchers map[int]map[chan struct{}]bool
}

// LinkLifetime is how long a finished export can be downloaded (PROVREPORT_EXPORT_TTL).
func (s *Service) LinkLifetime() time.Duration {
	return s.ttl()
}

func (s *Service) ttl() time.Duration {
	if s.TTL <= 0 {
		return DefaultTTL
	}
	return s.TTL
}

func (s *Service) updated(ctx context.Context, e *ent.Export) {
	if e == nil {
		return
	}
	s.notify(e.ID)
	if s.OnUpdate != nil {
		s.OnUpdate(ctx, e)
	}
}

// Filter decodes the filter an export was requested with.
func Filter(e *ent.Export) (report.Filter, error) {
	var f report.Filter
	if len(e.Filter) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(e.Filter, &f); err != nil {
		return f, fmt.Errorf("export %d filter: %w", e.ID, err)
	}
	return f, nil
}

// Columns returns the optional columns an export's file has, in file order.
func Columns(e *ent.Export) []Column {
	out := make([]Column, 0, len(e.Columns))
	for _, c := range e.Columns {
		out = append(out, Column(c))
	}
	return out
}

// Request records an export of the events f matches now, with the optional columns
// cols, and enqueues its build in the same transaction. The caller needs reports:read; a
// signed-in user needs an email address, a token's link goes to whoever created the
// token, if anyone.
func (s *Service) Request(ctx context.Context, f report.Filter, cols []Column) (*ent.Export, error) {
	return s.request(ctx, f, cols, nil)
}

// request is Request, or RequestChanges when eventID is set.
func (s *Service) request(ctx context.Context, f report.Filter, cols []Column, eventID *int) (*ent.Export, error) {
	v, err := auth.Require(ctx, auth.ScopeReportsRead)
	if err != nil {
		return nil, err
	}
	if err := f.Check(ctx, s.DB.Client); err != nil {
		return nil, err
	}
	cols, err = NormaliseColumns(cols)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = string(c)
	}
	email := ""
	var requester, token *int
	if v.UserID != 0 {
		u, err := s.DB.Client.User.Get(ctx, v.UserID)
		if err != nil {
			return nil, fmt.Errorf("request export: requester: %w", err)
		}
		if strings.TrimSpace(u.Email) == "" {
			return nil, usererr.BadInput("", "your account has no email address to send the report to; ask an admin to add one")
		}
		email, requester = u.Email, &v.UserID
	} else {
		token = &v.TokenID
		if t, err := s.DB.Client.APIToken.Get(ctx, v.TokenID); err == nil && t.CreatedByID != nil {
			if u, err := s.DB.Client.User.Get(ctx, *t.CreatedByID); err == nil {
				email = u.Email
			}
		}
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("request export: %w", err)
	}
	var e *ent.Export
	err = s.inTx(ctx, func(tx *sql.Tx, c *ent.Client) error {
		maxID, err := maxEventID(ctx, tx)
		if err != nil {
			return err
		}
		e, err = c.Export.Create().SetFilter(raw).SetColumns(names).SetMaxEventID(maxID).SetEmail(email).
			SetNillableRequestedByID(requester).SetNillableTokenID(token).SetNillableEventID(eventID).
			SetRequestedAt(time.Now().UTC().Truncate(time.Microsecond)).Save(ctx)
		if err != nil {
			return fmt.Errorf("request export: %w", err)
		}
		return s.Queue.InsertTx(ctx, tx, BuildArgs{ExportID: e.ID}, s.buildOpts())
	})
	if err != nil {
		return nil, err
	}
	s.updated(ctx, e)
	return e, nil
}

func (s *Service) buildOpts() *river.InsertOpts {
	n := s.MaxAttempts
	if n <= 0 {
		n = 5
	}
	return &river.InsertOpts{MaxAttempts: n, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// maxEventID is the newest event ID visible to the transaction: the export's snapshot.
func maxEventID(ctx context.Context, tx *sql.Tx) (int64, error) {
	var id sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(id) FROM events").Scan(&id); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	return id.Int64, nil
}

// inTx runs fn in a database transaction with an ent client bound to it, so that rows
// and the jobs that concern them commit together.
func (s *Service) inTx(ctx context.Context, fn func(tx *sql.Tx, c *ent.Client) error) (err error) {
	tx, err := s.DB.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		// A panic must not leave the transaction (and, on SQLite, the write lock) open.
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	c := ent.NewClient(ent.Driver(txDriver{entsql.NewDriver(s.DB.Dialect, entsql.Conn{ExecQuerier: tx})}))
	if err := fn(tx, c); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// txDriver runs ent on a transaction opened elsewhere: the transactions ent opens for
// its own multi-statement writes become no-ops inside it.
type txDriver struct{ *entsql.Driver }

// Tx implements dialect.Driver.
func (d txDriver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d.Driver), nil }

// BeginTx keeps ent's option-taking transactions inside the outer one too.
func (d txDriver) BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error) {
	return dialect.NopTx(d.Driver), nil
}

// Get returns an export the caller may see: its own, or any of the school's for an admin.
// Anything else reads as not found.
func (s *Service) Get(ctx context.Context, id int) (*ent.Export, error) {
	v, err := auth.Require(ctx, auth.ScopeReportsRead)
	if err != nil {
		return nil, err
	}
	e, err := s.DB.Client.Export.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.NotFoundf("no export with ID %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("export %d: %w", id, err)
	}
	if !mayRead(v, e) {
		return nil, usererr.NotFoundf("no export with ID %d", id)
	}
	return e, nil
}

func mayRead(v *auth.Viewer, e *ent.Export) bool {
	switch {
	case v.IsAdmin():
		return true
	case v.UserID != 0:
		return e.RequestedByID != nil && *e.RequestedByID == v.UserID
	default:
		return e.TokenID != nil && *e.TokenID == v.TokenID
	}
}

// Mine narrows an export query to the caller's own exports.
func Mine(ctx context.Context, q *ent.ExportQuery) (*ent.ExportQuery, error) {
	v, err := auth.Require(ctx, auth.ScopeReportsRead)
	if err != nil {
		return nil, err
	}
	if v.UserID != 0 {
		return q.Where(entexport.RequestedByID(v.UserID)), nil
	}
	return q.Where(entexport.TokenID(v.TokenID)), nil
}

// Retry starts a failed (or expired) export again with the same filter and snapshot.
func (s *Service) Retry(ctx context.Context, id int) (*ent.Export, error) {
	e, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.Status != entexport.StatusFAILED && e.Status != entexport.StatusEXPIRED {
		return nil, usererr.BadInput("id", "export %d is %s; only a failed or expired export can be tried again", id, e.Status)
	}
	err = s.inTx(ctx, func(tx *sql.Tx, c *ent.Client) error {
		e, err = c.Export.UpdateOne(e).SetStatus(entexport.StatusQUEUED).ClearError().ClearFinishedAt().
			ClearExpiresAt().ClearStartedAt().ClearRowCount().ClearByteSize().ClearEmailError().ClearEmailSentAt().
			SetAttempts(0).Save(ctx)
		if err != nil {
			return fmt.Errorf("retry export %d: %w", id, err)
		}
		return s.Queue.InsertTx(ctx, tx, BuildArgs{ExportID: e.ID, Retry: time.Now().UnixNano()}, s.buildOpts())
	})
	if err != nil {
		return nil, err
	}
	s.updated(ctx, e)
	return e, nil
}

// DownloadURL is where the finished file is downloaded.
func (s *Service) DownloadURL(e *ent.Export) *string {
	if e.Status != entexport.StatusREADY {
		return nil
	}
	u := strings.TrimRight(s.PublicURL, "/") + "/exports/" + strconv.Itoa(e.ID) + "/download"
	return &u
}

// PageURL is the dashboard page of an export, the email's link.
func (s *Service) PageURL(e *ent.Export) string {
	return strings.TrimRight(s.PublicURL, "/") + "/exports/" + strconv.Itoa(e.ID)
}

// ErrNotReady and ErrExpired are what a download of an unfinished or expired export
// answers (HTTP 409 and 410).
var (
	ErrNotReady = errors.New("the export is not ready yet")
	ErrExpired  = errors.New("the export has expired")
)

// Open returns the file of a ready export the caller may read, with its download name.
func (s *Service) Open(ctx context.Context, id int) (*blob.Reader, string, error) {
	e, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	switch {
	case e.Status == entexport.StatusEXPIRED || (e.ExpiresAt != nil && time.Now().After(*e.ExpiresAt)):
		return nil, "", ErrExpired
	case e.Status != entexport.StatusREADY || e.BlobKey == nil:
		return nil, "", ErrNotReady
	}
	r, err := s.Bucket.NewReader(ctx, *e.BlobKey, nil)
	if err != nil {
		return nil, "", fmt.Errorf("export %d: open file: %w", id, err)
	}
	name, err := s.FileName(ctx, e)
	if err != nil {
		r.Close()
		return nil, "", err
	}
	return r, name, nil
}

// FileName is provisioning-report-<school>-<from>-<to>.csv, dates in the school's zone.
func (s *Service) FileName(ctx context.Context, e *ent.Export) (string, error) {
	sc, err := s.DB.Client.School.Get(tenant.WithSchool(ctx, e.SchoolID), e.SchoolID)
	if err != nil {
		return "", fmt.Errorf("export %d school: %w", e.ID, err)
	}
	f, err := Filter(e)
	if err != nil {
		return "", err
	}
	return fileName(sc, f, e.RequestedAt), nil
}

// fileName names the file of filter f requested at the given time; a range open at the
// end runs to that day.
func fileName(sc *ent.School, f report.Filter, requestedAt time.Time) string {
	loc := location(sc)
	from, to := "beginning", requestedAt.In(loc).Format("2006-01-02")
	if f.From != nil {
		from = f.From.In(loc).Format("2006-01-02")
	}
	if f.To != nil {
		to = f.To.In(loc).Format("2006-01-02")
	}
	return fmt.Sprintf("provisioning-report-%s-%s-%s.csv", sc.Slug, from, to)
}

func location(sc *ent.School) *time.Location {
	if loc, err := time.LoadLocation(sc.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// Watch returns a channel that is signalled when this replica changes export id, so a
// subscriber here need not wait for its next poll. Release it with Unwatch.
func (s *Service) Watch(id int) chan struct{} {
	ch := make(chan struct{}, 1)
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watchers == nil {
		s.watchers = map[int]map[chan struct{}]bool{}
	}
	if s.watchers[id] == nil {
		s.watchers[id] = map[chan struct{}]bool{}
	}
	s.watchers[id][ch] = true
	return ch
}

// Unwatch releases a channel from Watch.
func (s *Service) Unwatch(id int, ch chan struct{}) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	delete(s.watchers[id], ch)
	if len(s.watchers[id]) == 0 {
		delete(s.watchers, id)
	}
}

func (s *Service) notify(id int) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for ch := range s.watchers[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
