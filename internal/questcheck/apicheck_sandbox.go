package questcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// SandboxAPICheckHost is the api_check host answered in memory in
// sandbox mode (".invalid" never resolves, so no real request could go
// there): the path says the answer, e.g. https://api-check.sandbox.invalid/valid.
//
//	/valid    the task is done
//	/invalid  it is not
//	/down     the receiver is unavailable (a transient error: the
//	          workflow retries, then gives up)
const SandboxAPICheckHost = "api-check.sandbox.invalid"

// APICheckSandbox answers api_check tasks addressed to
// SandboxAPICheckHost from their path, and passes every other task to
// the real verifier: the demo and the benchmark need no receiver, the
// tests of the signed call still make it.
type APICheckSandbox struct {
	real Verifier
}

// NewAPICheckSandbox wraps the real api_check verifier.
func NewAPICheckSandbox(real Verifier) *APICheckSandbox { return &APICheckSandbox{real: real} }

// Verify answers a sandbox address from its path, after checking the
// task could be signed (it has its secret) as the real call would.
func (s *APICheckSandbox) Verify(ctx context.Context, c Check) (Verdict, error) {
	var cfg urlConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read api_check config of task %s: %w", c.Task.ID, err)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host != SandboxAPICheckHost {
		return s.real.Verify(ctx, c)
	}
	if len(c.Task.Secret) == 0 {
		return Verdict{}, fmt.Errorf("api_check task %s has no secret: %w", c.Task.ID, ErrUnconfigured)
	}
	switch u.Path {
	case "/valid":
		return Verdict{Valid: true}, nil
	case "/invalid":
		return Verdict{Reason: "the sandbox check found the task not done"}, nil
	case "/down":
		return Verdict{}, fmt.Errorf("api_check task %s: the sandbox receiver is down", c.Task.ID)
	}
	return Verdict{Reason: "unknown sandbox check " + u.Path}, nil
}
