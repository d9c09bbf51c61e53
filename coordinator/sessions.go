package coordinator

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
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
		switch err := destroySocket(s.ID); {
		case err == nil:
			n++
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESTALE): // it closed meanwhile
		default:
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("coordinator: reset TCP sessions: %w", err)
	}
	return n, nil
}

// destroySocket destroys the one IPv4 TCP socket id names, its cookie
// included. The kernel looks a socket up by its addresses as it does for
// an incoming packet: when the session has closed since it was listed,
// the lookup falls back to the listening socket of the port, and
// destroying that one leaves mysqld unable to accept any connection
// (its error log fills with "Error in accept: Invalid argument").
// netlink.SocketDestroy sends no cookie; with one, the kernel answers
// ESTALE for anything but the socket that was listed.
func destroySocket(id netlink.SocketID) error {
	req := nl.NewNetlinkRequest(nl.SOCK_DESTROY, unix.NLM_F_ACK)
	req.AddData(diagRequest{id: id})
	_, err := req.Execute(unix.NETLINK_INET_DIAG, 0)
	return err
}

// diagRequest is the kernel's inet_diag_req_v2 for one IPv4 TCP socket.
type diagRequest struct{ id netlink.SocketID }

const sizeofDiagRequest = 56

func (r diagRequest) Len() int { return sizeofDiagRequest }

func (r diagRequest) Serialize() []byte {
	b := make([]byte, sizeofDiagRequest)
	b[0], b[1] = unix.AF_INET, unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(b[4:], 1<<tcpEstablished) // idiag_states
	binary.BigEndian.PutUint16(b[8:], r.id.SourcePort)
	binary.BigEndian.PutUint16(b[10:], r.id.DestinationPort)
	copy(b[12:28], r.id.Source.To4())
	copy(b[28:44], r.id.Destination.To4())
	binary.NativeEndian.PutUint32(b[44:], r.id.Interface)
	binary.NativeEndian.PutUint32(b[48:], r.id.Cookie[0])
	binary.NativeEndian.PutUint32(b[52:], r.id.Cookie[1])
	return b
}
