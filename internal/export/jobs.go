package export

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/riverqueue/river"
	"gocloud.dev/gcerrors"

	"github.com/provreport/provreport/ent"
	entexport "github.com/provreport/provreport/ent/export"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/mail"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/tenant"
)

// BuildArgs is the job that writes an export's CSV file.
type BuildArgs struct {
	ExportID int `json:"export_id"`
	// Retry makes a retried export's job distinct from the failed one.
	Retry int64 `json:"retry,omitempty"`
}

// Kind implements river.JobArgs.
func (BuildArgs) Kind() string { return "export_build" }

// EmailArgs is the job that emails an export's link.
type EmailArgs struct {
	ExportID int `json:"export_id"`
}

// Kind implements river.JobArgs.
func (EmailArgs) Kind() string { return "export_email" }

// ExpireArgs is the periodic job that deletes expired exports' files.
type ExpireArgs struct{}

// Kind implements river.JobArgs.
func (ExpireArgs) Kind() string { return "export_expire" }

// Register adds the export workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &buildWorker{s: s})
	river.AddWorker(workers, &emailWorker{s: s})
	river.AddWorker(workers, &expireWorker{s: s})
}

// Periodic returns the export's scheduled jobs.
func (s *Service) Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return ExpireArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

type buildWorker struct {
	river.WorkerDefaults[BuildArgs]
	s *Service
}

// Work builds the file. It is idempotent: a job rescued after a crash rewrites the file
// from the start, and a finished export is left alone.
func (w *buildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	s := w.s
	sys := tenant.System(ctx)
	e, err := s.DB.Client.Export.Get(sys, job.Args.ExportID)
	if ent.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("export %d no longer exists", job.Args.ExportID))
	}
	if err != nil {
		return fmt.Errorf("export %d: %w", job.Args.ExportID, err)
	}
	if e.Status == entexport.StatusREADY || e.Status == entexport.StatusEXPIRED {
		return nil
	}
	ctx = tenant.WithSchool(ctx, e.SchoolID)
	now := time.Now().UTC()
	e, err = s.DB.Client.Export.UpdateOne(e).SetStatus(entexport.StatusRUNNING).SetStartedAt(now).
		AddAttempts(1).Save(ctx)
	if err != nil {
		return fmt.Errorf("export %d: mark running: %w", e.ID, err)
	}
	s.updated(ctx, e)

	began := time.Now()
	rows, size, key, err := s.build(ctx, e)
	if s.OnBuilt != nil {
		s.OnBuilt(time.Since(began), rows, err)
	}
	if err != nil {
		msg := failureMessage(err)
		upd := s.DB.Client.Export.UpdateOneID(e.ID).SetError(msg)
		final := job.Attempt >= job.MaxAttempts
		if final {
			upd.SetStatus(entexport.StatusFAILED).SetFinishedAt(time.Now().UTC())
		} else {
			upd.SetStatus(entexport.StatusQUEUED)
		}
		if e2, uerr := upd.Save(context.WithoutCancel(ctx)); uerr == nil {
			s.updated(ctx, e2)
		}
		return fmt.Errorf("export %d: %w", e.ID, err)
	}
	fin := time.Now().UTC()
	e, err = s.DB.Client.Export.UpdateOneID(e.ID).SetStatus(entexport.StatusREADY).SetFinishedAt(fin).
		SetExpiresAt(fin.Add(s.ttl())).SetRowCount(rows).SetByteSize(size).SetBlobKey(key).ClearError().Save(ctx)
	if err != nil {
		return fmt.Errorf("export %d: mark ready: %w", e.ID, err)
	}
	s.updated(ctx, e)
	if e.Email != "" {
		err := s.inTx(ctx, func(tx *sql.Tx, _ *ent.Client) error {
			return s.Queue.InsertTx(ctx, tx, EmailArgs{ExportID: e.ID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
		})
		if err != nil {
			return fmt.Errorf("export %d: enqueue email: %w", e.ID, err)
		}
	}
	return nil
}

// build streams the CSV into the bucket under a key of its own.
func (s *Service) build(ctx context.Context, e *ent.Export) (int, int64, string, error) {
	f, err := Filter(e)
	if err != nil {
		return 0, 0, "", err
	}
	sc, err := s.DB.Client.School.Get(ctx, e.SchoolID)
	if err != nil {
		return 0, 0, "", fmt.Errorf("school: %w", err)
	}
	key := "exports/" + strconv.Itoa(e.SchoolID) + "/" + strconv.Itoa(e.ID) + ".csv"
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bw, err := s.Bucket.NewWriter(wctx, key, nil)
	if err != nil {
		return 0, 0, "", &storageError{fmt.Errorf("open file: %w", err)}
	}
	var n int
	var size int64
	if e.EventID != nil {
		// A run's changes: the run's school scopes the read, as a request would.
		cw := &countingWriter{w: storageWriter{bw}}
		n, err = WriteChangesCSV(tenant.WithSchool(ctx, e.SchoolID), s.DB.Client, *e.EventID, cw)
		size = cw.n
	} else {
		n, size, err = WriteCSV(ctx, s.DB.SQL, s.DB.Dialect, Rows{
			SchoolID: e.SchoolID, Filter: f, MaxEventID: e.MaxEventID, Location: location(sc), Columns: Columns(e),
		}, storageWriter{bw})
	}
	if err != nil {
		// Cancelling before Close discards the partial file.
		cancel()
		_ = bw.Close()
		return 0, 0, "", err
	}
	if err := bw.Close(); err != nil {
		return 0, 0, "", &storageError{fmt.Errorf("save file: %w", err)}
	}
	return n, size, key, nil
}

// storageWriter marks the errors of writing to the bucket as storage errors: a bucket
// may only fail once bytes arrive (a file bucket creating its folder, say), and the
// export's page must then blame the storage, not the database.
type storageWriter struct{ w io.Writer }

func (s storageWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = &storageError{err}
	}
	return n, err
}

