package server

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/usererr"
)

// The bulk ingestion endpoint: agents POST their events as NDJSON, one event per line
// with recordEvents' field names and meaning, and the batch is recorded through the
// same Recorder (so the live feed, the report cache and the metrics see it as they see
// recordEvents).
const (
	bulkPath = "/api/v1/events"
	// bulkMaxBytes bounds a bulk body: 10,000 events of ordinary size fit many times over.
	bulkMaxBytes = 32 << 20
	// bulkMaxLine bounds one line: the largest event recordEvents takes, with room to spare.
	bulkMaxLine = 4 << 20
)

// bulkAnswer is the body of a successful bulk request: how many events were stored, how
// many were already stored (by external ID), and every event's ID in line order.
type bulkAnswer struct {
	Recorded   int      `json:"recorded"`
	Duplicates int      `json:"duplicates"`
	IDs        []string `json:"ids"`
}

// bulkErrors is the body of a refused bulk request. Line errors carry their line number;
// errors about the request as a whole carry a code.
type bulkErrors struct {
	Errors []bulkError `json:"errors"`
}

type bulkError struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// bulk serves POST /api/v1/events.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, err := auth.Require(ctx, auth.ScopeEventsWrite); err != nil {
		ue, _ := usererr.As(err)
		status := http.StatusForbidden
		if ue.Code == usererr.Unauthenticated {
			status = http.StatusUnauthorized
		}
		writeBulkError(w, status, bulkError{Code: string(ue.Code), Message: ue.Message})
		return
	}
	// The content type also keeps the endpoint out of reach of cross-site forms: a
	// browser preflights application/x-ndjson.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-ndjson" {
		writeBulkError(w, http.StatusUnsupportedMediaType, bulkError{Code: "UNSUPPORTED_MEDIA_TYPE",
			Message: "send the events as application/x-ndjson, one JSON object per line"})
		return
	}
	in, bad, err := ingest.DecodeNDJSON(r.Body, ingest.MaxBulk, bulkMaxLine)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.Is(err, ingest.ErrTooMany) {
			writeBulkError(w, http.StatusRequestEntityTooLarge, bulkError{Code: "REQUEST_TOO_LARGE", Message: err.Error()})
			return
		}
		if errors.As(err, &tooLarge) {
			writeBulkError(w, http.StatusRequestEntityTooLarge, bulkError{Code: "REQUEST_TOO_LARGE",
				Message: "the body is larger than " + strconv.Itoa(bulkMaxBytes>>20) + " MiB; split it into several requests"})
			return
		}
		if ue, ok := usererr.As(err); ok {
			writeBulkError(w, http.StatusBadRequest, bulkError{Code: string(ue.Code), Message: ue.Message})
			return
		}
		s.logger.WarnContext(ctx, "read bulk body", "request_id", requestid.FromContext(ctx), "err", err)
		writeBulkError(w, http.StatusBadRequest, bulkError{Code: "BAD_REQUEST", Message: "the body could not be read"})
		return
	}
	if len(bad) > 0 {
		out := bulkErrors{Errors: make([]bulkError, len(bad))}
		for i, b := range bad {
			out.Errors[i] = bulkError{Line: b.Line, Field: b.Field, Message: b.Message}
		}
		writeJSON(w, http.StatusBadRequest, out)
		return
	}
	if s.records.on() {
		if why := s.records.take(w.Header(), callerKey(r), len(in)); why != nil {
			noteErrorCode(ctx, string(usererr.TooManyRequests))
			writeBulkError(w, http.StatusTooManyRequests, bulkError{Code: string(usererr.TooManyRequests),
				Message: s.records.message("events", len(in), why)})
			return
		}
	}
	events, duplicates, err := s.Recorder.RecordBulk(ctx, in)
	if err != nil {
		if ue, ok := usererr.As(err); ok {
			writeBulkError(w, http.StatusBadRequest, bulkError{Field: ue.Field, Code: string(ue.Code), Message: ue.Message})
			return
		}
		id := requestid.FromContext(ctx)
		s.logger.ErrorContext(ctx, "record bulk events", "request_id", id, "events", len(in), "err", err)
		writeBulkError(w, http.StatusInternalServerError, bulkError{Code: "INTERNAL_SERVER_ERROR",
			Message: "internal server error (request ID " + id + "); nothing was stored"})
		return
	}
	ans := bulkAnswer{Recorded: len(events) - duplicates, Duplicates: duplicates, IDs: make([]string, len(events))}
	for i, e := range events {
		ans.IDs[i] = strconv.Itoa(e.ID)
	}
	writeJSON(w, http.StatusOK, ans)
}

func writeBulkError(w http.ResponseWriter, status int, e bulkError) {
	writeJSON(w, status, bulkErrors{Errors: []bulkError{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
