package questcheck

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress: the check's host resolved to an address the
// server must not reach from outside input (loopback, private, link-local,
// CGNAT, multicast, unspecified, reserved). It is the task's fault, not
// the network's: the verdict is invalid and nothing is retried.
var ErrForbiddenAddress = errors.New("address not allowed")

// Ranges refused besides what netip classifies (loopback, private,
// link-local, multicast, unspecified).
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the broadcast address
}

// nat64 is the well-known NAT64 prefix: its addresses carry an IPv4
// address in the last 32 bits, judged like that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// ForbiddenAddress reports whether a resolved address is one a check must
// not reach: IPv4-mapped and NAT64 forms are judged by the IPv4 address
// they carry.
func ForbiddenAddress(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:16]))
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// safeDialer dials only public addresses. The check runs in Control, on
// the address about to be connected, after DNS: a name that resolves (or
// re-resolves) to an internal address is refused, whatever it said
// before.
func safeDialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: refuseInternal}
}

func refuseInternal(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if ForbiddenAddress(a) {
		return fmt.Errorf("dial %s %s: %w", network, address, ErrForbiddenAddress)
	}
	return nil
}
