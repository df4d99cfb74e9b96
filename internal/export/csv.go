package export

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	entuser "github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/report"
)

// Header is the CSV header, in this order, because existing scripts parse it.
var Header = []string{"updated", "added", "deleted", "disabled", "event", "syncprofile_name", "errors",
	"date_finished", "processed", "date_started", "details"}

// BOM is the UTF-8 byte-order mark every CSV file starts with, so that Excel reads it as
// UTF-8.
const BOM = "\uFEFF"

// Rows says which events an export holds: one school's events matching a filter, up to
// the newest event when it was requested.
type Rows struct {
	SchoolID   int
	Filter     report.Filter
	MaxEventID int64
	Location   *time.Location
	// Columns are the optional columns after details, in file order (NormaliseColumns).
	Columns []Column
	// Limit, when positive, caps the number of rows read.
	Limit int
	// Pause, when positive, waits this long after each row, so that a test can stop a
	// server in the middle of a build. Never set in production.
	Pause time.Duration
}

// has says whether the file has the optional column c.
func (r Rows) has(c Column) bool {
	for _, k := range r.Columns {
		if k == c {
			return true
		}
	}
	return false
}

// query renders the export's SQL with the report filter's own predicates, so the file
// holds exactly what the event list shows, in the same order (newest first).
func (r Rows) query(dialectName string) (string, []any) {
	e := entsql.Table(event.Table)
	p := entsql.Table(syncprofile.Table).As("p")
	sel := entsql.Dialect(dialectName).
		Select(e.C(event.FieldUpdated), e.C(event.FieldAdded), e.C(event.FieldDeleted), e.C(event.FieldDisabled),
			e.C(event.FieldType), p.C(syncprofile.FieldName), e.C(event.FieldErrors), e.C(event.FieldDateFinished),
			e.C(event.FieldProcessed), e.C(event.FieldDateStarted), e.C(event.FieldDetails)).
		From(e).
		LeftJoin(p).On(e.C(event.FieldSyncProfileID), p.C(syncprofile.FieldID))
	// The optional columns are read only when asked for, so the default file costs no join.
	if r.has(ColumnUsername) {
		u := entsql.Table(entuser.Table).As("u")
		sel.LeftJoin(u).On(e.C(event.FieldUserID), u.C(entuser.FieldID))
		sel.AppendSelect(u.C(entuser.FieldUsername))
	}
	if r.has(ColumnService) {
		sel.AppendSelect(e.C(event.FieldService))
	}
	if r.has(ColumnProblems) {
		sel.AppendSelect(e.C(event.FieldProblems))
	}
	if r.has(ColumnFlags) {
		sel.AppendSelect(e.C(event.FieldFlags))
	}
	// Tenant scoping is explicit here because this query bypasses ent's interceptors.
	sel.Where(entsql.And(entsql.EQ(e.C(event.FieldSchoolID), r.SchoolID), entsql.LTE(e.C(event.FieldID), r.MaxEventID)))
	for _, pred := range r.Filter.Predicates() {
		pred(sel)
	}
	sel.OrderBy(entsql.Desc(e.C(event.FieldDateFinished)), entsql.Desc(e.C(event.FieldID)))
	if r.Limit > 0 {
		sel.Limit(r.Limit)
	}
	return sel.Query()
}

