package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/usererr"
)

// reportCSVPath is the immediate download: the CSV an export of the same filter would
// hold, answered at once when it is small.
const reportCSVPath = "/report.csv"

// reportCSV answers GET /report.csv?filter=JSON&columns=USERNAME,… with the CSV an
// export of that filter and those columns would hold, for the caller's school, with
// the same credentials and scope as requestExport. More events than the limit answer
// 413 with the code TOO_MANY_ROWS: those go by the emailed link. Errors are GraphQL-shaped
// JSON with a code, so the dashboard shows them as it shows every other error.
func (s *Server) reportCSV(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := export.DecodeFilter(strings.NewReader(q.Get("filter")))
	if err != nil {
		s.reportCSVError(w, r, err)
		return
	}
	var cols []export.Column
	for _, v := range q["columns"] {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cols = append(cols, export.Column(c))
			}
		}
	}
	now, err := s.Exports.BuildNow(r.Context(), f, cols)
	if err != nil {
		s.reportCSVError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+now.Name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(now.Body)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Row-Count", strconv.Itoa(now.Rows))
	_, _ = w.Write(now.Body)
}

func (s *Server) reportCSVError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, export.ErrTooManyRows) {
		writeGraphQLError(w, r, http.StatusRequestEntityTooLarge, "TOO_MANY_ROWS",
			"These filters match more than "+strconv.Itoa(s.Exports.NowMaxRows())+
				" events, too many to download at once. Email the link instead, or narrow the filters.")
		return
	}
	if ue, ok := usererr.As(err); ok {
		status := http.StatusBadRequest
		switch ue.Code {
		case usererr.Unauthenticated:
			status = http.StatusUnauthorized
		case usererr.Forbidden:
			status = http.StatusForbidden
		}
		writeGraphQLError(w, r, status, string(ue.Code), ue.Message)
		return
	}
	id := requestid.FromContext(r.Context())
	s.logger.ErrorContext(r.Context(), "download now", "request_id", id, "err", err)
	writeGraphQLError(w, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal server error (request ID "+id+")")
}
