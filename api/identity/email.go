package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/providers/notify"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// RequestEmailVerification sends a code to an address the caller wants as
// their email. It answers the same whether or not another account has
// verified the address, so it reveals nothing about who is registered.
func (s *userServer) RequestEmailVerification(ctx context.Context, req *connect.Request[identityv1.RequestEmailVerificationRequest]) (*connect.Response[identityv1.RequestEmailVerificationResponse], error) {
	if s.Email == nil {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("this server cannot send email (no email provider is configured)"))
	}
	userID, email := rpc.CallerID(ctx), strings.ToLower(req.Msg.GetEmail())
	code, salt, err := s.OTP.NewCode()
	if err != nil {
		return nil, err
	}
	now := s.Now()
	ev := &db.EmailVerification{ID: db.NewID(), UserID: userID, Email: email, CodeSalt: salt, CodeHash: s.OTP.Hash(code, salt),
		ExpiresAt: now.Add(auth.EmailCodeTTL), Timestamps: db.Timestamps{CreatedAt: now, UpdatedAt: now}}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		if err := checkEmailCodeLimits(ctx, tx, userID, now); err != nil {
			return err
		}
		if err := db.InsertEmailVerification(ctx, tx, ev); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "email_verification", ev.ID.String(), "request", nil)
	})
	if err != nil {
		return nil, err
	}
	// Sent after commit, like the login OTP: a failed send leaves a code
	// nobody received, which the user simply requests again.
	_, err = s.Email.Send(ctx, notify.Message{IdempotencyKey: ev.ID.String(), To: email, Title: "Your Convene code",
		Body: fmt.Sprintf("Your Convene code is %s. It expires in %d minutes. If you did not ask for it, ignore this email.",
			code, int(auth.EmailCodeTTL/time.Minute))})
	if err != nil {
		return nil, connect.NewError(connect.CodeUnavailable, fmt.Errorf("could not send the code by email, try again: %w", err))
	}
	return connect.NewResponse(&identityv1.RequestEmailVerificationResponse{ExpiresAt: timestamppb.New(ev.ExpiresAt)}), nil
}

// checkEmailCodeLimits refuses a request within the cooldown or over the
// hourly cap, so nobody can mail-bomb an address through Convene.
func checkEmailCodeLimits(ctx context.Context, tx bun.Tx, userID uuid.UUID, now time.Time) error {
	if n, err := db.CountEmailVerificationsSince(ctx, tx, userID, now.Add(-auth.EmailCodeCooldown)); err != nil {
		return err
	} else if n > 0 {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("a code was sent less than %s ago; wait before asking again", auth.EmailCodeCooldown))
	}
	if n, err := db.CountEmailVerificationsSince(ctx, tx, userID, now.Add(-time.Hour)); err != nil {
		return err
	} else if n >= auth.EmailCodesPerHour {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("too many codes (%d in the last hour); try again later", n))
	}
	return nil
}

// VerifyEmail makes the pending address the caller's verified email when
// the code matches. Wrong attempts are counted even though the call fails,
// so the count is committed before the error is returned.
func (s *userServer) VerifyEmail(ctx context.Context, req *connect.Request[identityv1.VerifyEmailRequest]) (*connect.Response[identityv1.VerifyEmailResponse], error) {
	userID := rpc.CallerID(ctx)
	var refused error
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := s.checkEmailCode(ctx, tx, req.Msg.GetCode())
		if err != nil {
			var cerr *connect.Error
			if errors.As(err, &cerr) {
				refused = err
				return nil // commit the attempt count
			}
			return err
		}
		if refused, err = s.setVerifiedEmail(ctx, tx, ev); err != nil || refused != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "user", userID.String(), "verify_email", map[string]any{"email_verification_id": ev.ID.String()})
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	me, err := loadUser(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.VerifyEmailResponse{User: me}), nil
}

// checkEmailCode verifies code against the caller's newest email code,
// recording the attempt. Business refusals are Connect errors.
func (s *userServer) checkEmailCode(ctx context.Context, tx bun.Tx, code string) (*db.EmailVerification, error) {
	ev, err := db.LatestEmailVerification(ctx, tx, rpc.CallerID(ctx))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("no email is waiting for verification; call RequestEmailVerification first"))
	}
	if err != nil {
		return nil, err
	}
	switch {
	case ev.VerifiedAt != nil:
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("this code was already used; request a new one"))
	case ev.Attempts >= auth.EmailCodeMaxAttempts:
		return nil, errEmailCodeLocked()
	case !s.Now().Before(ev.ExpiresAt):
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("code expired; request a new one"))
	}
	if s.OTP.Matches(code, ev.CodeSalt, ev.CodeHash) {
		now := s.Now()
		ev.VerifiedAt = &now
		return ev, db.RecordEmailAttempt(ctx, tx, ev)
	}
	ev.Attempts++
	if err := db.RecordEmailAttempt(ctx, tx, ev); err != nil {
		return nil, err
	}
	if left := auth.EmailCodeMaxAttempts - ev.Attempts; left > 0 {
		return nil, rpc.InvalidField("code", fmt.Sprintf("wrong code; %d attempts left", left))
	}
	return nil, errEmailCodeLocked()
}

func errEmailCodeLocked() error {
	return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("code locked after %d wrong attempts; request a new one", auth.EmailCodeMaxAttempts))
}

// setVerifiedEmail stores the proven address. Another account that verified
// it first keeps it: the refusal is returned, and nothing is written.
func (s *userServer) setVerifiedEmail(ctx context.Context, tx bun.Tx, ev *db.EmailVerification) (refused error, err error) {
	// A savepoint keeps the transaction usable if the unique index refuses.
	sp, err := tx.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if err := db.SetVerifiedEmail(ctx, sp, ev.UserID, ev.Email, *ev.VerifiedAt); err != nil {
		_ = sp.Rollback()
		if db.IsUniqueViolation(err, "users_verified_email_key") {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("email: another account has verified this address")), nil
		}
		return nil, err
	}
	return nil, sp.Commit()
}
