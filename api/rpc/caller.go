package rpc

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// RequestInfo is what the HTTP layer knows about a call: its request ID
// (for logs, audit rows and error messages) and the client's address.
type RequestInfo struct {
	ID        string
	IP        string
	UserAgent string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying info; the server sets it for every
// request before any handler runs.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoOf returns the request's info (zero outside a request).
func RequestInfoOf(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated user's ID; only the
// auth interceptor calls it.
func WithCaller(ctx context.Context, userID uuid.UUID) context.Context {
	return context.WithValue(ctx, callerKey{}, userID)
}

// CallerID returns the authenticated user. The auth interceptor sets it
// for every procedure that is not public; it is uuid.Nil in public ones.
func CallerID(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(callerKey{}).(uuid.UUID)
	return id
}

// Session is the login a call is made in, as its access token says.
type Session struct {
	// UserID is the caller.
	UserID uuid.UUID
	// SessionID is the login (refresh-token family); uuid.Nil for tokens
	// issued without one.
	SessionID uuid.UUID
	// ExpiresAt is when the access token stops being accepted: a stream
	// opened with it ends then.
	ExpiresAt time.Time
}

type sessionKey struct{}

// WithSession returns ctx carrying s and s.UserID as the caller; only the
// auth interceptor calls it.
func WithSession(ctx context.Context, s Session) context.Context {
	return WithCaller(context.WithValue(ctx, sessionKey{}, s), s.UserID)
}

// SessionOf returns the call's session (zero in public procedures).
func SessionOf(ctx context.Context) Session {
	s, _ := ctx.Value(sessionKey{}).(Session)
	return s
}
