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

// IssueAccess returns a signed access token for userID and its expiry.
func (t *Tokens) IssueAccess(userID uuid.UUID) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(AccessTokenTTL)
	claims := jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   userID.String(),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        uuid.NewString(),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// ParseAccess verifies token and returns the user it was issued to.
func (t *Tokens) ParseAccess(token string) (uuid.UUID, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return uuid.Nil, ErrInvalidToken
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil {
		return uuid.Nil, ErrInvalidToken
	}
	return id, nil
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
