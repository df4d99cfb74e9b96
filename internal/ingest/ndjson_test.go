package ingest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/ingest"
)

// TestDecodeNDJSONLineErrors pins what each kind of bad line is answered with: the line,
// the field with its path inside the event, and a message that does not echo the line.
func TestDecodeNDJSONLineErrors(t *testing.T) {
	const good = `{"type":"SYNC_ERROR","syncProfile":"Staff","startedAt":"2026-03-01T10:00:00Z","finishedAt":"2026-03-01T10:01:00Z"}`
	withField := func(member string) string { return strings.TrimSuffix(good, "}") + "," + member + "}" }
	for _, tc := range []struct {
		name, line string
		want       ingest.LineError
	}{
		{"not JSON", `not json`, ingest.LineError{Message: "is not a JSON object"}},
		{"a list", `[1,2]`, ingest.LineError{Message: "is not a JSON object"}},
		{"cut short", `{"type":"SYNC_ERROR"`, ingest.LineError{Message: "is not a JSON object"}},
		{"two values", good + " " + good, ingest.LineError{Message: "holds more than one JSON value; put each event on its own line"}},
		{"unknown field", withField(`"colour":"red"`), ingest.LineError{Field: "colour", Message: "is not a field of RecordEventInput"}},
		{"a name in another case", withField(`"Username":"sam"`), ingest.LineError{Field: "Username", Message: "is not a field of RecordEventInput"}},
		{"unknown field of a change", withField(`"changes":[{"action":"FAILED","username":"sam","colour":1}]`), ingest.LineError{Field: "changes[0].colour", Message: "is not a field of ChangeInput"}},
		{"unknown field of an attribute", withField(`"changes":[{"action":"FAILED","username":"sam","attributes":[{"name":"mail","colour":1}]}]`), ingest.LineError{Field: "changes[0].attributes[0].colour", Message: "is not a field of AttributeChangeInput"}},
		{"unknown field of a problem", withField(`"problems":[{"message":"bad row","colour":1}]`), ingest.LineError{Field: "problems[0].colour", Message: "is not a field of ProblemInput"}},
		{"a count as text", withField(`"errors":"two"`), ingest.LineError{Field: "errors", Message: "must be an integer"}},
		{"a fractional count", withField(`"errors":1.5`), ingest.LineError{Field: "errors", Message: "must be an integer"}},
		{"a count too large", withField(`"errors":1e30`), ingest.LineError{Field: "errors", Message: "must be an integer"}},
		{"a type as a number", `{"type":1}`, ingest.LineError{Field: "type", Message: "must be a string"}},
		{"changes as an object", withField(`"changes":{}`), ingest.LineError{Field: "changes", Message: "must be a list"}},
		{"a problem's line as text", withField(`"problems":[{"line":"x","field":"f","message":"m"}]`), ingest.LineError{Field: "problems[0].line", Message: "must be an integer"}},
		{"not a time", `{"type":"SYNC_ERROR","startedAt":"yesterday"}`, ingest.LineError{Field: "startedAt", Message: "is not an RFC 3339 time (e.g. 2026-03-05T08:30:00Z)"}},
		{"a field twice", withField(`"type":"SYNC_ERROR"`), ingest.LineError{Field: "type", Message: "appears more than once"}},
		{"invalid UTF-8", withField("\"details\":\"\xff\""), ingest.LineError{Field: "details", Message: "is not valid UTF-8"}},
		{"no type", `{"syncProfile":"Staff"}`, ingest.LineError{Field: "type", Message: "is required"}},
		{"null", `null`, ingest.LineError{Field: "type", Message: "is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, bad, err := ingest.DecodeNDJSON(strings.NewReader(good+"\n\n"+tc.line+"\n"+good), 10, 1<<16)
			require.NoError(t, err)
			require.Nil(t, events)
			tc.want.Line = 3
			require.Equal(t, []ingest.LineError{tc.want}, bad)
		})
	}
	events, bad, err := ingest.DecodeNDJSON(strings.NewReader(good+"\n"+good+"\n"), 10, 1<<16)
	require.NoError(t, err)
	require.Nil(t, bad)
	require.Len(t, events, 2)
}
