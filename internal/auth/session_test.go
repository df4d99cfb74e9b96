package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSignOutWinsOverRequestsInFlight: a request that loaded the session before another
// request signed out must not write the session back when it finishes (scs re-commits every
// loaded session when an idle timeout is set). The dashboard hits exactly this when Sign out
// is clicked while the report's queries are still running.
func TestSignOutWinsOverRequestsInFlight(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		sc := apitest.CreateSchool(t, db.Client, "inflight", "")
		h, err := auth.HashPassword("pw-inflight-1")
		require.NoError(t, err)
		require.NoError(t, db.Client.User.Create().SetSchoolID(sc.ID).SetUsername("ada").SetEmail("ada@example.org").
			SetRole(user.RoleADMIN).SetPasswordHash(h).Exec(tenant.WithSchool(context.Background(), sc.ID)))

		sessions := auth.NewSessions(db.Client, auth.SessionOptions{})
		loaded, release := make(chan struct{}), make(chan struct{})
		mux := http.NewServeMux()
		mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
			if _, err := sessions.SignIn(r.Context(), "inflight", "ada", "pw-inflight-1", "127.0.0.1"); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
			}
		})
		mux.HandleFunc("POST /signout", func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, sessions.SignOut(r.Context()))
		})
		mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
			v, err := sessions.Viewer(r.Context())
			require.NoError(t, err)
			if v == nil {
				fmt.Fprint(w, "nobody")
				return
			}
			fmt.Fprint(w, v.UserID)
		})
		mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
			close(loaded)
			<-release
		})
		srv := httptest.NewServer(sessions.LoadAndSave(mux))
		t.Cleanup(srv.Close)
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		c := &http.Client{Jar: jar}
		do := func(method, path string) string {
			req, err := http.NewRequest(method, srv.URL+path, nil)
			require.NoError(t, err)
			res, err := c.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode, path)
			var b [64]byte
			n, _ := res.Body.Read(b[:])
			return string(b[:n])
		}

		require.Equal(t, "nobody", do("GET", "/me"))
		do("POST", "/signin")
		require.NotEqual(t, "nobody", do("GET", "/me"), "signed in")

		done := make(chan struct{})
		go func() {
			defer close(done)
			do("GET", "/slow")
		}()
		<-loaded
		do("POST", "/signout")
		close(release)
		<-done
		require.Equal(t, "nobody", do("GET", "/me"), "the slow request must not bring the session back")

		// Activity still keeps a live session alive: a second sign-in is served across requests.
		do("POST", "/signin")
		require.NotEqual(t, "nobody", do("GET", "/me"))
		require.NotEqual(t, "nobody", do("GET", "/me"))
	})
}
