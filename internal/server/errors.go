package server

import (
	"encoding/json"
	"net/http"
)

// writeGraphQLError answers with a GraphQL-shaped error body, so that GraphQL clients
// show the message and code even for errors raised before the GraphQL handler runs. The
// code is counted with the GraphQL errors gqlgen sends (provreport_graphql_errors_total).
func writeGraphQLError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	noteErrorCode(r.Context(), code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
