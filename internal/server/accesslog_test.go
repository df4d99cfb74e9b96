package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// TestAccessLogFields: a sane X-Request-ID is kept and echoed, anything else replaced;
// each request's log line carries its ID, the operation name, the school, the caller
// (token or user) and the client's address as the trusted proxy reports it.
func TestAccessLogFields(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir(),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, logger)
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	sc := apitest.CreateSchool(t, db.Client, "logged", "UTC")
	tokRow, tok := apitest.CreateToken(t, db.Client, sc.ID, auth.ScopeReportsRead)
	adaID := addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")

	agent := newClient(t, ts.URL)
	agent.header.Set("Authorization", "Bearer "+tok)
	agent.header.Set("X-Forwarded-For", "203.0.113.9")
	agent.header.Set("X-Request-ID", "lb-7f3e2a:trace/1")
	r := agent.gql(`query Events { events { totalCount } }`, nil)
	require.Empty(t, r.Errors)
	require.Equal(t, "lb-7f3e2a:trace/1", r.Header.Get("X-Request-ID"))

	ada := newClient(t, ts.URL)
	ada.header.Set("X-Request-ID", "ada-1")
	require.Empty(t, ada.signIn("logged", "ada", "ada-password-1").Errors)
	ada.header.Set("X-Request-ID", "ada-2")
	require.Empty(t, ada.gql(`query Me { me { id } }`, nil).Errors)

	for _, bad := range []string{"two words", `"quoted"`, strings.Repeat("x", 129), "new\u2028line", "a;b"} {
		c := newClient(t, ts.URL)
		c.header.Set("X-Request-ID", bad)
		got := c.gql(`{ __typename }`, nil).Header.Get("X-Request-ID")
		require.NotEqual(t, bad, got)
		require.Regexp(t, `^[0-9a-f]{16}$`, got, "a fresh ID instead of %q", bad)
	}

	lines := map[string]map[string]any{}
	sc2 := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc2.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc2.Bytes(), &m))
		if m["msg"] == "request" {
			lines[m["request_id"].(string)] = m
		}
	}
	line := lines["lb-7f3e2a:trace/1"]
	require.NotNil(t, line, "the client's request ID is the log's")
	require.Equal(t, "Events", line["operation"])
	require.EqualValues(t, sc.ID, line["school_id"])
	require.EqualValues(t, tokRow.ID, line["token_id"])
	require.Equal(t, tokRow.Name, line["caller"], "the token's name")
	require.NotEmpty(t, tokRow.Name)
	require.Equal(t, "203.0.113.9", line["client_addr"])
	line = lines["ada-2"]
	require.NotNil(t, line)
	require.Equal(t, "Me", line["operation"])
	require.EqualValues(t, adaID, line["user_id"])
	require.Equal(t, "ada", line["caller"], "the username")
	require.Equal(t, "127.0.0.1", line["client_addr"])
	require.NotContains(t, logs.String(), "ada-password-1")
	require.NotContains(t, logs.String(), tok)
}
