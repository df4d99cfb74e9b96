package server

import (
	"encoding/json"
	"net/http"
)

// writeGraphQLError answers with a GraphQL-shaped error body, so that GraphQL clients
// show the message and code even for errors raised before the GraphQL handler runs.
func writeGraphQLError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
