package devstack

// Ports for the dev server: the ones asked for must be free, the internal
// ones are picked free and never handed out twice in one process.

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
)

func temporalCheckPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on %s is not free (another Temporal running?): %w", port, ip, err)
	}
	return l.Close()
}

var (
	temporalPortsMu    sync.Mutex
	temporalPortsGiven = map[int]bool{}
)

// temporalFreePort returns a port on ip nobody listens on, never one in
// avoid or one it returned before in this process. The probe connection is
// closed from the listening side, which leaves the port in TIME_WAIT so the
// kernel does not hand it out again for ephemeral use for a while, while an
// explicit bind (SO_REUSEADDR) still works.
func temporalFreePort(ip string, avoid ...int) (int, error) {
	temporalPortsMu.Lock()
	defer temporalPortsMu.Unlock()
	for range 50 {
		port, err := temporalProbePort(ip)
		if err != nil {
			return 0, err
		}
		if temporalPortsGiven[port] || slices.Contains(avoid, port) {
			continue
		}
		temporalPortsGiven[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no free port on %s", ip)
}

func temporalProbePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	addr := l.Addr().(*net.TCPAddr)
	dialAddr := &net.TCPAddr{IP: net.ParseIP(temporalDialHost(ip)), Port: addr.Port}
	client, err := net.DialTCP("tcp", nil, dialAddr)
	if err != nil {
		return addr.Port, nil //nolint:nilerr // the port is free; only the TIME_WAIT trick failed
	}
	defer func() { _ = client.Close() }()
	server, err := l.Accept()
	if err != nil {
		return addr.Port, nil //nolint:nilerr // as above
	}
	_ = server.Close() // server side first: it holds the TIME_WAIT
	return addr.Port, nil
}
