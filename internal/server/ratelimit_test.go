package server_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]server.RateLimit{"": {}, "0": {}, "600/m": {Requests: 600, Window: time.Minute},
		"10/s": {Requests: 10, Window: time.Second}, " 5000/h ": {Requests: 5000, Window: time.Hour}} {
		got, err := server.ParseRateLimit(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"600", "600/min", "-1/m", "x/m", "0/m", "/m"} {
		_, err := server.ParseRateLimit(bad)
		require.Error(t, err, bad)
	}
}

// TestRateLimitPerCaller: each token and each signed-in user has its own budget; past
// it the API answers 429 with Retry-After, the IETF RateLimit headers and
// TOO_MANY_REQUESTS, while other callers go on.
func TestRateLimitPerCaller(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{RateLimit: server.RateLimit{Requests: 3, Window: time.Hour}})
	sc := srv.CreateSchool(t, "busy", "UTC")
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
	a, b := newClient(t, srv.URL), newClient(t, srv.URL)
	a.header.Set("Authorization", "Bearer "+srv.Token(t, sc.ID, auth.ScopeReportsRead))
	b.header.Set("Authorization", "Bearer "+srv.Token(t, sc.ID, auth.ScopeReportsRead))

	for i := range 3 {
		r := a.gql(`{ __typename }`, nil)
		require.Empty(t, r.Errors, i)
		require.Equal(t, `"default";q=3;w=3600`, r.Header.Get("RateLimit-Policy"))
		require.Regexp(t, `^"default";r=`+strconv.Itoa(2-i)+`;t=\d+$`, r.Header.Get("RateLimit"))
	}
	r := a.gql(`{ __typename }`, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, "TOO_MANY_REQUESTS", r.code())
	wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, wait, 1000, "a request per 20 minutes comes back after about 20 minutes")
	require.LessOrEqual(t, wait, 1200)
	require.Regexp(t, `^"default";r=0;t=\d+$`, r.Header.Get("RateLimit"))

	require.Empty(t, b.gql(`{ __typename }`, nil).Errors, "another token has its own budget")
	ada := newClient(t, srv.URL)
	require.Empty(t, ada.signIn("busy", "ada", "ada-password-1").Errors)
	require.Empty(t, ada.gql(`{ me { id } }`, nil).Errors, "a signed-in user has their own budget")
	require.Equal(t, http.StatusOK, func() int { c, _ := get(t, srv.URL+"/healthz"); return c }(), "only the API is limited")
}
