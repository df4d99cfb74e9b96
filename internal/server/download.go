package server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/usererr"
)

// download streams a ready export's CSV file: 404 for anything the caller may not see
// (another school's, another user's), 409 while it is being built, 410 once expired.
// A browser that is not signed in is sent to sign in and brought back.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.Error(w, "no such export", http.StatusNotFound)
		return
	}
	if _, ok := auth.FromContext(r.Context()); !ok {
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		http.Error(w, "sign in or send an API token", http.StatusUnauthorized)
		return
	}
	rd, name, err := s.Exports.Open(r.Context(), id)
	switch {
	case err == nil:
	case errors.Is(err, export.ErrExpired):
		http.Error(w, "this export has expired; request a new one from the dashboard", http.StatusGone)
		return
	case errors.Is(err, export.ErrNotReady):
		http.Error(w, "this export is not ready yet", http.StatusConflict)
		return
	default:
		if ue, ok := usererr.As(err); ok {
			status := http.StatusNotFound
			if ue.Code == usererr.Unauthenticated {
				status = http.StatusUnauthorized
			} else if ue.Code == usererr.Forbidden {
				status = http.StatusForbidden
			}
			http.Error(w, ue.Message, status)
			return
		}
		s.logger.ErrorContext(r.Context(), "download export", "request_id", requestid.FromContext(r.Context()), "export", id, "err", err)
		http.Error(w, "internal server error (request ID "+requestid.FromContext(r.Context())+")", http.StatusInternalServerError)
		return
	}
	defer rd.Close()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	// The name is built from a slug and dates, so it needs no escaping; the quoted form is
	// what the export's users' scripts expect.
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(rd.Size(), 10))
	w.Header().Set("Cache-Control", "private, no-store")
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rd); err != nil {
		s.logger.WarnContext(r.Context(), "download interrupted", "request_id", requestid.FromContext(r.Context()), "export", id, "err", err)
	}
}
