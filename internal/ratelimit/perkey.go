package ratelimit

import "context"

// PerKey holds one Limiter per key, typically per notification channel
// ("push", "email", "sms", "telegram"), built once from a rate config. Keys
// without a positive rate are unlimited. Safe for concurrent use: the set of
// limiters never changes after NewPerKey.
type PerKey struct {
	limiters  map[string]*Limiter
	unlimited *Limiter
}

// NewPerKey builds a limiter for each key of rates (calls per second), each
// allowing burst calls at once. opts apply to every limiter.
func NewPerKey(rates map[string]float64, burst int, opts ...Option) *PerKey {
	p := &PerKey{limiters: make(map[string]*Limiter, len(rates)), unlimited: New(0, 1, opts...)}
	for key, rate := range rates {
		if rate > 0 {
			p.limiters[key] = New(rate, burst, opts...)
		}
	}
	return p
}

// Limiter returns key's limiter (an unlimited one for unconfigured keys).
func (p *PerKey) Limiter(key string) *Limiter {
	if l, ok := p.limiters[key]; ok {
		return l
	}
	return p.unlimited
}

// Allow takes a token from key's limiter if one is available now.
func (p *PerKey) Allow(key string) bool { return p.Limiter(key).Allow() }

// Wait blocks until key's limiter has a token, or ctx ends.
func (p *PerKey) Wait(ctx context.Context, key string) error { return p.Limiter(key).Wait(ctx) }
