package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address OTP limits and audit rows attribute a request to.
// X-Forwarded-For is client-controlled: anyone can send one. It is read
// only when the direct peer is a trusted proxy, and then from the right:
// each trusted proxy appends the address it received from, so the
// right-most address that is not itself a trusted proxy is the first hop
// nobody we trust vouches for, the client as far as we can know. Anything
// left of it could be forged by that client.
func clientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !inAny(peer, trustedProxies) {
		return hostOf(r.RemoteAddr)
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(hops[i])
		if err != nil {
			// A malformed hop was not written by a proxy we trust; stop at
			// the last address we could vouch for.
			break
		}
		if !inAny(addr.Unmap(), trustedProxies) {
			return addr.Unmap().String()
		}
		peer = addr.Unmap()
	}
	// Every hop is a trusted proxy (or there are none): the left-most
	// trusted address is the closest we get to the client.
	return peer.String()
}

// forwardedHops splits every X-Forwarded-For header into its addresses, in
// order (several headers count as one list, as RFC 7230 says).
func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

// peerAddr parses the direct peer's address (invalid when it cannot).
func peerAddr(remoteAddr string) netip.Addr {
	addr, err := netip.ParseAddr(hostOf(remoteAddr))
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

// hostOf strips the port of a host:port.
func hostOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func inAny(addr netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
