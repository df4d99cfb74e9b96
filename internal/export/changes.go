package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/usererr"
)

// ChangeColumns are the columns of a run's changes CSV, in file order.
var ChangeColumns = []string{"action", "username", "display_name", "email", "attribute", "old", "new", "message"}

// changesChunk is how many changes one query of WriteChangesCSV reads.
const changesChunk = 1000

// WriteChangesCSV writes the changes of one run as CSV (UTF-8 with a byte-order mark,
// CRLF), in the order the agent sent them: one row per attribute change, one row for a change without attributes. Every
// cell is neutralised as in the report export. ctx scopes the read to the caller's
// school. It returns the number of rows written, without the header.
func WriteChangesCSV(ctx context.Context, c *ent.Client, eventID int, out io.Writer) (int, error) {
	// The byte-order mark first, as in the report's file, so that Excel reads names
	// such as "Zoë" as UTF-8 rather than as the system's legacy code page.
	if _, err := io.WriteString(out, BOM); err != nil {
		return 0, err
	}
	w := csv.NewWriter(out)
	w.UseCRLF = true
	if err := w.Write(ChangeColumns); err != nil {
		return 0, err
	}
	rows, after := 0, 0
	for {
		chs, err := c.Change.Query().Where(change.EventID(eventID), change.IDGT(after)).
			WithUser().Order(change.ByID()).Limit(changesChunk).All(ctx)
		if err != nil {
			return rows, fmt.Errorf("changes CSV of event %d: %w", eventID, err)
		}
		for _, ch := range chs {
			base := []string{string(ch.Action), ch.Edges.User.Username, str(ch.DisplayName), str(ch.Email)}
			if len(ch.Attributes) == 0 {
				if err := w.Write(neutralised(append(base, "", "", "", str(ch.Message)))); err != nil {
					return rows, err
				}
				rows++
			}
			for _, a := range ch.Attributes {
				if err := w.Write(neutralised(append(base[:4:4], a.Name, str(a.Old), str(a.New), str(ch.Message)))); err != nil {
					return rows, err
				}
				rows++
			}
		}
		if len(chs) < changesChunk {
			break
		}
		after = chs[len(chs)-1].ID
	}
	w.Flush()
	return rows, w.Error()
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func neutralised(cells []string) []string {
	for i, c := range cells {
		cells[i] = Neutralise(c)
	}
	return cells
}

// BuildChangesNow builds a run's changes CSV while the caller waits, with reports:read
// as for the report. A run whose file has more rows than NowMaxRows answers
// ErrTooManyRows: those go by requestChangesExport and the emailed link.
func (s *Service) BuildChangesNow(ctx context.Context, eventID int) (*Now, error) {
	if _, err := auth.Require(ctx, auth.ScopeReportsRead); err != nil {
		return nil, err
	}
	ev, err := s.DB.Client.Event.Get(ctx, eventID)
	if ent.IsNotFound(err) {
		return nil, usererr.NotFoundf("no event with ID %d", eventID)
	}
	if err != nil {
		return nil, fmt.Errorf("changes CSV: event %d: %w", eventID, err)
	}
	if ev.ChangeRows > s.NowMaxRows() {
		return nil, ErrTooManyRows
	}
	var buf bytes.Buffer
	n, err := WriteChangesCSV(ctx, s.DB.Client, eventID, &buf)
	if err != nil {
		return nil, err
	}
	name := "changes-" + strconv.Itoa(eventID) + "-" + ev.DateFinished.UTC().Format("2006-01-02") + ".csv"
	return &Now{Body: buf.Bytes(), Name: name, Rows: n}, nil
}

// RequestChanges records an export of one run's changes (the email path of "Download
// this run's changes") and enqueues its build, as Request does for the report.
func (s *Service) RequestChanges(ctx context.Context, eventID int) (*ent.Export, error) {
	if _, err := auth.Require(ctx, auth.ScopeReportsRead); err != nil {
		return nil, err
	}
	if _, err := s.DB.Client.Event.Get(ctx, eventID); ent.IsNotFound(err) {
		return nil, usererr.NotFoundf("no event with ID %d", eventID)
	} else if err != nil {
		return nil, fmt.Errorf("request changes export: event %d: %w", eventID, err)
	}
	return s.request(ctx, report.Filter{}, nil, &eventID)
}
