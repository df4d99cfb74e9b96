// Package e2e tests the live report end to end: real server processes on one
// PostgreSQL, subscribed to with the graphql-ws npm client run by node, recorded into
// through the GraphQL API. It also holds the delivery latency benchmark.
package e2e
