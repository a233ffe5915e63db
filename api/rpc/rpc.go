// Package rpc is what every api/<domain> package shares: who is calling
// (caller.go), Connect errors naming a field (errors.go), keyset paging
// (paging.go), proto enum <-> stored string tables (enums.go), the
// organization-role check (authz.go), the audit-row writer (audit.go), the
// mapping of workflow refusals to Connect codes (workflow.go), and the
// Service/Domain types by which a domain tells the server what it serves.
//
// Nothing here knows a particular domain; a domain package imports rpc,
// never another domain package.
package rpc

import (
	"encoding/json"
	"net/http"

	"connectrpc.com/connect"
)

// Service is one Connect service of a domain, ready to mount.
type Service struct {
	// Name is the fully qualified service name, listed by gRPC reflection.
	Name string
	// Public lists the procedures callable without an access token.
	Public  []string
	handler func(opts ...connect.HandlerOption) (string, http.Handler)
}

// NewService binds impl to its generated handler constructor (e.g.
// identityv1connect.NewAuthServiceHandler); public names the procedures
// that need no access token.
func NewService[H any](name string, impl H, newHandler func(H, ...connect.HandlerOption) (string, http.Handler), public ...string) Service {
	return Service{Name: name, Public: public, handler: func(opts ...connect.HandlerOption) (string, http.Handler) {
		return newHandler(impl, opts...)
	}}
}

// Handler returns the service's path prefix and handler, with opts (the
// server's interceptors) applied.
func (s Service) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return s.handler(opts...)
}

// Route is a plain HTTP route a domain serves besides Connect, e.g. a
// payment provider's webhook.
type Route struct {
	// Pattern is an http.ServeMux pattern, e.g. "POST /webhooks/payments/{provider}".
	Pattern string
	Handler http.Handler
}

// Domain is everything one api/<domain> package serves. The server mounts
// every domain the same way, so adding a domain is one line there.
type Domain struct {
	Services []Service
	Routes   []Route
}

// WriteJSON answers v as JSON with the status code, for the plain HTTP
// routes (health, webhooks).
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// An encode error means the client went away; nothing is left to tell it.
	_ = json.NewEncoder(w).Encode(v)
}
