package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"time"
)

// OTP rules from the contract.
const (
	OTPLength      = 6
	OTPTTL         = 5 * time.Minute
	OTPMaxAttempts = 5
)

// OTPLimits bounds code requests and wrong codes. Counting happens in
// Postgres, so the limits hold across every API process and restart.
// CONVENE_AUTH_LIMITS sets them (see ParseOTPLimits).
type OTPLimits struct {
	// PhoneCooldown is the least time between two codes to one phone.
	PhoneCooldown time.Duration
	// PerPhonePerHour caps codes sent to one phone in an hour.
	PerPhonePerHour int64
	// PerIPPerHour caps codes requested from one client IP in an hour.
	PerIPPerHour int64
	// WrongCodes wrong codes for one phone within WrongCodeWindow, across
	// every code sent to it, lock that phone for LockFor: the per-code
	// attempt cap alone lets an attacker try 5 guesses per fresh code.
	// WrongCodes ≤ 0 disables the lock.
	WrongCodes      int64
	WrongCodeWindow time.Duration
	LockFor         time.Duration
}

// DefaultOTPLimits: one code every 30 s and 5 an hour per phone, 30 an hour
// per IP; 10 wrong codes in 24 h lock the phone for an hour.
func DefaultOTPLimits() OTPLimits {
	return OTPLimits{PhoneCooldown: 30 * time.Second, PerPhonePerHour: 5, PerIPPerHour: 30,
		WrongCodes: 10, WrongCodeWindow: 24 * time.Hour, LockFor: time.Hour}
}

// OTPHasher hashes one-time codes with a per-code salt and a server-side
// pepper: a six-digit code alone is trivially brute-forced from a leaked
// hash, the pepper (never in the database) prevents that.
type OTPHasher struct {
	pepper []byte
}

// NewOTPHasher derives the pepper from the server secret.
func NewOTPHasher(secret string) *OTPHasher {
	sum := sha256.Sum256([]byte("convene-otp-pepper:" + secret))
	return &OTPHasher{pepper: sum[:]}
}

// NewCode returns a uniformly random six-digit code and a fresh salt.
func (h *OTPHasher) NewCode() (code string, salt []byte, err error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", nil, fmt.Errorf("generate otp: %w", err)
	}
	salt = make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", nil, fmt.Errorf("generate otp salt: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), salt, nil
}

// Hash is the stored form of code under salt.
func (h *OTPHasher) Hash(code string, salt []byte) []byte {
	mac := hmac.New(sha256.New, h.pepper)
	mac.Write(salt)
	mac.Write([]byte(code))
	return mac.Sum(nil)
}

// Matches compares in constant time.
func (h *OTPHasher) Matches(code string, salt, hash []byte) bool {
	return hmac.Equal(h.Hash(code, salt), hash)
}