// storageError is a failure of the blob storage rather than of the database.
type storageError struct{ err error }

func (e *storageError) Error() string { return e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// failureMessage is what the export's page says about a failed build: a sentence an
// admin can act on, with the operating system's or the bucket's reason but without
// server paths or SQL (the full error goes to the job's log).
func failureMessage(err error) string {
	var se *storageError
	if errors.As(err, &se) {
		reason := "the storage refused it"
		var pe *fs.PathError
		switch {
		case errors.As(err, &pe):
			reason = pe.Err.Error()
		case gcerrors.Code(err) != gcerrors.Unknown:
			reason = words(gcerrors.Code(err).String())
		}
		return "The CSV file could not be saved to the export storage (" + reason + "). " +
			"An administrator should check PROVREPORT_EXPORT_BUCKET or the data folder; then try again."
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "Building the CSV file took longer than the job time limit (PROVREPORT_JOB_TIMEOUT). Try a shorter range, or ask an administrator to raise the limit."
	}
	return "The events could not be read from the database. Try again; if it keeps failing, an administrator will find the cause in the server log."
}

type emailWorker struct {
	river.WorkerDefaults[EmailArgs]
	s *Service
}

// Work sends the link. Failures are kept on the export for the dashboard to show, and
// River retries with backoff.
func (w *emailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	s := w.s
	e, err := s.DB.Client.Export.Get(tenant.System(ctx), job.Args.ExportID)
	if ent.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("export %d no longer exists", job.Args.ExportID))
	}
	if err != nil {
		return fmt.Errorf("export %d: %w", job.Args.ExportID, err)
	}
	if e.EmailSentAt != nil || e.Email == "" {
		return nil
	}
	ctx = tenant.WithSchool(ctx, e.SchoolID)
	msg, err := s.message(ctx, e)
	if err != nil {
		return err
	}
	if err := s.Mail.Send(ctx, msg); err != nil {
		e2, uerr := s.DB.Client.Export.UpdateOneID(e.ID).
			SetEmailError(fmt.Sprintf("attempt %d of %d: %v", job.Attempt, job.MaxAttempts, err)).Save(context.WithoutCancel(ctx))
		if uerr == nil {
			s.updated(ctx, e2)
		}
		return fmt.Errorf("export %d: email: %w", e.ID, err)
	}
	e, err = s.DB.Client.Export.UpdateOneID(e.ID).SetEmailSentAt(time.Now().UTC()).ClearEmailError().Save(ctx)
	if err != nil {
		return fmt.Errorf("export %d: mark emailed: %w", e.ID, err)
	}
	s.updated(ctx, e)
	return nil
}

