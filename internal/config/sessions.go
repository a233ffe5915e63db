package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/convene/convene/internal/auth"
)

// loadSessionSettings reads the settings of client addresses, login limits
// and session checks.
func loadSessionSettings(lookup func(string) (string, bool), cfg *Config) []error {
	var errs []error
	if v, ok := lookup("CONVENE_TRUSTED_PROXIES"); ok {
		prefixes, err := ParseTrustedProxies(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_TRUSTED_PROXIES: %w", err))
		}
		cfg.TrustedProxies = prefixes
	}
	if v, ok := lookup("CONVENE_AUTH_LIMITS"); ok {
		limits, err := auth.ParseOTPLimits(v, cfg.AuthLimits)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_AUTH_LIMITS: %w", err))
		}
		cfg.AuthLimits = limits
	}
	if v, ok := lookup("CONVENE_SESSION_CHECK_TTL"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_SESSION_CHECK_TTL: %q is not a duration like 5s", v))
		}
		cfg.SessionCheckTTL = d
	}
	return errs
}

// ParseTrustedProxies reads comma-separated CIDRs or single addresses
// ("10.0.0.0/8, 192.0.2.7").
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range splitList(v) {
		if !strings.Contains(item, "/") {
			addr, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", item)
			}
			out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", item)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
