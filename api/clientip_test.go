package api

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		proxies []netip.Prefix
		want    string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.5:1234", []string{"198.51.100.1"}, nil, "203.0.113.5"},
		{"untrusted peer: the header is ignored", "203.0.113.5:1234", []string{"198.51.100.1"}, proxies, "203.0.113.5"},
		{"trusted peer: the client it forwarded", "10.1.2.3:1234", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"right-most untrusted hop wins over a forged left part", "10.1.2.3:1234", []string{"1.2.3.4, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"trusted hops are skipped", "10.1.2.3:1234", []string{"198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"several headers are one list", "10.1.2.3:1234", []string{"1.2.3.4", "198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"only trusted hops: the left-most of them", "10.1.2.3:1234", []string{"10.7.7.7, 10.9.9.9"}, proxies, "10.7.7.7"},
		{"trusted peer without header: the peer", "10.1.2.3:1234", nil, proxies, "10.1.2.3"},
		{"malformed hop: the last address vouched for", "10.1.2.3:1234", []string{"198.51.100.1, not-an-ip"}, proxies, "10.1.2.3"},
		{"IPv6 proxy and client", "[2001:db8::1]:443", []string{"2001:db9::7"}, proxies, "2001:db9::7"},
		{"IPv4-mapped peer counts as IPv4", "[::ffff:10.1.2.3]:1234", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tc.want, clientIP(r, tc.proxies))
		})
	}
}
