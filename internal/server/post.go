package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeBadRequest is the extensions.code of a request that is not a GraphQL request at
// all: a body that is not JSON, a batch, a member of the wrong JSON type.
const codeBadRequest = "BAD_REQUEST"

// post is gqlgen's POST transport behind a check of the body's shape. gqlgen answers a
// body it cannot decode with an error that quotes the whole body, which may hold a
// password or a token; post answers such a body itself (requestBodyError), and hands
// every body that is one GraphQL request to gqlgen unchanged.
type post struct{ transport.POST }

// requestShape is what post checks of a body: one JSON object whose members have the
// types a GraphQL request's members have. Variables and extensions are only scanned.
type requestShape struct {
	Query         *string         `json:"query"`
	OperationName *string         `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// Do serves one POST request.
func (p post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = checkShape(body)
	}
	if err != nil {
		status, gqlErr := requestBodyError(err)
		code, _ := gqlErr.Extensions["code"].(string)
		noteErrorCode(r.Context(), code)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": gqlerror.List{gqlErr}})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.POST.Do(w, r, exec)
}

// checkShape decodes body as requestShape, refusing anything that is not one object or
// whose variables or extensions are neither an object nor null.
func checkShape(body []byte) error {
	var shape requestShape
	if err := json.Unmarshal(body, &shape); err != nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return io.EOF
		}
		return err
	}
	for name, raw := range map[string]json.RawMessage{"variables": shape.Variables, "extensions": shape.Extensions} {
		if v := bytes.TrimSpace(raw); len(v) > 0 && v[0] != '{' && !bytes.Equal(v, []byte("null")) {
			return &json.UnmarshalTypeError{Value: jsonValueKind(v[0]), Type: reflect.TypeFor[map[string]any](), Field: name}
		}
	}
	return nil
}

// jsonValueKind names the JSON type of a value by its first byte.
func jsonValueKind(b byte) string {
	switch {
	case b == '"':
		return "string"
	case b == '[':
		return "array"
	case b == 't' || b == 'f':
		return "bool"
	default:
		return "number"
	}
}

// requestBodyError is the HTTP status and the client error for a request body that
// could not be read or decoded as one GraphQL request. The message says what is wrong
// in the request's shape and never quotes the body: it may hold a password or a token,
// and the error carries a code, so the error presenter does not log it.
func requestBodyError(err error) (int, *gqlerror.Error) {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	status, code := http.StatusBadRequest, codeBadRequest
	var msg string
	switch {
	case errors.As(err, &tooLarge):
		status, code = http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"
		msg = "request body is larger than the limit"
	case errors.Is(err, io.EOF):
		msg = "the request body is empty: send a JSON object with a query"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "the request body is not valid JSON: it ends before the JSON value does"
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "" && typ.Value == "array":
		msg = "batched requests (a JSON array of operations) are not supported: send one operation per request"
	case errors.As(err, &typ) && typ.Field == "":
		msg = "the request body must be a JSON object with a query"
	case errors.As(err, &typ):
		// Value is "number 12345" for some numbers: name the JSON type alone.
		got, _, _ := strings.Cut(typ.Value, " ")
		msg = fmt.Sprintf("%s in the request body must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind()), got)
	default:
		msg = "the request body could not be read as a GraphQL request"
	}
	return status, &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// jsonKind names the JSON type a Go kind decodes from.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	default:
		return "a number"
	}
}
