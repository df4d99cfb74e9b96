package command

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"entgo.io/ent/dialect"
	"golang.org/x/term"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/alert"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
)

// recordCmd records an NDJSON file of events (one RecordEventInput per line, as
// POST /api/v1/events takes them) into a school, through the same decoder and recorder
// as the endpoint, in transactions of up to ingest.MaxBulk events. External IDs make a
// rerun after a failure safe: events already stored are answered, not stored twice.
func recordCmd(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "record")
	dbURL := databaseFlag(fs)
	slug := fs.String("school", "", "the school's slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" || fs.NArg() > 1 {
		return errors.New("usage: provreport record --school SLUG [FILE|-]   (standard input without FILE or with -)")
	}
	var in io.Reader = c.stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	db, err := openMigrated(ctx, *dbURL, store.WithLogger(c.logger))
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := db.Client.School.Query().Where(school.Slug(*slug)).Only(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("school %q: %w", *slug, err)
	}
	rec := ingest.NewRecorder(db)
	// Flagged runs are emailed by the servers' job workers; this process only enqueues.
	q, err := queue.New(db, nil, queue.Options{InsertOnly: true, Logger: c.logger})
	if err != nil {
		return err
	}
	alerts := &alert.Watch{DB: db, Queue: q, Logger: c.logger}
	var broker live.Broker
	if db.Dialect == dialect.Postgres {
		// Replicas serving the school's live feed hear of the events through PostgreSQL.
		broker, err = live.New(ctx, db, live.Options{Logger: c.logger})
		if err != nil {
			return err
		}
		defer broker.Close()
	}
	rec.OnRecorded = func(ctx context.Context, created []*ent.Event) {
		if broker != nil {
			if err := broker.Publish(context.WithoutCancel(ctx), created); err != nil {
				c.logger.WarnContext(ctx, "publish recorded events", "err", err)
			}
		}
		if err := alerts.EnqueueFlagged(context.WithoutCancel(ctx), created); err != nil {
			c.logger.WarnContext(ctx, "enqueue flagged run emails", "err", err)
		}
	}
	progress := func(string) {}
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = func(line string) { fmt.Fprintf(c.stderr, "\r%s", line) }
	}
	sctx := tenant.WithSchool(ctx, s.ID)
	recorded, duplicates := 0, 0
	err = chunks(in, ingest.MaxBulk, func(first int, chunk []byte) error {
		events, bad, err := ingest.DecodeNDJSON(bytes.NewReader(chunk), ingest.MaxBulk, 4<<20)
		if err != nil {
			return err
		}
		if len(bad) > 0 {
			for _, b := range bad {
				field := ""
				if b.Field != "" {
					field = b.Field + ": "
				}
				fmt.Fprintf(c.stderr, "line %d: %s%s\n", first+b.Line-1, field, b.Message)
			}
			return fmt.Errorf("nothing from line %d on was recorded; fix the lines above and run again (external IDs make a rerun safe)", first)
		}
		out, dup, err := rec.RecordBulk(sctx, events)
		if err != nil {
			return fmt.Errorf("lines %d and after: %w", first, err)
		}
		recorded += len(out) - dup
		duplicates += dup
		progress(fmt.Sprintf("recorded %d events, %d already stored", recorded, duplicates))
		return nil
	})
	progress("\n")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "recorded %d events, %d already stored\n", recorded, duplicates)
	return nil
}

// chunks calls fn with consecutive pieces of r holding at most n non-blank lines each,
// and the 1-based number of each piece's first line.
func chunks(r io.Reader, n int, fn func(first int, chunk []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var buf bytes.Buffer
	line, first, events := 0, 1, 0
	for sc.Scan() {
		line++
		if events == n {
			if err := fn(first, buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
			first, events = line, 0
		}
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			events++
		}
		buf.Write(sc.Bytes())
		buf.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if events == 0 {
		return nil
	}
	return fn(first, buf.Bytes())
}
