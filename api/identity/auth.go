package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// authServer implements convene.identity.v1.AuthService: phone-OTP login and
// rotating refresh tokens.
type authServer struct{ Deps }

// RequestOtp sends a six-digit code to a phone, within the rate limits.
func (s *authServer) RequestOtp(ctx context.Context, req *connect.Request[identityv1.RequestOtpRequest]) (*connect.Response[identityv1.RequestOtpResponse], error) {
	phone, err := rpc.NormalizePhone("phone", req.Msg.GetPhone())
	if err != nil {
		return nil, err
	}
	code, salt, err := s.OTP.NewCode()
	if err != nil {
		return nil, err
	}
	now := s.Now()
	otp := &db.PhoneOTP{ID: db.NewID(), PhoneNumber: phone, OTPSalt: salt, OTPHash: s.OTP.Hash(code, salt),
		RequestedIP: rpc.RequestInfoOf(ctx).IP, ExpiresAt: now.Add(auth.OTPTTL), Timestamps: db.Timestamps{CreatedAt: now, UpdatedAt: now}}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockPhone(ctx, tx, phone); err != nil {
			return err
		}
		if err := s.checkOTPLimits(ctx, tx, phone, now); err != nil {
			return err
		}
		if err := db.InsertOTP(ctx, tx, otp); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, nil, nil, "phone_otp", otp.ID.String(), "request", map[string]any{"phone": maskPhone(phone)})
	})
	if err != nil {
		return nil, err
	}
	// Sent after commit: a failed send leaves a code nobody received, which
	// the user simply requests again; a sent code never lacks its row.
	if _, err := s.SMS.Send(ctx, phone, fmt.Sprintf("Your Convene code is %s. It expires in 5 minutes.", code)); err != nil {
		return nil, connect.NewError(connect.CodeUnavailable, fmt.Errorf("could not send the code by SMS, try again: %w", err))
	}
	resp := &identityv1.RequestOtpResponse{ExpiresAt: timestamppb.New(otp.ExpiresAt)}
	if s.DevMode {
		resp.DevCode = code
	}
	return connect.NewResponse(resp), nil
}

// VerifyOtp exchanges a correct code for tokens, creating the user and
// profile on first login. Wrong attempts are counted even though the call
// fails, so the count is committed before the error is returned.
func (s *authServer) VerifyOtp(ctx context.Context, req *connect.Request[identityv1.VerifyOtpRequest]) (*connect.Response[identityv1.VerifyOtpResponse], error) {
	phone, err := rpc.NormalizePhone("phone", req.Msg.GetPhone())
	if err != nil {
		return nil, err
	}
	var (
		user       *db.User
		created    bool
		session    issuedRefresh
		verifyFail error
	)
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockPhone(ctx, tx, phone); err != nil {
			return err
		}
		if err := s.refuseLockedPhone(ctx, tx, phone); err != nil {
			return err
		}
		otp, err := s.checkCode(ctx, tx, phone, req.Msg.GetCode())
		if err != nil {
			var cerr *connect.Error
			if errors.As(err, &cerr) {
				verifyFail = err
				return nil // commit the attempt count
			}
			return err
		}
		if user, created, err = db.CreateUserWithPhone(ctx, tx, phone); err != nil {
			return err
		}
		if !user.IsActive {
			verifyFail = connect.NewError(connect.CodePermissionDenied, errors.New("this account is disabled"))
			return nil
		}
		if err := db.TouchLastLogin(ctx, tx, user.ID); err != nil {
			return err
		}
		if session, err = s.issueRefresh(ctx, tx, user.ID, db.NewID()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &user.ID, nil, "user", user.ID.String(), "login", map[string]any{"otp_id": otp.ID.String(), "new_user": created})
	})
	if err != nil {
		return nil, err
	}
	if verifyFail != nil {
		return nil, verifyFail
	}
	in, err := s.finishSignIn(ctx, user.ID, session, created)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.VerifyOtpResponse{
		AccessToken: in.access, AccessTokenExpiresAt: timestamppb.New(in.accessExp),
		RefreshToken: in.session.token, RefreshTokenExpiresAt: timestamppb.New(in.session.expiresAt),
		User: in.user, NewUser: in.created,
	}), nil
}

