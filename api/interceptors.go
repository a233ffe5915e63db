package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/sessions"
)

// interceptors are what every Connect call passes through, outermost
// first: metrics (when configured), logging and error hiding,
// authentication (except for the public procedures), request validation.
func interceptors(d Deps, public map[string]bool) (connect.HandlerOption, error) {
	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("build request validator: %w", err)
	}
	chain := []connect.Interceptor{
		&logInterceptor{log: d.Log},
		&authInterceptor{tokens: d.Tokens, sessions: d.sessions, public: public},
		&validateInterceptor{validator: validator},
	}
	if d.Metrics != nil {
		chain = append([]connect.Interceptor{d.Metrics.ConnectInterceptor()}, chain...)
	}
	return connect.WithInterceptors(chain...), nil
}

// authInterceptor checks the bearer access token of every procedure not in
// public, and that its login may still act (the user is active, the
// session not logged out; cached for a few seconds), and puts the caller's
// session in the context.
type authInterceptor struct {
	tokens   *auth.Tokens
	sessions *sessions.Checker
	public   map[string]bool
}

func (a *authInterceptor) authenticate(ctx context.Context, procedure, header string) (context.Context, error) {
	if a.public[procedure] {
		return ctx, nil
	}
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("missing access token: send `Authorization: Bearer <accessToken>` from VerifyOtp or Refresh"))
	}
	claims, err := a.tokens.ParseAccess(token)
	if err != nil {
		return nil, connect.NewError(connect.CodeUnauthenticated, err)
	}
	live, err := a.sessions.Live(ctx, db.SessionKey{UserID: claims.UserID, SessionID: claims.SessionID})
	if err != nil {
		return nil, err
	}
	if !live {
		return nil, connect.NewError(connect.CodeUnauthenticated, errSessionEnded)
	}
	return rpc.WithSession(ctx, rpc.Session{UserID: claims.UserID, SessionID: claims.SessionID, ExpiresAt: claims.ExpiresAt}), nil
}

// errSessionEnded refuses a token whose login was signed out or whose
// account was disabled.
var errSessionEnded = errors.New("this session has ended (signed out, or the account is disabled); sign in again")

func (a *authInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := a.authenticate(ctx, req.Spec().Procedure, req.Header().Get("Authorization"))
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (a *authInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a *authInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := a.authenticate(ctx, conn.Spec().Procedure, conn.RequestHeader().Get("Authorization"))
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// validateInterceptor checks request messages against their protovalidate
// rules, so a handler only ever sees well-shaped input. Violations become
// InvalidArgument naming each field, with the violations as error details.
type validateInterceptor struct {
	validator protovalidate.Validator
}

func (v *validateInterceptor) check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	err := v.validator.Validate(m)
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	parts := make([]string, 0, len(verr.Violations))
	for _, viol := range verr.Violations {
		parts = append(parts, viol.String())
	}
	cerr := connect.NewError(connect.CodeInvalidArgument, errors.New(strings.Join(parts, "; ")))
	if detail, derr := connect.NewErrorDetail(verr.ToProto()); derr == nil {
		cerr.AddDetail(detail)
	}
	return cerr
}

func (v *validateInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if !req.Spec().IsClient {
			if err := v.check(req.Any()); err != nil {
				return nil, err
			}
		}
		return next(ctx, req)
	}
}

func (v *validateInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (v *validateInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(ctx, &validatingConn{StreamingHandlerConn: conn, check: v.check})
	}
}

type validatingConn struct {
	connect.StreamingHandlerConn
	check func(any) error
}

func (c *validatingConn) Receive(msg any) error {
	if err := c.StreamingHandlerConn.Receive(msg); err != nil {
		return err
	}
	return c.check(msg)
}

// logInterceptor logs every call once and turns any error that is not
// already a Connect error into Internal, so no detail of an unexpected
// failure reaches the client while the log keeps it.
type logInterceptor struct {
	log *slog.Logger
}

func (l *logInterceptor) finish(ctx context.Context, procedure string, start time.Time, err error) error {
	attrs := []any{"procedure", procedure, "duration_ms", time.Since(start).Milliseconds(), "request_id", rpc.RequestInfoOf(ctx).ID}
	if err == nil {
		l.log.InfoContext(ctx, "rpc", append(attrs, "code", "ok")...)
		return nil
	}
	var cerr *connect.Error
	if errors.As(err, &cerr) {
		l.log.InfoContext(ctx, "rpc", append(attrs, "code", cerr.Code().String(), "error", cerr.Message())...)
		return err
	}
	l.log.ErrorContext(ctx, "rpc failed", append(attrs, "code", "internal", "error", err.Error())...)
	return connect.NewError(connect.CodeInternal, fmt.Errorf("internal error (request id %s)", rpc.RequestInfoOf(ctx).ID))
}

func (l *logInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		resp, err := next(ctx, req)
		return resp, l.finish(ctx, req.Spec().Procedure, start, err)
	}
}

func (l *logInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (l *logInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		return l.finish(ctx, conn.Spec().Procedure, start, next(ctx, conn))
	}
}