var htmlBody = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1f2937">
<p>Hello,</p>
<p>The provisioning report you asked for is ready: <strong>{{.Rows}}</strong> events for {{.School}}, {{.Range}}.</p>
<p><a href="{{.Link}}" style="display:inline-block;padding:10px 16px;background:#1d4ed8;color:#fff;border-radius:6px;text-decoration:none">Open the report in the dashboard</a></p>
<p>Filter: {{.Filter}}</p>
<p>The link leads to the dashboard, where you can download the CSV file until {{.Expires}}. You may need to sign in first.</p>
<p style="color:#6b7280;font-size:12px">Sent by provreport because you clicked Download on the Provisioning Report.</p>
</body></html>`))

// message composes the email for a ready export.
func (s *Service) message(ctx context.Context, e *ent.Export) (mail.Message, error) {
	sc, err := s.DB.Client.School.Get(ctx, e.SchoolID)
	if err != nil {
		return mail.Message{}, fmt.Errorf("export %d school: %w", e.ID, err)
	}
	loc := location(sc)
	f, err := Filter(e)
	if err != nil {
		return mail.Message{}, err
	}
	rng := DateRange(f.From, f.To, e.RequestedAt, loc)
	summary := s.FilterSummary(ctx, f)
	rows := 0
	if e.RowCount != nil {
		rows = *e.RowCount
	}
	expires := ""
	if e.ExpiresAt != nil {
		expires = e.ExpiresAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	}
	link := s.PageURL(e)
	count := FormatCount(sc.Locale, rows)
	text := fmt.Sprintf("Hello,\n\nThe provisioning report you asked for is ready: %s events for %s, %s.\n\n"+
		"Open it in the dashboard and download the CSV file:\n%s\n\nFilter: %s\n\n"+
		"The file can be downloaded until %s. You may need to sign in first.\n", count, sc.Name, rng, link, summary, expires)
	var html strings.Builder
	if err := htmlBody.Execute(&html, map[string]any{"Rows": count, "School": sc.Name, "Range": rng, "Link": link,
		"Filter": summary, "Expires": expires}); err != nil {
		return mail.Message{}, err
	}
	return mail.Message{
		To:      e.Email,
		Subject: fmt.Sprintf("Provisioning report for %s, %s", sc.Name, rng),
		Text:    text,
		HTML:    html.String(),
	}, nil
}

// DateRange says a filter's range in words in the school's zone.
func DateRange(from, to *time.Time, requested time.Time, loc *time.Location) string {
	const layout = "2 Jan 2006 15:04"
	switch {
	case from != nil && to != nil:
		return from.In(loc).Format(layout) + " to " + to.In(loc).Format(layout)
	case from != nil:
		return from.In(loc).Format(layout) + " to " + requested.In(loc).Format(layout)
	case to != nil:
		return "all events before " + to.In(loc).Format(layout)
	default:
		return "all events to " + requested.In(loc).Format(layout)
	}
}

// FilterSummary says what a filter keeps, for people.
func (s *Service) FilterSummary(ctx context.Context, f report.Filter) string {
	var parts []string
	if f.UserID != nil {
		if u, err := s.DB.Client.User.Get(ctx, *f.UserID); err == nil {
			parts = append(parts, "user "+u.Username)
		}
	}
	if f.SyncProfileID != nil {
		if p, err := s.DB.Client.SyncProfile.Get(ctx, *f.SyncProfileID); err == nil {
			parts = append(parts, "sync profile "+p.Name)
		}
	}
	if len(f.Types) > 0 {
		names := make([]string, len(f.Types))
		for i, t := range f.Types {
			names[i] = eventtype.DisplayName(string(t))
		}
		parts = append(parts, "events "+strings.Join(names, ", "))
	}
	if f.Active() {
		parts = append(parts, "active events only")
	} else {
		parts = append(parts, "including idle sync events")
	}
	return strings.Join(parts, "; ")
}

type expireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	s *Service
}

// Work expires finished exports past their expiry and deletes their files.
func (w *expireWorker) Work(ctx context.Context, _ *river.Job[ExpireArgs]) error {
	_, err := w.s.Expire(ctx, time.Now())
	return err
}

// Expire marks exports whose expiry is before now as EXPIRED and deletes their files,
// returning how many it expired.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	sys := tenant.System(ctx)
	due, err := s.DB.Client.Export.Query().
		Where(entexport.StatusEQ(entexport.StatusREADY), entexport.ExpiresAtLT(now.UTC())).Limit(500).All(sys)
	if err != nil {
		return 0, fmt.Errorf("expire exports: %w", err)
	}
	n := 0
	for _, e := range due {
		if e.BlobKey != nil {
			if err := s.Bucket.Delete(ctx, *e.BlobKey); err != nil && !isNotExist(err) {
				return n, fmt.Errorf("expire export %d: delete file: %w", e.ID, err)
			}
		}
		e2, err := s.DB.Client.Export.UpdateOne(e).SetStatus(entexport.StatusEXPIRED).ClearBlobKey().Save(sys)
		if err != nil {
			return n, fmt.Errorf("expire export %d: %w", e.ID, err)
		}
		s.updated(ctx, e2)
		n++
	}
	return n, nil
}

// words turns an error code name (PermissionDenied) into words (permission denied).
func words(code string) string {
	var b strings.Builder
	for i, r := range code {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
