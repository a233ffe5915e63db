// Package identity serves convene.identity.v1: phone-OTP login with
// rotating refresh tokens (auth.go), Telegram login and linking
// (telegram.go), OIDC login and linking (oidc.go), the caller's own account (users.go)
// and its verified email (email.go), and organizations with their members
// (orgs.go), who join only by accepting an invitation (invitations.go).
package identity

import (
	"log/slog"
	"time"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/oidclogin"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/telegramlogin"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
)

// Deps is what the identity handlers use. Every field is required except Email.
type Deps struct {
	DB     *db.DB
	Tokens *auth.Tokens
	OTP    *auth.OTPHasher
	SMS    sms.Sender
	// Email sends verification codes and email invitations; nil when the
	// server has no email provider (RequestEmailVerification then refuses
	// and email invitations are in-app only).
	Email notify.Sender
	// Log records invitation messages that could not be sent after commit.
	Log *slog.Logger
	// Now is the clock.
	Now func() time.Time
	// DevMode echoes OTP codes in RequestOtp responses; never set in prod.
	DevMode bool
	// OTPLimits bounds how often codes can be requested.
	OTPLimits auth.OTPLimits
	// Telegram checks Telegram login widget answers (LoginWithTelegram,
	// LinkTelegram); without a bot token it refuses every one.
	Telegram *telegramlogin.Verifier
	// OIDC checks tokens of the OIDC provider (LoginWithOidc, LinkOidc);
	// without an issuer it refuses every one.
	OIDC *oidclogin.Verifier
}

var (
	_ identityv1connect.AuthServiceHandler         = (*authServer)(nil)
	_ identityv1connect.UserServiceHandler         = (*userServer)(nil)
	_ identityv1connect.OrganizationServiceHandler = (*organizationServer)(nil)
)

// NewAuthServer returns the AuthService handler.
func NewAuthServer(d Deps) identityv1connect.AuthServiceHandler { return &authServer{d} }

// NewUserServer returns the UserService handler.
func NewUserServer(d Deps) identityv1connect.UserServiceHandler { return &userServer{d} }

// NewOrganizationServer returns the OrganizationService handler.
func NewOrganizationServer(d Deps) identityv1connect.OrganizationServiceHandler {
	return &organizationServer{d}
}

// Domain lists the identity services for the server to mount. Signing in
// (RequestOtp, VerifyOtp, LoginWithTelegram, LoginWithOidc) and handling refresh tokens (Refresh, Logout)
// need no access token.
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{Services: []rpc.Service{
		rpc.NewService(identityv1connect.AuthServiceName, NewAuthServer(d), identityv1connect.NewAuthServiceHandler,
			identityv1connect.AuthServiceRequestOtpProcedure, identityv1connect.AuthServiceVerifyOtpProcedure,
			identityv1connect.AuthServiceRefreshProcedure, identityv1connect.AuthServiceLogoutProcedure,
			identityv1connect.AuthServiceLoginWithTelegramProcedure, identityv1connect.AuthServiceLoginWithOidcProcedure),
		rpc.NewService(identityv1connect.UserServiceName, NewUserServer(d), identityv1connect.NewUserServiceHandler),
		rpc.NewService(identityv1connect.OrganizationServiceName, NewOrganizationServer(d), identityv1connect.NewOrganizationServiceHandler),
	}}
}
