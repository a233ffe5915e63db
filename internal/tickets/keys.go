package tickets

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// MinMasterLen is the shortest master secret NewKeys accepts, in bytes.
const MinMasterLen = 32

// keyInfoPrefix is the HKDF info label; the event ID is appended so each
// event gets an independent key. Changing it rotates every event's key.
const keyInfoPrefix = "convene-ticket-key/v1/"

// Errors from key handling.
var (
	ErrMasterTooShort = errors.New("tickets: master secret is shorter than 32 bytes; generate one with `openssl rand -base64 32`")
	ErrInvalidKey     = errors.New("tickets: public key is not a base64url Ed25519 key of 32 bytes; fetch it again with GetCheckinKey")
)

// Keys derives one Ed25519 key pair per event from a master secret, so no
// per-event private key is ever stored: the seed is
// HKDF-SHA256(master, info "convene-ticket-key/v1/" + event ID). A leaked
// event public key reveals nothing about other events; a door scanner given
// one event's public key can only check that event's tickets.
type Keys struct {
	master []byte
}

// NewKeys returns Keys for master, which must be at least MinMasterLen
// random bytes. master is copied.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) < MinMasterLen {
		return nil, fmt.Errorf("master of %d bytes: %w", len(master), ErrMasterTooShort)
	}
	return &Keys{master: append([]byte(nil), master...)}, nil
}

// PublicKey is the key that verifies eventID's ticket codes.
func (k *Keys) PublicKey(eventID uuid.UUID) ed25519.PublicKey {
	return k.privateKey(eventID).Public().(ed25519.PublicKey)
}

// privateKey derives eventID's signing key. It is recomputed on each use
// (microseconds) rather than cached, so Keys holds no mutable state.
func (k *Keys) privateKey(eventID uuid.UUID) ed25519.PrivateKey {
	seed, err := hkdf.Key(sha256.New, k.master, nil, keyInfoPrefix+eventID.String(), ed25519.SeedSize)
	if err != nil {
		// hkdf.Key fails only for a length above 255 hash sizes; 32 is fixed.
		panic(fmt.Sprintf("tickets: derive key: %v", err))
	}
	return ed25519.NewKeyFromSeed(seed)
}

// EncodePublicKey is pub as unpadded base64url, the form GetCheckinKey
// returns to door scanners.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.RawURLEncoding.EncodeToString(pub)
}

// DecodePublicKey reverses EncodePublicKey.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, ErrInvalidKey
	}
	return ed25519.PublicKey(b), nil
}
