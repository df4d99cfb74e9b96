package server

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// getQuery is gqlgen's GET transport, answering as GraphQL over HTTP asks where gqlgen
// answers otherwise: variables or extensions that are not a JSON object are a client's
// BAD_REQUEST (gqlgen gives no code), and a mutation or subscription is refused with 405
// and Allow: POST (gqlgen answers 406).
type getQuery struct{ transport.GET }

// Do implements graphql.Transport.
func (t getQuery) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q := r.URL.Query()
	for _, name := range []string{"variables", "extensions"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			writeGraphQLError(w, r, http.StatusBadRequest, codeBadRequest,
				name+" in the query string must be a JSON object")
			return
		}
	}
	if doc, err := parser.ParseQuery(&ast.Source{Input: q.Get("query")}); err == nil {
		if op := doc.Operations.ForName(q.Get("operationName")); op != nil && op.Operation != ast.Query {
			w.Header().Set("Allow", http.MethodPost)
			writeGraphQLError(w, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
				"only queries run over GET: send this "+string(op.Operation)+" as a POST")
			return
		}
	}
	t.GET.Do(w, r, exec)
}

// jsonBodies answers a POST to the API whose body is not JSON with 415 Unsupported
// Media Type (gqlgen would answer 400 "transport not supported"), naming the type to send.
func jsonBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				w.Header().Set("Accept-Post", "application/json")
				writeGraphQLError(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
					"send the request as Content-Type: application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