// signedIn is what every sign-in (VerifyOtp, LoginWithTelegram) answers:
// the new login's tokens and the signed-in user.
type signedIn struct {
	access    string
	accessExp time.Time
	session   issuedRefresh
	user      *identityv1.User
	created   bool
}

// finishSignIn issues the access token of a login whose refresh token is
// committed and loads the user, after the sign-in's transaction.
func (s *authServer) finishSignIn(ctx context.Context, userID uuid.UUID, session issuedRefresh, created bool) (*signedIn, error) {
	access, accessExp, err := s.Tokens.IssueSessionAccess(userID, session.familyID)
	if err != nil {
		return nil, err
	}
	me, err := loadUser(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	return &signedIn{access: access, accessExp: accessExp, session: session, user: me, created: created}, nil
}

// checkCode verifies code against the newest OTP of phone, recording the
// attempt. Business failures are Connect errors; anything else is I/O.
func (s *authServer) checkCode(ctx context.Context, tx bun.Tx, phone, code string) (*db.PhoneOTP, error) {
	otp, err := db.LatestOTP(ctx, tx, phone)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("no code was requested for this phone; call RequestOtp first"))
	}
	if err != nil {
		return nil, err
	}
	switch {
	case otp.IsVerified:
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("this code was already used; request a new one"))
	case otp.Attempts >= auth.OTPMaxAttempts:
		return nil, connect.NewError(connect.CodePermissionDenied, fmt.Errorf("code locked after %d wrong attempts; request a new one", auth.OTPMaxAttempts))
	case !s.Now().Before(otp.ExpiresAt):
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("code expired; request a new one"))
	}
	if s.OTP.Matches(code, otp.OTPSalt, otp.OTPHash) {
		otp.IsVerified = true
		return otp, db.RecordOTPAttempt(ctx, tx, otp)
	}
	otp.Attempts++
	if err := db.RecordOTPAttempt(ctx, tx, otp); err != nil {
		return nil, err
	}
	if err := rpc.Audit(ctx, tx, nil, nil, "phone_otp", otp.ID.String(), "wrong_code", map[string]any{"attempts": otp.Attempts}); err != nil {
		return nil, err
	}
	if err := s.countWrongCode(ctx, tx, otp); err != nil {
		return nil, err
	}
	if left := auth.OTPMaxAttempts - otp.Attempts; left > 0 {
		return nil, connect.NewError(connect.CodeUnauthenticated, fmt.Errorf("wrong code; %d attempts left", left))
	}
	return nil, connect.NewError(connect.CodePermissionDenied, fmt.Errorf("code locked after %d wrong attempts; request a new one", auth.OTPMaxAttempts))
}

// Refresh rotates a refresh token. Presenting a token that was already
// rotated means it leaked (or a client replayed it): the whole login is
// revoked so whoever holds the newer token is signed out too.
func (s *authServer) Refresh(ctx context.Context, req *connect.Request[identityv1.RefreshRequest]) (*connect.Response[identityv1.RefreshResponse], error) {
	var (
		session  issuedRefresh
		userID   uuid.UUID
		rejected *connect.Error
	)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		old, err := db.RefreshTokenForUpdate(ctx, tx, auth.HashRefreshToken(req.Msg.GetRefreshToken()))
		if errors.Is(err, db.ErrNotFound) {
			rejected = connect.NewError(connect.CodeUnauthenticated, errors.New("refresh token not recognised; sign in again"))
			return nil
		}
		if err != nil {
			return err
		}
		if rejected, err = s.rejectRefresh(ctx, tx, old); err != nil || rejected != nil {
			return err
		}
		if err := db.MarkRefreshTokenRotated(ctx, tx, old.ID); err != nil {
			return err
		}
		userID = old.UserID
		if session, err = s.issueRefresh(ctx, tx, old.UserID, old.FamilyID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &old.UserID, nil, "refresh_token", old.FamilyID.String(), "rotate", nil)
	})
	if err != nil {
		return nil, err
	}
	if rejected != nil {
		return nil, rejected
	}
	access, accessExp, err := s.Tokens.IssueSessionAccess(userID, session.familyID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.RefreshResponse{
		AccessToken: access, AccessTokenExpiresAt: timestamppb.New(accessExp),
		RefreshToken: session.token, RefreshTokenExpiresAt: timestamppb.New(session.expiresAt),
	}), nil
}

