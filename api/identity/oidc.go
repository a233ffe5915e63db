package identity

// OIDC login: a token of the server's OIDC provider signs in the user of
// its (issuer, subject), creating them on the identity's first login, or
// links the identity to the signed-in user. An account is never found by
// the token's email: whoever controls an email at the provider would take
// over the account that verified it here.

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/oidclogin"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// LoginWithOidc signs in the identity the token names, answering as
// VerifyOtp does.
func (s *authServer) LoginWithOidc(ctx context.Context, req *connect.Request[identityv1.LoginWithOidcRequest]) (*connect.Response[identityv1.LoginWithOidcResponse], error) {
	login, err := checkOidcToken(ctx, s.OIDC, req.Msg.GetToken())
	if err != nil {
		return nil, err
	}
	var (
		user     *db.User
		created  bool
		session  issuedRefresh
		disabled bool
	)
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if user, created, err = db.LoginWithIdentity(ctx, tx, login); err != nil {
			return err
		}
		if disabled = !user.IsActive; disabled {
			return nil
		}
		if err := db.TouchLastLogin(ctx, tx, user.ID); err != nil {
			return err
		}
		if session, err = s.issueRefresh(ctx, tx, user.ID, db.NewID()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &user.ID, nil, "user", user.ID.String(), "login", map[string]any{
			"method": "oidc", "issuer": login.Issuer, "subject": login.Subject, "new_user": created})
	})
	if err != nil {
		return nil, err
	}
	if disabled {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("this account is disabled"))
	}
	in, err := s.finishSignIn(ctx, user.ID, session, created)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.LoginWithOidcResponse{
		AccessToken: in.access, AccessTokenExpiresAt: timestamppb.New(in.accessExp),
		RefreshToken: in.session.token, RefreshTokenExpiresAt: timestamppb.New(in.session.expiresAt),
		User: in.user, NewUser: in.created,
	}), nil
}

// LinkOidc links the identity the token names to the caller.
func (s *userServer) LinkOidc(ctx context.Context, req *connect.Request[identityv1.LinkOidcRequest]) (*connect.Response[identityv1.LinkOidcResponse], error) {
	login, err := checkOidcToken(ctx, s.OIDC, req.Msg.GetToken())
	if err != nil {
		return nil, err
	}
	userID := rpc.CallerID(ctx)
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LinkIdentity(ctx, tx, userID, login); errors.Is(err, db.ErrIdentityTaken) {
			return connect.NewError(connect.CodeAlreadyExists, err)
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "user", userID.String(), "link_oidc", map[string]any{
			"issuer": login.Issuer, "subject": login.Subject})
	})
	if err != nil {
		return nil, err
	}
	me, err := loadUser(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.LinkOidcResponse{User: me}), nil
}

// checkOidcToken verifies the token (an ID token or a JWT access token,
// checked alike), mapping the outcomes to Connect codes: a token this
// server does not accept is Unauthenticated, OIDC off or misconfigured
// FailedPrecondition, the provider unreachable Unavailable.
func checkOidcToken(ctx context.Context, v *oidclogin.Verifier, tok *identityv1.OidcToken) (db.OidcLogin, error) {
	raw := tok.GetIdToken()
	if raw == "" {
		raw = tok.GetAccessToken()
	}
	id, err := v.Verify(ctx, raw)
	switch {
	case err == nil:
		return db.OidcLogin{Issuer: id.Issuer, Subject: id.Subject, Email: id.VerifiedEmail, Name: id.Name}, nil
	case errors.Is(err, oidclogin.ErrDisabled), errors.Is(err, oidclogin.ErrBadClientID):
		return db.OidcLogin{}, connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, oidclogin.ErrProviderUnavailable):
		return db.OidcLogin{}, connect.NewError(connect.CodeUnavailable, err)
	default:
		return db.OidcLogin{}, connect.NewError(connect.CodeUnauthenticated, err)
	}
}
