package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/usererr"
)

// ErrTooMany is returned (wrapped, with the limit) for a body with more events than
// DecodeNDJSON may take.
var ErrTooMany = errors.New("too many events in one request")

// MaxLineErrors is the most line errors a refused NDJSON body is answered with.
const MaxLineErrors = 100

// LineError is what is wrong with one line of an NDJSON body: its 1-based number, the
// field (RecordEventInput's name, with its path inside the event) and why.
type LineError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ndjsonEvent is one line as agents write it: RecordEventInput's field names and types.
type ndjsonEvent struct {
	Type         *string         `json:"type"`
	StartedAt    *time.Time      `json:"startedAt"`
	FinishedAt   *time.Time      `json:"finishedAt"`
	DateStarted  *time.Time      `json:"dateStarted"`
	DateFinished *time.Time      `json:"dateFinished"`
	SyncProfile  *string         `json:"syncProfile"`
	Username     *string         `json:"username"`
	Processed    *int            `json:"processed"`
	Added        *int            `json:"added"`
	Updated      *int            `json:"updated"`
	Deleted      *int            `json:"deleted"`
	Disabled     *int            `json:"disabled"`
	Errors       *int            `json:"errors"`
	Details      *string         `json:"details"`
	Problems     []ndjsonProblem `json:"problems"`
	Service      *string         `json:"service"`
	ExternalID   *string         `json:"externalID"`
	Changes      []ndjsonChange  `json:"changes"`
}

// ndjsonChange is one change as a line gives it; required fields are pointers so that
// a missing one is told apart from an empty one.
type ndjsonChange struct {
	Action      *string                      `json:"action"`
	Username    *string                      `json:"username"`
	DisplayName *string                      `json:"displayName"`
	Email       *string                      `json:"email"`
	Attributes  []*eventtype.AttributeChange `json:"attributes"`
	Message     *string                      `json:"message"`
}

type ndjsonProblem struct {
	Line    *int    `json:"line"`
	Field   *string `json:"field"`
	Message *string `json:"message"`
}

// DecodeNDJSON reads events from r, one JSON object per line (blank lines are
// skipped), as it arrives, checking each as recordEvents checks its input. It answers
// the events when every line is good, else every bad line (at most MaxLineErrors) and
// no events. More than maxLines events is ErrTooMany, a line longer than maxLine bytes
// a *usererr.Error; an error reading r is returned as it is.
func DecodeNDJSON(r io.Reader, maxLines, maxLine int) ([]*Input, []LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var (
		out  []*Input
		bad  []LineError
		line int
	)
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if len(out)+len(bad) >= maxLines {
			return nil, nil, fmt.Errorf("%w: at most %d; send the rest in another request", ErrTooMany, maxLines)
		}
		in, lerr := decodeLine(raw)
		if lerr != nil {
			if len(bad) < MaxLineErrors {
				lerr.Line = line
				bad = append(bad, *lerr)
			}
			out = append(out, nil)
			continue
		}
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, usererr.BadInput("", "line %d is longer than %d bytes", line+1, maxLine)
		}
		return nil, nil, err
	}
	if len(bad) > 0 {
		return nil, bad, nil
	}
	if len(out) == 0 {
		return nil, []LineError{{Line: 1, Message: "the body holds no events: send one JSON object per line"}}, nil
	}
	return out, nil, nil
}

// decodeLine decodes and checks one line. Members are matched by their exact names, as
// GraphQL matches RecordEventInput's, and an unknown or repeated one refuses the line.
func decodeLine(raw []byte) (*Input, *LineError) {
	var e ndjsonEvent
	if err := json.Unmarshal(raw, &e, json.RejectUnknownMembers(true)); err != nil {
		return nil, jsonLineError(raw, err)
	}
	in, lerr := e.input()
	if lerr != nil {
		return nil, lerr
	}
	if err := Check(in); err != nil {
		if ue, ok := usererr.As(err); ok {
			return nil, &LineError{Field: ue.Field, Message: ue.Message}
		}
		return nil, &LineError{Message: err.Error()}
	}
	return in, nil
}

