package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// DefaultNowMaxRows is how many events an immediate download holds at most; more go
// through the emailed link, which builds the file in the background.
const DefaultNowMaxRows = 10000

// ErrTooManyRows is what an immediate download of more events than its limit answers
// (HTTP 413, code TOO_MANY_ROWS).
var ErrTooManyRows = errors.New("too many events to download at once")

// Now is a CSV built while the caller waits.
type Now struct {
	// Body is the whole file.
	Body []byte
	// Name is the name the file is downloaded as.
	Name string
	// Rows is the number of events in it.
	Rows int
}

// NowMaxRows is the immediate download's row limit.
func (s *Service) NowMaxRows() int {
	if s.MaxNowRows <= 0 {
		return DefaultNowMaxRows
	}
	return s.MaxNowRows
}

// BuildNow builds the same CSV an export of f with cols would hold, for the caller's
// school, while the caller waits. It needs reports:read like an export, and answers
// ErrTooManyRows when the filter matches more events than NowMaxRows: the file is small
// enough to hold in memory, so a request can never make the server buffer a year of a
// district.
func (s *Service) BuildNow(ctx context.Context, f report.Filter, cols []Column) (*Now, error) {
	if _, err := auth.Require(ctx, auth.ScopeReportsRead); err != nil {
		return nil, err
	}
	schoolID, ok := tenant.SchoolID(ctx)
	if !ok {
		return nil, tenant.ErrNoTenant
	}
	if err := f.Check(ctx, s.DB.Client); err != nil {
		return nil, err
	}
	cols, err := NormaliseColumns(cols)
	if err != nil {
		return nil, err
	}
	sc, err := s.DB.Client.School.Get(ctx, schoolID)
	if err != nil {
		return nil, fmt.Errorf("download now: school: %w", err)
	}
	limit := s.NowMaxRows()
	var buf bytes.Buffer
	n, _, err := WriteCSV(ctx, s.DB.SQL, s.DB.Dialect, Rows{
		SchoolID: schoolID, Filter: f, MaxEventID: math.MaxInt64, Location: location(sc), Columns: cols,
		// One row more than the limit tells "exactly the limit" from "over it".
		Limit: limit + 1, Pause: s.RowPause,
	}, &buf)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrTooManyRows
	}
	return &Now{Body: buf.Bytes(), Name: fileName(sc, f, time.Now()), Rows: n}, nil
}

// nowFilter is ReportFilter as the dashboard sends it in a URL: the GraphQL input's
// JSON, whose IDs may be strings or numbers.
type nowFilter struct {
	From          *time.Time   `json:"from"`
	To            *time.Time   `json:"to"`
	UserID        *json.Number `json:"userID"`
	SyncProfileID *json.Number `json:"syncProfileID"`
	Types         []event.Type `json:"types"`
	ActiveOnly    *bool        `json:"activeOnly"`
	Search        *string      `json:"search"`
}

// DecodeFilter reads a ReportFilter written as JSON (the GraphQL input's field names),
// as GET /report.csv takes it; empty means the default view.
func DecodeFilter(r io.Reader) (report.Filter, error) {
	var in nowFilter
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		return report.Filter{}, usererr.BadInput("filter", "not a ReportFilter in JSON: %v", err)
	}
	f := report.Filter{From: in.From, To: in.To, Types: in.Types, ActiveOnly: in.ActiveOnly, Search: in.Search}
	for _, t := range in.Types {
		if err := event.TypeValidator(t); err != nil {
			return report.Filter{}, usererr.BadInput("filter.types", "%q is not an event type", string(t))
		}
	}
	id := func(name string, n *json.Number) (*int, error) {
		if n == nil {
			return nil, nil
		}
		v, err := strconv.Atoi(string(*n))
		if err != nil {
			return nil, usererr.BadInput("filter."+name, "%q is not an ID", string(*n))
		}
		return &v, nil
	}
	var err error
	if f.UserID, err = id("userID", in.UserID); err != nil {
		return f, err
	}
	if f.SyncProfileID, err = id("syncProfileID", in.SyncProfileID); err != nil {
		return f, err
	}
	return f, nil
}
