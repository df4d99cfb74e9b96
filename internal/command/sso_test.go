package command_test

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/testdb"
)

// TestSSOCommand adds, lists and removes a provider from the command line: without the
// secret key add refuses naming it, the secret comes from the named variable and is never
// printed, and rotate-key reseals it under a new key that alone opens it afterwards.
func TestSSOCommand(t *testing.T) {
	url := testdb.URL(t, "sqlite")
	code, _, stderr := run("", "school", "create", "--database-url", url, "--slug", "sso", "--name", "SSO School")
	require.Equal(t, 0, code, stderr)
	add := []string{"sso", "add", "--database-url", url, "--school", "sso", "--name", "Google", "--issuer", "https://accounts.google.com",
		"--client-id", "123.apps.googleusercontent.com", "--client-secret-env", "TEST_GOOGLE_SECRET", "--allowed-domains", "sso.test",
		"--default-role", "viewer"}

	t.Setenv("PROVREPORT_SECRET_KEY", "")
	t.Setenv("TEST_GOOGLE_SECRET", "very-secret-value")
	code, _, stderr = run("", add...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "PROVREPORT_SECRET_KEY is not set")

	key := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	oldKey := key()
	t.Setenv("PROVREPORT_SECRET_KEY", oldKey)
	code, _, stderr = run("", add...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "/auth/oidc/callback")

	code, stdout, stderr := run("", "sso", "list", "--database-url", url, "--school", "sso")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "Google")
	require.Contains(t, stdout, "stored")
	require.Contains(t, stdout, "VIEWER")
	require.NotContains(t, stdout+stderr, "very-secret-value")

	t.Setenv("PROVREPORT_SECRET_KEY", key())
	t.Setenv("PROVREPORT_SECRET_KEY_PREVIOUS", oldKey)
	code, _, stderr = run("", "sso", "rotate-key", "--database-url", url)
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stderr, "1 client secrets sealed again"), stderr)
	t.Setenv("PROVREPORT_SECRET_KEY_PREVIOUS", "")
	code, _, stderr = run("", "sso", "rotate-key", "--database-url", url)
	require.Equal(t, 0, code, "the new key alone opens every secret: %s", stderr)
	require.True(t, strings.HasPrefix(stderr, "0 client secrets"), stderr)

	code, _, stderr = run("", "sso", "remove", "--database-url", url, "--school", "sso", "--name", "Google")
	require.Equal(t, 0, code, stderr)
	code, stdout, _ = run("", "sso", "list", "--database-url", url, "--school", "sso")
	require.Equal(t, 0, code)
	require.NotContains(t, stdout, "Google")
}
