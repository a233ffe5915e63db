package identity

// Telegram login: the login widget's signed answer signs a user in
// (creating them on the account's first login) or links the account to
// the signed-in user.

import (
	"context"
	"errors"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/telegramlogin"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// LoginWithTelegram signs in the Telegram account the widget signed,
// answering as VerifyOtp does.
func (s *authServer) LoginWithTelegram(ctx context.Context, req *connect.Request[identityv1.LoginWithTelegramRequest]) (*connect.Response[identityv1.LoginWithTelegramResponse], error) {
	login, err := checkTelegramLogin(s.Telegram, req.Msg.GetLogin(), s.Now)
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
		if user, created, err = db.CreateUserWithTelegram(ctx, tx, telegramID(login), login.Name()); err != nil {
			return err
		}
		if disabled = !user.IsActive; disabled {
			return nil
		}
		if err := db.TouchTelegramLogin(ctx, tx, user.ID); err != nil {
			return err
		}
		if session, err = s.issueRefresh(ctx, tx, user.ID, db.NewID()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &user.ID, nil, "user", user.ID.String(), "login", map[string]any{
			"method": "telegram", "telegram_id": telegramID(login), "new_user": created})
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
	return connect.NewResponse(&identityv1.LoginWithTelegramResponse{
		AccessToken: in.access, AccessTokenExpiresAt: timestamppb.New(in.accessExp),
		RefreshToken: in.session.token, RefreshTokenExpiresAt: timestamppb.New(in.session.expiresAt),
		User: in.user, NewUser: in.created,
	}), nil
}

// LinkTelegram links the Telegram account the widget signed to the caller.
func (s *userServer) LinkTelegram(ctx context.Context, req *connect.Request[identityv1.LinkTelegramRequest]) (*connect.Response[identityv1.LinkTelegramResponse], error) {
	login, err := checkTelegramLogin(s.Telegram, req.Msg.GetLogin(), s.Now)
	if err != nil {
		return nil, err
	}
	userID := rpc.CallerID(ctx)
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LinkTelegram(ctx, tx, userID, telegramID(login)); errors.Is(err, db.ErrTelegramTaken) {
			return connect.NewError(connect.CodeAlreadyExists, err)
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "user", userID.String(), "link_telegram", map[string]any{"telegram_id": telegramID(login)})
	})
	if err != nil {
		return nil, err
	}
	me, err := loadUser(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.LinkTelegramResponse{User: me}), nil
}

// checkTelegramLogin verifies the widget's answer, mapping the outcomes
// to Connect codes: a forged or stale login is Unauthenticated, a server
// without a bot token FailedPrecondition.
func checkTelegramLogin(v *telegramlogin.Verifier, in *identityv1.TelegramLogin, now func() time.Time) (telegramlogin.Login, error) {
	login := telegramlogin.Login{ID: in.GetId(), FirstName: in.GetFirstName(), LastName: in.GetLastName(),
		Username: in.GetUsername(), PhotoURL: in.GetPhotoUrl(), AuthDate: in.GetAuthDate(), Hash: in.GetHash()}
	err := v.Verify(login, now())
	switch {
	case err == nil:
		return login, nil
	case errors.Is(err, telegramlogin.ErrNoBotToken):
		return login, connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, telegramlogin.ErrExpired):
		return login, connect.NewError(connect.CodeUnauthenticated, errors.New("login expired; sign in with Telegram again"))
	default:
		return login, connect.NewError(connect.CodeUnauthenticated, err)
	}
}

// telegramID is how users.telegram_id stores the account's ID.
func telegramID(l telegramlogin.Login) string { return strconv.FormatInt(l.ID, 10) }
