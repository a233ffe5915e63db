// Package tickets issues ticket codes that a door scanner can check offline.
//
// A code is unpadded base64url of a fixed 107-byte layout, 143 characters:
//
//	offset size field
//	0      1    version, 1
//	1      16   ticket ID
//	17     16   event ID
//	33     2    seats, uint16 big-endian, ≥ 1
//	35     8    issued at, Unix seconds, int64 big-endian
//	43     64   Ed25519 signature of bytes 0..42 with the event's key
//
// The server signs with a key derived per event from a master secret (see
// Keys); the scanner needs only that event's public key. A scanner should
// also keep the ticket IDs it has admitted, since a valid code can be copied.
package tickets

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
)

// Code layout; see the package comment.
const (
	codeVersion = 1
	payloadLen  = 1 + 16 + 16 + 2 + 8
	codeLen     = payloadLen + ed25519.SignatureSize
)

// CodeLen is the length in characters of every ticket code: codeLen bytes
// in unpadded base64 (6 bits a character, rounded up).
const CodeLen = (codeLen*8 + 5) / 6

// Errors from Sign, Verify and Parse.
var (
	ErrMalformed     = errors.New("tickets: code is not a Convene v1 ticket code; rescan it")
	ErrBadSignature  = errors.New("tickets: code signature does not match this event's key; the ticket is forged or for another event")
	ErrInvalidClaims = errors.New("tickets: claims cannot be signed; set both IDs, issued-at and 1..65535 seats")
)

// Claims are what a ticket code asserts.
type Claims struct {
	TicketID uuid.UUID
	EventID  uuid.UUID
	// Seats is how many people the code admits, 1..65535.
	Seats int32
	// IssuedAt is kept to the second; Verify and Parse return it in UTC.
	IssuedAt time.Time
}

// Sign returns the ticket code for c, signed with c.EventID's key. Ed25519
// is deterministic, so the same claims always give the same code.
func (k *Keys) Sign(c Claims) (string, error) {
	switch {
	case c.TicketID == uuid.Nil || c.EventID == uuid.Nil:
		return "", fmt.Errorf("nil ticket or event id: %w", ErrInvalidClaims)
	case c.Seats < 1 || c.Seats > math.MaxUint16:
		return "", fmt.Errorf("seats %d: %w", c.Seats, ErrInvalidClaims)
	case c.IssuedAt.IsZero():
		return "", fmt.Errorf("zero issued-at: %w", ErrInvalidClaims)
	}
	buf := make([]byte, payloadLen, codeLen)
	buf[0] = codeVersion
	copy(buf[1:17], c.TicketID[:])
	copy(buf[17:33], c.EventID[:])
	binary.BigEndian.PutUint16(buf[33:35], uint16(c.Seats))
	binary.BigEndian.PutUint64(buf[35:43], uint64(c.IssuedAt.Unix()))
	buf = append(buf, ed25519.Sign(k.privateKey(c.EventID), buf)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Verify parses code and checks its signature with pub, the event's public
// key; this is all an offline door scanner needs. It fails with ErrMalformed
// or ErrBadSignature. The caller should still check Claims.EventID is the
// event at this door (implied when pub is that event's key).
func Verify(pub ed25519.PublicKey, code string) (Claims, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Claims{}, ErrInvalidKey
	}
	raw, c, err := decode(code)
	if err != nil {
		return Claims{}, err
	}
	if !ed25519.Verify(pub, raw[:payloadLen], raw[payloadLen:]) {
		return Claims{}, ErrBadSignature
	}
	return c, nil
}

// Parse reads the claims of code without checking its signature, to find
// which event's key to verify with. Never act on its result alone.
func Parse(code string) (Claims, error) {
	_, c, err := decode(code)
	return c, err
}

// decode checks code's shape and returns its bytes and claims.
func decode(code string) ([]byte, Claims, error) {
	// Checking the length first also rejects the line breaks the base64
	// decoder would otherwise skip; Strict rejects non-zero padding bits, so
	// each code has exactly one spelling.
	if len(code) != CodeLen {
		return nil, Claims{}, ErrMalformed
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(code)
	if err != nil || len(raw) != codeLen || raw[0] != codeVersion {
		return nil, Claims{}, ErrMalformed
	}
	c := Claims{
		TicketID: uuid.UUID(raw[1:17]),
		EventID:  uuid.UUID(raw[17:33]),
		Seats:    int32(binary.BigEndian.Uint16(raw[33:35])),
		IssuedAt: time.Unix(int64(binary.BigEndian.Uint64(raw[35:43])), 0).UTC(),
	}
	if c.Seats == 0 {
		return nil, Claims{}, ErrMalformed
	}
	return raw, c, nil
}

// HashCode is the stored form of a ticket code: the database keeps only
// this, so a leaked table cannot be turned back into valid codes.
func HashCode(code string) []byte {
	sum := sha256.Sum256([]byte(code))
	return sum[:]
}
