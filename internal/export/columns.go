package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/health"
	"github.com/provreport/provreport/internal/usererr"
)

// Column is an optional CSV column, appended after the product description's eleven.
type Column string

// The optional columns, in the order a file has them whichever order they were asked in.
const (
	ColumnUsername Column = "USERNAME"
	ColumnService  Column = "SERVICE"
	ColumnProblems Column = "PROBLEMS"
	ColumnFlags    Column = "FLAGS"
)

// AllColumns lists the optional columns in file order.
var AllColumns = []Column{ColumnUsername, ColumnService, ColumnProblems, ColumnFlags}

// header is the column's name in the CSV header.
func (c Column) header() string { return strings.ToLower(string(c)) }

// IsValid says whether c is one of the optional columns.
func (c Column) IsValid() bool {
	for _, k := range AllColumns {
		if c == k {
			return true
		}
	}
	return false
}

// String implements fmt.Stringer.
func (c Column) String() string { return string(c) }

// UnmarshalGQL implements graphql.Unmarshaler for the ExportColumn enum.
func (c *Column) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("ExportColumn must be a string")
	}
	*c = Column(s)
	if !c.IsValid() {
		return fmt.Errorf("%s is not a valid ExportColumn", s)
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler for the ExportColumn enum.
func (c Column) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(c)))
}

// NormaliseColumns checks the requested columns and puts them in file order without
// repeats, so that the same request always gives the same header.
func NormaliseColumns(cols []Column) ([]Column, error) {
	want := map[Column]bool{}
	for _, c := range cols {
		if !c.IsValid() {
			return nil, usererr.BadInput("columns", "%q is not an export column; use USERNAME, SERVICE, PROBLEMS or FLAGS", string(c))
		}
		want[c] = true
	}
	out := []Column{}
	for _, c := range AllColumns {
		if want[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// HeaderWith is the CSV header of a file with the given optional columns (in file order).
func HeaderWith(cols []Column) []string {
	h := append([]string(nil), Header...)
	for _, c := range cols {
		h = append(h, c.header())
	}
	return h
}

// FormatFlags renders a run's flags for the flags column: their names in health's
// display order joined by ";" (MASS_DELETE;PROCESSED_DROP), empty for an unflagged run.
func FormatFlags(f health.Flags) string { return strings.Join(f.Names(), ";") }

// FormatProblems renders an event's problem rows for the problems column:
// "line N, field: message" joined by "; ".
func FormatProblems(ps []eventtype.Problem) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("line %d, %s: %s", p.Line, p.Field, p.Message))
	}
	return strings.Join(parts, "; ")
}
