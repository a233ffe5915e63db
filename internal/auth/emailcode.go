package auth

import "time"

// Email verification codes reuse OTPHasher (six digits, salted, peppered)
// with rules of their own: an email can take longer to arrive than an SMS,
// and the caller is already signed in, so limits are per user.
const (
	// EmailCodeTTL is how long a code sent to an email address is accepted.
	EmailCodeTTL = 15 * time.Minute
	// EmailCodeMaxAttempts is how many wrong codes lock a code.
	EmailCodeMaxAttempts = 5
	// EmailCodeCooldown is the least time between two codes for one user.
	EmailCodeCooldown = 30 * time.Second
	// EmailCodesPerHour caps the codes one user can request in an hour.
	EmailCodesPerHour = 5
)
