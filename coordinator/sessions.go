package coordinator

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// tcpEstablished is the kernel's TCP_ESTABLISHED state.
const tcpEstablished = 1

// resetSessions destroys the established TCP connections to port on any
// of addrs (the writer VIPs) in this network namespace, through the
// kernel's socket diagnostics (SOCK_DESTROY, CAP_NET_ADMIN), and returns
// how many it destroyed. The kernel answers each with a reset, so a
// client waiting on a session of a demoted writer fails at once and
// reconnects, instead of waiting out its own timeout. mysqld cannot end
// a session whose commit waits for a semisync acknowledgement until that
// wait ends, and once keepalived has removed the address no reset can
// reach the client any more: the self-fence calls it while the address
// is still there.
func resetSessions(addrs []netip.Addr, port int) (int, error) {
	socks, err := netlink.SocketDiagTCP(unix.AF_INET)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return 0, fmt.Errorf("coordinator: list TCP sessions: %w", err)
	}
	n := 0
	var errs []error
	for _, s := range socks {
		local, ok := netip.AddrFromSlice(s.ID.Source.To4())
		if !ok || s.State != tcpEstablished || int(s.ID.SourcePort) != port || !slices.Contains(addrs, local) {
			continue
		}
		err := netlink.SocketDestroy(&net.TCPAddr{IP: s.ID.Source, Port: int(s.ID.SourcePort)},
			&net.TCPAddr{IP: s.ID.Destination, Port: int(s.ID.DestinationPort)})
		switch {
		case err == nil:
			n++
		case errors.Is(err, unix.ENOENT): // it closed meanwhile
		default:
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("coordinator: reset TCP sessions: %w", err)
	}
	return n, nil
}
