package frontend

import "embed"

// Operations are the dashboard's GraphQL documents (src/graphql/*.graphql). The server
// reads the operation names in them to know which names are its own, for metric labels.
//
//go:embed src/graphql/*.graphql
var Operations embed.FS
