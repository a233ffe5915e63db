package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"go.temporal.io/sdk/client"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
)

const healthServiceName = "grpc.health.v1.Health"

// health answers liveness (the process is up) and readiness (its database
// and Temporal answer), over plain HTTP and the gRPC health protocol.
// Answers name the dependency that is not ready, never its error: that
// goes to the log, where operators look and callers cannot.
type health struct {
	db       *db.DB
	temporal client.Client
	log      *slog.Logger
}

// Readiness of one dependency, as /readyz reports it.
const (
	depOK            = "ok"
	depUnavailable   = "unavailable"
	depNotConfigured = "not configured"
)

func (h *health) live(w http.ResponseWriter, _ *http.Request) {
	rpc.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *health) ready(w http.ResponseWriter, r *http.Request) {
	checks := h.check(r.Context())
	status, code := "ready", http.StatusOK
	for _, v := range checks {
		if v != depOK {
			status, code = "not ready", http.StatusServiceUnavailable
		}
	}
	rpc.WriteJSON(w, code, map[string]any{"status": status, "checks": checks})
}

// check probes each dependency with a short timeout and logs why one is
// unavailable.
func (h *health) check(ctx context.Context) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out := map[string]string{"database": depOK, "temporal": depOK}
	if err := h.db.Ping(ctx); err != nil {
		out["database"] = h.unavailable(ctx, "database", err)
	}
	if h.temporal == nil {
		out["temporal"] = depNotConfigured
	} else if _, err := h.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		out["temporal"] = h.unavailable(ctx, "temporal", err)
	}
	return out
}

// unavailable logs why dependency failed its check and returns what the
// answer says about it.
func (h *health) unavailable(ctx context.Context, dependency string, err error) string {
	h.log.WarnContext(ctx, "readiness check failed", "dependency", dependency, "error", err)
	return depUnavailable
}

// grpcHandler serves grpc.health.v1.Health/Check: the empty service name
// and every Convene service report the readiness of the whole process.
func (h *health) grpcHandler(opts ...connect.HandlerOption) (string, http.Handler) {
	path := "/" + healthServiceName + "/"
	check := connect.NewUnaryHandler(path+"Check",
		func(ctx context.Context, req *connect.Request[healthpb.HealthCheckRequest]) (*connect.Response[healthpb.HealthCheckResponse], error) {
			status := healthpb.HealthCheckResponse_SERVING
			for _, v := range h.check(ctx) {
				if v != depOK {
					status = healthpb.HealthCheckResponse_NOT_SERVING
				}
			}
			return connect.NewResponse(&healthpb.HealthCheckResponse{Status: status}), nil
		}, opts...)
	mux := http.NewServeMux()
	mux.Handle(path+"Check", check)
	mux.Handle(path+"Watch", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Watch is optional in the protocol; answering Unimplemented lets
		// clients fall back to polling Check.
		_ = connect.NewErrorWriter().Write(w, r, connect.NewError(connect.CodeUnimplemented, errors.New("use Check")))
	}))
	return path, mux
}
