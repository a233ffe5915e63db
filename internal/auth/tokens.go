// Package auth issues and checks Convene's credentials: short-lived JWT
// access tokens, opaque refresh tokens stored only as hashes, and salted
// one-time phone codes.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token lifetimes from the contract: access 15 minutes, refresh 30 days.
const (
	AccessTokenTTL  = 15 * time.Minute
	RefreshTokenTTL = 30 * 24 * time.Hour
)

const issuer = "convene"

// ErrInvalidToken means an access token is malformed, forged or expired.
var ErrInvalidToken = errors.New("access token is invalid or expired; refresh it or sign in again")

// Tokens signs and verifies access tokens with one HS256 secret.
type Tokens struct {
	secret []byte
	now    func() time.Time
}

// NewTokens returns a signer for secret; now is the clock (time.Now in production).
func NewTokens(secret string, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{secret: []byte(secret), now: now}
}

// AccessClaims is what a valid access token says.
type AccessClaims struct {
	// UserID is the user the token was issued to.
	UserID uuid.UUID
	// SessionID is the login (refresh-token family) the token belongs to,
	// so Logout can end it; uuid.Nil for tokens issued without one (before
	// sessions were named, or minted by tests and benchmarks).
	SessionID uuid.UUID
	// ExpiresAt is when the token stops being accepted.
	ExpiresAt time.Time
}

// accessClaims are the JWT claims of an access token: the registered ones
// plus the session ID.
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid,omitempty"`
}

// IssueAccess returns a signed access token for userID that belongs to no
// session, and its expiry.
func (t *Tokens) IssueAccess(userID uuid.UUID) (string, time.Time, error) {
	return t.IssueSessionAccess(userID, uuid.Nil)
}

// IssueSessionAccess returns a signed access token for userID in the login
// sessionID (its refresh-token family), and its expiry.
func (t *Tokens) IssueSessionAccess(userID, sessionID uuid.UUID) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(AccessTokenTTL)
	claims := accessClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   userID.String(),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        uuid.NewString(),
	}}
	if sessionID != uuid.Nil {
		claims.SessionID = sessionID.String()
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// ParseAccess verifies token and returns what it says.
func (t *Tokens) ParseAccess(token string) (AccessClaims, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return AccessClaims{}, ErrInvalidToken
	}
	out := AccessClaims{ExpiresAt: claims.ExpiresAt.UTC()}
	if out.UserID, err = uuid.Parse(claims.Subject); err != nil {
		return AccessClaims{}, ErrInvalidToken
	}
	if claims.SessionID != "" {
		if out.SessionID, err = uuid.Parse(claims.SessionID); err != nil {
			return AccessClaims{}, ErrInvalidToken
		}
	}
	return out, nil
}

// NewRefreshToken returns an opaque refresh token and the hash to store.
// The token carries 256 random bits, so an unsalted SHA-256 is enough.
func NewRefreshToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate refresh token: %w", err)
	}
	token = "cvr_" + base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken is the stored form of a refresh token.
func HashRefreshToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
