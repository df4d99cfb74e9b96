package ingest_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/usererr"
)

// FuzzNDJSON feeds arbitrary bodies to the bulk endpoint's decoder. Whatever arrives, it
// must answer exactly one of: events (each passing the same check recordEvents applies),
// line errors (numbered within the body, at most MaxLineErrors, never echoing a line's
// content back), or an error; and never panic. Its starting corpus is in
// testdata/fuzz/FuzzNDJSON.
func FuzzNDJSON(f *testing.F) {
	f.Add([]byte(`{"type":"ACCOUNT_SYNCHRONIZATION","dateStarted":"2026-03-01T10:00:00Z","dateFinished":"2026-03-01T10:01:00Z","syncProfile":"Staff","processed":3,"externalID":"a-1"}` + "\n"))
	f.Add([]byte("\n\n  \n"))
	f.Add([]byte(`{"type":"SYNC_ERROR","startedAt":"2026-03-01T10:00:00Z","finishedAt":"2026-03-01T10:01:00Z","problems":[{"line":1,"field":"x","message":"y"}]}` + "\n" + `{"type":1}`))
	f.Add([]byte(`{"type":"SYNC_ERROR"} {"type":"SYNC_ERROR"}`))
	f.Add([]byte(`{"nope":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const maxLines, maxLine = 50, 4 << 10
		events, bad, err := ingest.DecodeNDJSON(bytes.NewReader(body), maxLines, maxLine)
		switch {
		case err != nil:
			if events != nil || bad != nil {
				t.Fatalf("an error came with events or line errors: %v", err)
			}
			var ue *usererr.Error
			if !errors.Is(err, ingest.ErrTooMany) && !errors.As(err, &ue) {
				t.Fatalf("a body read from memory failed with an untyped error: %v", err)
			}
		case bad != nil:
			if events != nil {
				t.Fatal("line errors came with events")
			}
			if len(bad) > ingest.MaxLineErrors {
				t.Fatalf("%d line errors, more than %d", len(bad), ingest.MaxLineErrors)
			}
			lines := bytes.Count(body, []byte("\n")) + 1
			for _, le := range bad {
				if le.Line < 1 || le.Line > lines {
					t.Fatalf("line error numbered %d in a body of %d lines", le.Line, lines)
				}
				if le.Message == "" {
					t.Fatalf("line %d: an empty message", le.Line)
				}
				if strings.ContainsAny(le.Message, "\r\n") {
					t.Fatalf("line %d: message %q holds a line break", le.Line, le.Message)
				}
			}
		default:
			if len(events) == 0 || len(events) > maxLines {
				t.Fatalf("%d events accepted (at most %d)", len(events), maxLines)
			}
			for i, in := range events {
				if in == nil {
					t.Fatalf("event %d accepted as nil", i)
				}
				if err := ingest.Check(in); err != nil {
					t.Fatalf("event %d accepted but fails the check: %v", i, err)
				}
			}
		}
	})
}
