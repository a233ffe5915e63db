package api

import (
	"context"
	"errors"
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
type health struct {
	db       *db.DB
	temporal client.Client
}

func (h *health) live(w http.ResponseWriter, _ *http.Request) {
	rpc.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *health) ready(w http.ResponseWriter, r *http.Request) {
	checks := h.check(r.Context())
	status, code := "ready", http.StatusOK
	for _, v := range checks {
		if v != "ok" {
			status, code = "not ready", http.StatusServiceUnavailable
		}
	}
	rpc.WriteJSON(w, code, map[string]any{"status": status, "checks": checks})
}

// check probes each dependency with a short timeout.
func (h *health) check(ctx context.Context) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out := map[string]string{"database": "ok", "temporal": "ok"}
	if err := h.db.Ping(ctx); err != nil {
		out["database"] = err.Error()
	}
	if h.temporal == nil {
		out["temporal"] = "not configured"
	} else if _, err := h.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		out["temporal"] = err.Error()
	}
	return out
}

// grpcHandler serves grpc.health.v1.Health/Check: the empty service name
// and every Convene service report the readiness of the whole process.
func (h *health) grpcHandler() (string, http.Handler) {
	path := "/" + healthServiceName + "/"
	check := connect.NewUnaryHandler(path+"Check",
		func(ctx context.Context, req *connect.Request[healthpb.HealthCheckRequest]) (*connect.Response[healthpb.HealthCheckResponse], error) {
			status := healthpb.HealthCheckResponse_SERVING
			for _, v := range h.check(ctx) {
				if v != "ok" {
					status = healthpb.HealthCheckResponse_NOT_SERVING
				}
			}
			return connect.NewResponse(&healthpb.HealthCheckResponse{Status: status}), nil
		})
	mux := http.NewServeMux()
	mux.Handle(path+"Check", check)
	mux.Handle(path+"Watch", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Watch is optional in the protocol; answering Unimplemented lets
		// clients fall back to polling Check.
		_ = connect.NewErrorWriter().Write(w, r, connect.NewError(connect.CodeUnimplemented, errors.New("use Check")))
	}))
	return path, mux
}
