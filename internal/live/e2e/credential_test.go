package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/provreport/provreport/internal/testbin"
)

// TestRevokedTokenClosesOnEveryReplica subscribes with the graphql-ws client on one
// replica and revokes the token through the other: the first replica, which never saw
// the revocation, closes the websocket with 4403 within seconds, and the client reports
// it once without reconnecting.
func TestRevokedTokenClosesOnEveryReplica(t *testing.T) {
	t.Parallel()
	c := start(t, "west")
	testbin.Run(t, append(c.env(), "PROVREPORT_PASSWORD=ada-password-1"),
		"user", "create", "--school", "west", "--username", "ada", "--email", "ada@west.test", "--role", "ADMIN")
	cl := subscribe(t, c.first, c.read["west"], eventQuery, nil, 1, 1)
	settle(t, c, cl, "west", 1)

	jar, _ := cookiejar.New(nil)
	admin := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	gql := func(query string, vars map[string]any) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		resp, err := admin.Post(c.second.URL+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Data   map[string]any
			Errors []json.RawMessage
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("%s: %v %s", query, err, out.Errors)
		}
		return out.Data
	}
	gql(`mutation { signIn(school: "west", username: "ada", password: "ada-password-1") { id } }`, nil)
	var id string
	for _, tok := range gql(`{ apiTokens { id name } }`, nil)["apiTokens"].([]any) {
		if tok := tok.(map[string]any); tok["name"] == "dashboard" {
			id = tok["id"].(string)
		}
	}
	if id == "" {
		t.Fatal("no token named dashboard")
	}
	gql(`mutation($id: ID!) { revokeAPIToken(id: $id) { revokedAt } }`, map[string]any{"id": id})
	revoked := time.Now()

	errors, closed := 0, 0
	for closed == 0 {
		l := cl.next(t)
		switch l.Kind {
		case "next": // a probe still on its way
		case "error":
			errors++
		case "closed":
			closed++
			if l.Code != 4403 {
				t.Fatalf("closed with %d %q, want 4403", l.Code, l.Reason)
			}
		default:
			t.Fatalf("unexpected %+v", l)
		}
	}
	if d := time.Since(revoked); d > 10*time.Second {
		t.Fatalf("closed %s after the revocation; the replicas check every 2 s", d)
	}
	// The client reports the close to the subscription once, and does not reconnect
	// (retryAttempts: 0, and 4403 is not a close it retries at once).
	drain := time.After(1500 * time.Millisecond)
	for done := false; !done; {
		select {
		case l := <-cl.lines:
			switch l.Kind {
			case "error":
				errors++
			case "next":
			default:
				t.Fatalf("after the close: %+v", l)
			}
		case <-drain:
			done = true
		}
	}
	if errors != 1 {
		t.Fatalf("%d error callbacks, want 1", errors)
	}
}
