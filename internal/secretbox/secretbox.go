// Package secretbox encrypts small secrets kept in the database (social
// platforms' OAuth tokens) with AES-256-GCM under a named key.
//
// Each ciphertext is stored with the ID of the key that sealed it, so keys
// can rotate: put the new key first in CONVENE_SOCIAL_TOKEN_KEY and keep
// the old ones after it; new seals use the first, old rows still open, and
// a row whose key ID is not the current one can be re-sealed at leisure.
// The additional data (aad) binds a ciphertext to its row, e.g. the
// social account's ID, so a ciphertext copied to another row does not open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// Errors a caller branches on.
var (
	// ErrUnknownKey: the ciphertext's key ID is not configured.
	ErrUnknownKey = errors.New("unknown secretbox key ID: keep every key still in use in CONVENE_SOCIAL_TOKEN_KEY")
	// ErrDecrypt: the ciphertext was altered, or belongs to another row (aad).
	ErrDecrypt = errors.New("secret does not decrypt: altered, or sealed for another record")
)

// validKeyID is what a key ID may look like (it is stored in a column).
var validKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Box seals and opens secrets. Safe for concurrent use.
type Box struct {
	aeads   map[string]cipher.AEAD
	current string
}

// New returns a Box holding keys by ID, sealing with current.
func New(keys map[string][]byte, current string) (*Box, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("secretbox: current key %q is not among the keys", current)
	}
	b := &Box{aeads: make(map[string]cipher.AEAD, len(keys)), current: current}
	for id, key := range keys {
		if !validKeyID.MatchString(id) {
			return nil, fmt.Errorf("secretbox: key ID %q must be 1 to 32 letters, digits, '_' or '-'", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("secretbox: key %q has %d bytes, want %d", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %q: %w", id, err)
		}
		b.aeads[id] = aead
	}
	return b, nil
}

// CurrentKeyID is the ID of the key Seal uses.
func (b *Box) CurrentKeyID() string { return b.current }

// Seal encrypts plaintext bound to aad under the current key; store the
// ciphertext with keyID. Each call uses a fresh random nonce.
func (b *Box) Seal(plaintext, aad []byte) (ciphertext []byte, keyID string) {
	return b.aeads[b.current].Seal(nil, nil, plaintext, aad), b.current
}

// Open decrypts a ciphertext sealed under keyID with the same aad.
func (b *Box) Open(ciphertext []byte, keyID string, aad []byte) ([]byte, error) {
	aead, ok := b.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, keyID)
	}
	plaintext, err := aead.Open(nil, nil, ciphertext, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// ParseKeys reads "id:base64key[,id:base64key…]" (the format of
// CONVENE_SOCIAL_TOKEN_KEY): each key 32 bytes in standard base64; the
// first is the current one.
func ParseKeys(env string) (keys map[string][]byte, current string, err error) {
	keys = map[string][]byte{}
	for i, pair := range strings.Split(env, ",") {
		id, encoded, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || id == "" {
			return nil, "", fmt.Errorf("key %d: want id:base64key", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return nil, "", fmt.Errorf("key %q: not standard base64: %w", id, err)
		}
		if len(key) != KeySize {
			return nil, "", fmt.Errorf("key %q: %d bytes, want %d (e.g. `openssl rand -base64 32`)", id, len(key), KeySize)
		}
		if _, dup := keys[id]; dup {
			return nil, "", fmt.Errorf("key ID %q appears twice", id)
		}
		if !validKeyID.MatchString(id) {
			return nil, "", fmt.Errorf("key ID %q must be 1 to 32 letters, digits, '_' or '-'", id)
		}
		keys[id] = key
		if i == 0 {
			current = id
		}
	}
	return keys, current, nil
}

// FromEnv builds a Box from a CONVENE_SOCIAL_TOKEN_KEY value.
func FromEnv(env string) (*Box, error) {
	keys, current, err := ParseKeys(env)
	if err != nil {
		return nil, fmt.Errorf("CONVENE_SOCIAL_TOKEN_KEY: %w", err)
	}
	return New(keys, current)
}