// input converts a decoded line, refusing a missing type as GraphQL would; Check
// refuses missing instants, under either name.
func (e *ndjsonEvent) input() (*Input, *LineError) {
	if e.Type == nil {
		return nil, &LineError{Field: "type", Message: "is required"}
	}
	at := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	in := &Input{
		Type:      event.Type(*e.Type),
		StartedAt: at(e.StartedAt), FinishedAt: at(e.FinishedAt),
		DateStarted: at(e.DateStarted), DateFinished: at(e.DateFinished),
		SyncProfile: e.SyncProfile, Username: e.Username,
		Processed: e.Processed, Added: e.Added, Updated: e.Updated, Deleted: e.Deleted, Disabled: e.Disabled, Errors: e.Errors,
		Details: e.Details, Service: e.Service, ExternalID: e.ExternalID,
	}
	for i, p := range e.Problems {
		if p.Line == nil || p.Field == nil || p.Message == nil {
			return nil, &LineError{Field: fmt.Sprintf("problems[%d]", i), Message: "needs line, field and message"}
		}
		in.Problems = append(in.Problems, &ProblemInput{Line: *p.Line, Field: *p.Field, Message: *p.Message})
	}
	for i, c := range e.Changes {
		if c.Action == nil || c.Username == nil {
			return nil, &LineError{Field: fmt.Sprintf("changes[%d]", i), Message: "needs action and username"}
		}
		in.Changes = append(in.Changes, &ChangeInput{Action: change.Action(*c.Action), Username: *c.Username,
			DisplayName: c.DisplayName, Email: c.Email, Attributes: c.Attributes, Message: c.Message})
	}
	return in, nil
}

// jsonLineError says what the decoder found wrong with a line, naming the field (with its
// path inside the event) where it can, without echoing the line's content.
func jsonLineError(raw []byte, err error) *LineError {
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		field := fieldPath(sem.JSONPointer)
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			return &LineError{Field: field, Message: "is not a field of " + inputName[sem.GoType]}
		case field == "":
			return &LineError{Message: "is not a JSON object"}
		case sem.GoType == reflect.TypeFor[time.Time]():
			return &LineError{Field: field, Message: "is not an RFC 3339 time (e.g. 2026-03-05T08:30:00Z)"}
		case sem.GoType != nil:
			return &LineError{Field: field, Message: "must be " + jsonKind(sem.GoType.String())}
		}
		return &LineError{Field: field, Message: "is not valid here"}
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		field := fieldPath(syn.JSONPointer)
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return &LineError{Field: field, Message: "appears more than once"}
		case syn.ByteOffset > 0 && syn.ByteOffset <= int64(len(raw)) && jsontext.Value(raw[:syn.ByteOffset]).IsValid():
			return &LineError{Message: "holds more than one JSON value; put each event on its own line"}
		case strings.Contains(syn.Err.Error(), "UTF-8"):
			return &LineError{Field: field, Message: "is not valid UTF-8"}
		}
	}
	return &LineError{Message: "is not a JSON object"}
}

// inputName is the GraphQL input type of each object a line holds, for the message
// about a name that is not one of its fields.
var inputName = map[reflect.Type]string{
	reflect.TypeFor[ndjsonEvent]():               "RecordEventInput",
	reflect.TypeFor[ndjsonChange]():              "ChangeInput",
	reflect.TypeFor[eventtype.AttributeChange](): "AttributeChangeInput",
	reflect.TypeFor[ndjsonProblem]():             "ProblemInput",
}

// fieldPath writes a JSON pointer as the path GraphQL errors use: changes[0].username.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// jsonKind names a Go type the way a JSON writer thinks of it.
func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "Time"):
		return "an RFC 3339 time"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	default:
		return "an object"
	}
}