// countingWriter counts the bytes that pass through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// WriteCSV streams the rows from db to w as RFC 4180 CSV (UTF-8 with a byte-order mark, CRLF) and returns the
// number of data rows and bytes written. Memory stays flat whatever the row count:
// rows are read and written one at a time.
func WriteCSV(ctx context.Context, db *sql.DB, dialectName string, r Rows, w io.Writer) (int, int64, error) {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	q, args := r.query(dialectName)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("export query: %w", err)
	}
	defer rows.Close()

	cw := &countingWriter{w: w}
	out := newCSVWriter(cw)
	// A UTF-8 byte-order mark first: without it Excel reads the file as the system's
	// legacy code page and garbles names such as "Zoë". The header after it is exact.
	if _, err := io.WriteString(cw, BOM); err != nil {
		return 0, 0, err
	}
	header := HeaderWith(r.Columns)
	if err := out.Write(header); err != nil {
		return 0, 0, err
	}
	var (
		n                                                  int
		updated, added, deleted, disabled, errs, processed int64
		typ, details                                       string
		profile                                            sql.NullString
		started, finished                                  time.Time
		username, service                                  sql.NullString
		problems                                           []byte
		flags                                              int64
		rec                                                = make([]string, len(header))
		dest                                               = []any{&updated, &added, &deleted, &disabled, &typ, &profile, &errs, &finished, &processed, &started, &details}
	)
	for _, c := range r.Columns {
		switch c {
		case ColumnUsername:
			dest = append(dest, &username)
		case ColumnService:
			dest = append(dest, &service)
		case ColumnProblems:
			dest = append(dest, &problems)
		case ColumnFlags:
			dest = append(dest, &flags)
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, cw.n, fmt.Errorf("export row %d: %w", n+1, err)
		}
		rec[0] = strconv.FormatInt(updated, 10)
		rec[1] = strconv.FormatInt(added, 10)
		rec[2] = strconv.FormatInt(deleted, 10)
		rec[3] = strconv.FormatInt(disabled, 10)
		rec[4] = Cell(eventtype.DisplayName(typ))
		rec[5] = Cell(profile.String)
		rec[6] = strconv.FormatInt(errs, 10)
		rec[7] = finished.In(loc).Format(time.RFC3339)
		rec[8] = strconv.FormatInt(processed, 10)
		rec[9] = started.In(loc).Format(time.RFC3339)
		rec[10] = Cell(details)
		for i, c := range r.Columns {
			switch c {
			case ColumnUsername:
				rec[11+i] = Cell(username.String)
			case ColumnService:
				rec[11+i] = Cell(service.String)
			case ColumnProblems:
				var ps []eventtype.Problem
				if len(problems) > 0 {
					if err := json.Unmarshal(problems, &ps); err != nil {
						return n, cw.n, fmt.Errorf("export row %d problems: %w", n+1, err)
					}
				}
				rec[11+i] = Cell(FormatProblems(ps))
			case ColumnFlags:
				// Flag names are fixed upper-case words, never a formula.
				rec[11+i] = FormatFlags(health.Flags(flags))
			}
		}
		if err := out.Write(rec); err != nil {
			return n, cw.n, fmt.Errorf("write row %d: %w", n+1, err)
		}
		n++
		if r.Pause > 0 {
			select {
			case <-ctx.Done():
				return n, cw.n, ctx.Err()
			case <-time.After(r.Pause):
			}
		}
		if n%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return n, cw.n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, cw.n, fmt.Errorf("export rows: %w", err)
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return n, cw.n, fmt.Errorf("write csv: %w", err)
	}
	return n, cw.n, nil
}

// newCSVWriter is the writer every export file goes through: RFC 4180 with CRLF line
// ends.
func newCSVWriter(w io.Writer) *csv.Writer {
	out := csv.NewWriter(w)
	out.UseCRLF = true
	return out
}

// Cell turns stored text into a CSV cell that reads back as written and that no
// spreadsheet runs as a formula. The CSV writer, with CRLF line ends, drops a lone
// carriage return and writes a line feed as CR LF, which a reader gives back as a line
// feed: so line breaks are made line feeds first, and the cell a reader sees is the cell
// written. Text that is not UTF-8 (SQLite stores whatever bytes it is given) gets the
// replacement character, since the file says it is UTF-8.
func Cell(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	return Neutralise(s)
}

// Neutralise keeps a spreadsheet from running a cell as a formula, as OWASP's CSV
// injection guidance advises: a cell whose first character other than white space is
// =, +, -, @ or their fullwidth forms (which spreadsheets also read as formulas), or
// that starts with a tab or carriage return, gets a leading apostrophe. Spreadsheets
// skip leading white space, line breaks included, before looking for a formula, and the
// CSV writer turns a line feed into CR LF; judging the first non-space character
// covers every form the writer can give a cell.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\uFEFF' {
			continue
		}
		switch r {
		case '=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
			return "'" + s
		}
		return s
	}
	return s
}
