// Package secretkey seals secrets kept in the database (the client secrets of sign-in
// providers) with AES-256-GCM under a key from the environment, so that a copy of the
// database alone does not hold them.
//
// Rotation: set the new key in PROVREPORT_SECRET_KEY and the old one in
// PROVREPORT_SECRET_KEY_PREVIOUS; secrets sealed under either key open, and
// `provreport sso rotate-key` seals every stored secret again under the new key, after
// which the previous key can be dropped.
package secretkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// The environment variables the keys are read from.
const (
	EnvKey         = "PROVREPORT_SECRET_KEY"
	EnvPreviousKey = "PROVREPORT_SECRET_KEY_PREVIOUS"
)

// prefix marks a sealed value's format, so that a later format can be told apart.
const prefix = "v1:"

// ErrNoKey is returned when a secret must be sealed or opened but no key is set.
var ErrNoKey = fmt.Errorf("%s is not set: generate one with `openssl rand -base64 32` and set it in the server's and the command line's environment", EnvKey)

// ErrUnknownKey is returned when a sealed value opens under none of the keys.
var ErrUnknownKey = fmt.Errorf("the secret was sealed under a key that is neither %s nor %s", EnvKey, EnvPreviousKey)

// Keys are the current key, which seals, and an optional previous one, which only opens.
type Keys struct {
	current, previous cipher.AEAD
}

// Load reads the keys from the environment through getenv (os.Getenv). Both unset gives
// empty Keys, which refuse to seal or open; a malformed key is an error naming its
// variable.
func Load(getenv func(string) string) (*Keys, error) {
	cur, err := parse(EnvKey, getenv(EnvKey))
	if err != nil {
		return nil, err
	}
	prev, err := parse(EnvPreviousKey, getenv(EnvPreviousKey))
	if err != nil {
		return nil, err
	}
	if cur == nil && prev != nil {
		return nil, fmt.Errorf("%s is set without %s", EnvPreviousKey, EnvKey)
	}
	return &Keys{current: cur, previous: prev}, nil
}

// New returns Keys from raw 32-byte keys; previous may be nil.
func New(current, previous []byte) (*Keys, error) {
	cur, err := aead(current)
	if err != nil {
		return nil, err
	}
	k := &Keys{current: cur}
	if previous != nil {
		if k.previous, err = aead(previous); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func parse(name, v string) (cipher.AEAD, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "=")); err != nil {
			return nil, fmt.Errorf("%s is not base64: %w", name, err)
		}
	}
	if len(raw) != 32 {
		return nil, fmt.Errorf("%s must be 32 random bytes in base64 (`openssl rand -base64 32`), not %d bytes", name, len(raw))
	}
	return aead(raw)
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("secret key: need 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return cipher.NewGCM(block)
}

// Configured reports whether a key is set to seal with.
func (k *Keys) Configured() bool { return k != nil && k.current != nil }

// Seal encrypts plaintext under the current key. purpose is bound to the result as
// additional data, so that a value sealed for one use does not open for another.
func (k *Keys) Seal(purpose, plaintext string) (string, error) {
	if !k.Configured() {
		return "", ErrNoKey
	}
	nonce := make([]byte, k.current.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out := k.current.Seal(nonce, nonce, []byte(plaintext), []byte(purpose))
	return prefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal returned, under the current key or else the previous one.
// current reports whether the current key opened it.
func (k *Keys) Open(purpose, sealed string) (plaintext string, current bool, err error) {
	if !k.Configured() {
		return "", false, ErrNoKey
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || !strings.HasPrefix(sealed, prefix) {
		return "", false, errors.New("open: not a sealed value")
	}
	for i, a := range []cipher.AEAD{k.current, k.previous} {
		if a == nil || len(raw) < a.NonceSize() {
			continue
		}
		p, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(purpose))
		if err == nil {
			return string(p), i == 0, nil
		}
	}
	return "", false, ErrUnknownKey
}
