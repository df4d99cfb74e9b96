package server_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSignInLockoutUnderParallelGuesses sends 64 sign-in guesses at once from one
// address through the real GraphQL handler: at most the pair's limit (8) of them may be
// checked, the rest are refused unchecked, and once the limit is reached even the right
// password, sent among another 64 parallel guesses, does not sign in.
func TestSignInLockoutUnderParallelGuesses(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		srv := apitest.NewWithConfig(t, db, server.Config{
			Session:        auth.SessionOptions{LockFor: time.Hour, MaxDelay: 10 * time.Millisecond},
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		})
		sc := srv.CreateSchool(t, "rush", "UTC")
		addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")

		burst := func(passwords []string) (codes map[string]int, in []*client) {
			codes = map[string]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, pw := range passwords {
				c := newClient(t, srv.URL)
				c.header.Set("X-Forwarded-For", "203.0.113.9")
				wg.Go(func() {
					<-start
					r := c.signIn("rush", "ada", pw)
					mu.Lock()
					defer mu.Unlock()
					codes[r.code()]++
					if len(r.Errors) == 0 {
						in = append(in, c)
					}
				})
			}
			close(start)
			wg.Wait()
			return codes, in
		}

		guesses := make([]string, 64)
		for i := range guesses {
			guesses[i] = fmt.Sprintf("guess-%02d", i)
		}
		codes, _ := burst(guesses)
		require.Equal(t, map[string]int{"UNAUTHENTICATED": 8, "TOO_MANY_REQUESTS": 56}, codes,
			"of 64 parallel guesses exactly the limit of 8 are checked, the rest refused unchecked")

		guesses[40] = "ada-password-1"
		codes, in := burst(guesses)
		require.Equal(t, map[string]int{"TOO_MANY_REQUESTS": 64}, codes, "after the limit nothing is checked")
		require.Empty(t, in, "the right password among the guesses did not sign in")

		// The real admin, from their own address, still signs in.
		admin := newClient(t, srv.URL)
		admin.header.Set("X-Forwarded-For", "198.51.100.30")
		require.Empty(t, admin.signIn("rush", "ada", "ada-password-1").Errors)
	})
}
