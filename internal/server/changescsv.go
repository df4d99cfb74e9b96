package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/usererr"
)

// changesCSVPattern is a run's changes downloaded at once (Event.changesCSVURL).
const changesCSVPattern = "GET /events/{id}/changes.csv"

// changesCSV answers GET /events/{id}/changes.csv with the run's changes as CSV, for the
// caller's school, with the same credentials, scope and errors as GET /report.csv: a
// run whose file has more rows than the limit answers 413 TOO_MANY_ROWS.
func (s *Server) changesCSV(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		s.reportCSVError(w, r, usererr.BadInput("id", "is not an event ID"))
		return
	}
	now, err := s.Exports.BuildChangesNow(r.Context(), id)
	switch {
	case errors.Is(err, export.ErrTooManyRows):
		writeGraphQLError(w, r, http.StatusRequestEntityTooLarge, "TOO_MANY_ROWS",
			"This run's changes make more than "+strconv.Itoa(s.Exports.NowMaxRows())+
				" rows, too many to download at once. Email the link instead.")
		return
	case errors.Is(err, usererr.ErrNotFound):
		writeGraphQLError(w, r, http.StatusNotFound, string(usererr.NotFound), "no such run")
		return
	case err != nil:
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