// rejectRefresh returns the reason a stored token cannot be rotated (nil if
// it can), revoking its family on reuse.
func (s *authServer) rejectRefresh(ctx context.Context, tx bun.Tx, t *db.RefreshToken) (*connect.Error, error) {
	switch {
	case t.RotatedAt != nil:
		if _, err := db.RevokeRefreshFamily(ctx, tx, t.FamilyID); err != nil {
			return nil, err
		}
		if err := rpc.Audit(ctx, tx, &t.UserID, nil, "refresh_token", t.FamilyID.String(), "reuse_detected", nil); err != nil {
			return nil, err
		}
		return connect.NewError(connect.CodeUnauthenticated, errors.New("refresh token was already used: every session of this login is signed out; sign in again")), nil
	case t.RevokedAt != nil:
		return connect.NewError(connect.CodeUnauthenticated, errors.New("refresh token revoked; sign in again")), nil
	case !s.Now().Before(t.ExpiresAt):
		return connect.NewError(connect.CodeUnauthenticated, errors.New("refresh token expired; sign in again")), nil
	}
	user, err := db.UserByID(ctx, tx, t.UserID)
	if err != nil {
		return nil, err
	}
	if !user.IsActive {
		return connect.NewError(connect.CodePermissionDenied, errors.New("this account is disabled")), nil
	}
	return nil, nil
}

// Logout revokes the login a refresh token belongs to. Unknown or already
// revoked tokens succeed too: logging out twice is not an error.
func (s *authServer) Logout(ctx context.Context, req *connect.Request[identityv1.LogoutRequest]) (*connect.Response[identityv1.LogoutResponse], error) {
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := db.RefreshTokenForUpdate(ctx, tx, auth.HashRefreshToken(req.Msg.GetRefreshToken()))
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := db.RevokeRefreshFamily(ctx, tx, t.FamilyID)
		if err != nil || n == 0 {
			return err
		}
		return rpc.Audit(ctx, tx, &t.UserID, nil, "refresh_token", t.FamilyID.String(), "logout", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.LogoutResponse{}), nil
}

// issuedRefresh is a new refresh token and the login (family) it belongs to.
type issuedRefresh struct {
	token     string
	expiresAt time.Time
	familyID  uuid.UUID
}

func (s *authServer) issueRefresh(ctx context.Context, tx bun.Tx, userID, familyID uuid.UUID) (issuedRefresh, error) {
	token, hash, err := auth.NewRefreshToken()
	if err != nil {
		return issuedRefresh{}, err
	}
	ri := rpc.RequestInfoOf(ctx)
	row := &db.RefreshToken{ID: db.NewID(), UserID: userID, FamilyID: familyID, TokenHash: hash,
		ExpiresAt: s.Now().Add(auth.RefreshTokenTTL), UserAgent: ri.UserAgent, IP: ri.IP}
	if err := db.InsertRefreshToken(ctx, tx, row); err != nil {
		return issuedRefresh{}, err
	}
	return issuedRefresh{token: token, expiresAt: row.ExpiresAt, familyID: familyID}, nil
}

// maskPhone keeps the country code and the last two digits, for logs and
// audit payloads.
func maskPhone(e164 string) string {
	if len(e164) < 6 {
		return "***"
	}
	return e164[:3] + "******" + e164[len(e164)-2:]
}
