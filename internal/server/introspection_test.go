package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// requireNode fails the test when node or the repository's npm packages are missing:
// the test is about what real GraphQL tools see, so it cannot stand in for them.
func requireNode(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	require.NoError(t, err, "node is needed to run graphql-js")
	_, err = os.Stat(filepath.Join("..", "..", "node_modules", "graphql", "package.json"))
	require.NoError(t, err, "graphql-js is missing: run npm ci at the repository root")
}

// TestGraphQLJSIntrospection sends graphql-js' getIntrospectionQuery, with every option
// graphql@16 has, through the real handler and builds a client schema from the answer,
// as GraphiQL, codegen and IDE plugins do.
func TestGraphQLJSIntrospection(t *testing.T) {
	t.Parallel()
	requireNode(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "intro", "UTC")
		token := srv.Token(t, sc.ID, "reports:read")

		out, err := exec.Command("node", filepath.Join("testdata", "introspect.mjs"), srv.URL, token).CombinedOutput()
		require.NoError(t, err, "%s", out)
		var got struct {
			Status             int
			Errors             []map[string]any
			Types              []string
			ReportFilterFields []string
		}
		require.NoError(t, json.Unmarshal(out, &got), "%s", out)
		require.Equal(t, 200, got.Status, "%s", out)
		require.Empty(t, got.Errors)
		require.Contains(t, got.Types, "ReportFilter")
		require.Contains(t, got.ReportFilterFields, "activeOnly")

		// Without credentials the same query is refused as before: introspection is for
		// callers who may use the API.
		out, err = exec.Command("node", filepath.Join("testdata", "introspect.mjs"), srv.URL).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NoError(t, json.Unmarshal(out, &got), "%s", out)
		require.NotEmpty(t, got.Errors)
		require.Empty(t, got.Types)
	})
}

// TestIntrospectionAbuseRefused: introspection has bounds of its own, so nesting that
// no tool sends is still refused.
func TestIntrospectionAbuseRefused(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "abuse", "UTC")
		token := srv.Token(t, sc.ID, "reports:read")

		ofType := `{ __type(name: "Event") { fields { type {` + strings.Repeat(" ofType {", 20) + " name" + strings.Repeat(" }", 20) + ` } } } }`
		r := srv.Do(t, token, ofType, nil)
		require.NotEmpty(t, r.Errors)
		require.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.Errors[0].Code(), r.Errors[0].Message)

		// __Type's list fields nested past graphql-js' bound of three.
		cyclic := `{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`
		r = srv.Do(t, token, cyclic, nil)
		require.NotEmpty(t, r.Errors)
		require.Contains(t, r.Errors[0].Message, "introspection depth")

		// The same shape within the bounds passes: graphql-js' TypeRef nests ofType nine times.
		nine := `{ __type(name: "Event") { fields { type {` + strings.Repeat(" ofType {", 9) + " name" + strings.Repeat(" }", 9) + ` } } } }`
		r = srv.Do(t, token, nine, nil)
		require.Empty(t, r.Errors)
	})
}
