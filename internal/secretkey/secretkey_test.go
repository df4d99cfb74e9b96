package secretkey_test

import (
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/secretkey"
)

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestSealOpenAndRotate seals under one key, opens after rotation through the previous
// key, and refuses a value sealed for another purpose or under a forgotten key.
func TestSealOpenAndRotate(t *testing.T) {
	t.Parallel()
	oldKey, newKey := randomKey(t), randomKey(t)
	k1, err := secretkey.Load(env(map[string]string{secretkey.EnvKey: oldKey}))
	require.NoError(t, err)
	sealed, err := k1.Seal("sso", "hunter2")
	require.NoError(t, err)
	require.NotContains(t, sealed, "hunter2")

	_, _, err = k1.Open("other", sealed)
	require.ErrorIs(t, err, secretkey.ErrUnknownKey)

	k2, err := secretkey.Load(env(map[string]string{secretkey.EnvKey: newKey, secretkey.EnvPreviousKey: oldKey}))
	require.NoError(t, err)
	p, current, err := k2.Open("sso", sealed)
	require.NoError(t, err)
	require.Equal(t, "hunter2", p)
	require.False(t, current)
	resealed, err := k2.Seal("sso", p)
	require.NoError(t, err)
	_, current, err = k2.Open("sso", resealed)
	require.NoError(t, err)
	require.True(t, current)

	k3, err := secretkey.Load(env(map[string]string{secretkey.EnvKey: newKey}))
	require.NoError(t, err)
	_, _, err = k3.Open("sso", sealed)
	require.ErrorIs(t, err, secretkey.ErrUnknownKey)
}

// TestMissingAndMalformedKeys names the variable in every refusal.
func TestMissingAndMalformedKeys(t *testing.T) {
	t.Parallel()
	k, err := secretkey.Load(env(nil))
	require.NoError(t, err)
	_, err = k.Seal("sso", "x")
	require.ErrorIs(t, err, secretkey.ErrNoKey)
	require.ErrorContains(t, err, "PROVREPORT_SECRET_KEY")

	_, err = secretkey.Load(env(map[string]string{secretkey.EnvKey: base64.StdEncoding.EncodeToString([]byte("short"))}))
	require.ErrorContains(t, err, "PROVREPORT_SECRET_KEY must be 32 random bytes")
	_, err = secretkey.Load(env(map[string]string{secretkey.EnvPreviousKey: randomKey(t)}))
	require.ErrorContains(t, err, "PROVREPORT_SECRET_KEY_PREVIOUS is set without PROVREPORT_SECRET_KEY")
}
