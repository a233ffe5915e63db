package identity

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
)

// checkOTPLimits refuses a code request for a locked phone, one inside the
// phone's cooldown, or one over the hourly caps per phone or client IP.
// The caller holds the phone's lock (db.LockPhone).
func (s *authServer) checkOTPLimits(ctx context.Context, tx bun.Tx, phone string, now time.Time) error {
	if err := s.refuseLockedPhone(ctx, tx, phone); err != nil {
		return err
	}
	if recent, err := db.CountOTPsSince(ctx, tx, phone, now.Add(-s.OTPLimits.PhoneCooldown)); err != nil {
		return err
	} else if recent > 0 && s.OTPLimits.PhoneCooldown > 0 {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("a code was sent to this phone less than %s ago; wait before asking again", s.OTPLimits.PhoneCooldown))
	}
	if n, err := db.CountOTPsSince(ctx, tx, phone, now.Add(-time.Hour)); err != nil {
		return err
	} else if n >= s.OTPLimits.PerPhonePerHour {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("too many codes for this phone (%d in the last hour); try again later", n))
	}
	if n, err := db.CountOTPsFromIPSince(ctx, tx, rpc.RequestInfoOf(ctx).IP, now.Add(-time.Hour)); err != nil {
		return err
	} else if n >= s.OTPLimits.PerIPPerHour {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("too many codes requested from your network (%d in the last hour); try again later", n))
	}
	return nil
}

// refuseLockedPhone returns a resource_exhausted error saying when to retry
// if phone is locked after too many wrong codes.
func (s *authServer) refuseLockedPhone(ctx context.Context, tx bun.Tx, phone string) error {
	until, err := db.PhoneLockedUntil(ctx, tx, phone, s.Now())
	if err != nil || until.IsZero() {
		return err
	}
	return phoneLockedError(until)
}

// countWrongCode records a wrong code of otp's phone and locks the phone
// when it has had OTPLimits.WrongCodes of them within the window, across
// every code sent to it. The caller holds the phone's lock.
func (s *authServer) countWrongCode(ctx context.Context, tx bun.Tx, otp *db.PhoneOTP) error {
	limits := s.OTPLimits
	if limits.WrongCodes <= 0 {
		return nil
	}
	now := s.Now()
	n, err := db.RecordWrongCode(ctx, tx, otp.PhoneNumber, otp.ID, now, now.Add(-limits.WrongCodeWindow))
	if err != nil || n < limits.WrongCodes {
		return err
	}
	until := now.Add(limits.LockFor)
	if err := db.LockPhoneUntil(ctx, tx, otp.PhoneNumber, until); err != nil {
		return err
	}
	if err := rpc.Audit(ctx, tx, nil, nil, "phone_otp", otp.ID.String(), "phone_locked",
		map[string]any{"phone": maskPhone(otp.PhoneNumber), "wrong_codes": n, "locked_until": until}); err != nil {
		return err
	}
	return phoneLockedError(until)
}

// phoneLockedError tells the user the phone is locked and when to retry.
func phoneLockedError(until time.Time) error {
	return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf(
		"too many wrong codes for this phone: sign-in is locked until %s; try again after that",
		until.UTC().Format(time.RFC3339)))
}
