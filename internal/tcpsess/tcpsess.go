// Package tcpsess ends the TCP sessions of a writer VIP from the kernel
// side, and tells their clients when the address has already moved.
//
// A client waiting for the answer to a statement it has sent hears
// nothing when its server stops answering: no segment of its own is in
// flight, so TCP does not notice, and it waits out its own read timeout
// (seconds, often tens of seconds) although the writer VIP has moved to
// another host within a second. Two ways to tell it:
//   - Reset, while this host still holds the address: SOCK_DESTROY makes
//     the kernel send a reset from the address the client talks to.
//   - Tickle, once the address has moved: a bare ACK from the address
//     with sequence numbers outside the session's window. The client's
//     kernel answers with an ACK of the right numbers (RFC 793's answer
//     to an unacceptable segment); that ACK reaches whichever host holds
//     the address now, which has no such session and answers it with a
//     reset the client accepts. A tickle is harmless to a session that
//     lives on: its host takes the client's ACK as a duplicate. This is
//     how CTDB tells the clients of a moved IP address.
package tcpsess

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

// The kernel's TCP states (include/net/tcp_states.h) that matter here.
const (
	tcpEstablished = 1
	tcpTimeWait    = 6
	tcpClose       = 7
	tcpListen      = 10
)

// clientMayWait reports whether a server-side socket in state may have a
// client that still waits on it: every state of a session from the
// handshake to the last FIN, but not a listener, a closed socket or
// TIME_WAIT (the client acknowledged the server's FIN). A session the
// server closed after the address had gone (FIN_WAIT1, LAST_ACK) is one:
// its FIN never reached the client.
func clientMayWait(state uint8) bool {
	switch state {
	case tcpTimeWait, tcpClose, tcpListen:
		return false
	}
	return true
}

// Session is one established IPv4 TCP session as this host sees it:
// Local is the server's side (a VIP and the MySQL port), Remote the
// client's.
type Session struct {
	Local, Remote netip.AddrPort
	id            netlink.SocketID // for SOCK_DESTROY, its cookie included
}

// List returns the established IPv4 TCP sessions to port on any of
// addrs in this network namespace (socket diagnostics; no privilege).
func List(addrs []netip.Addr, port int) ([]Session, error) {
	return list(addrs, port, func(state uint8) bool { return state == tcpEstablished })
}

// ListWaiting returns the IPv4 TCP sessions to port on any of addrs whose
// client may still wait on them (clientMayWait): the ones to Tickle.
func ListWaiting(addrs []netip.Addr, port int) ([]Session, error) {
	return list(addrs, port, clientMayWait)
}

func list(addrs []netip.Addr, port int, state func(uint8) bool) ([]Session, error) {
	socks, err := netlink.SocketDiagTCP(unix.AF_INET)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("tcpsess: list TCP sessions: %w", err)
	}
	var out []Session
	for _, s := range socks {
		local, ok := netip.AddrFromSlice(s.ID.Source.To4())
		if !ok || !state(s.State) || int(s.ID.SourcePort) != port || !slices.Contains(addrs, local) {
			continue
		}
		remote, ok := netip.AddrFromSlice(s.ID.Destination.To4())
		if !ok {
			continue
		}
		out = append(out, Session{Local: netip.AddrPortFrom(local, s.ID.SourcePort),
			Remote: netip.AddrPortFrom(remote, s.ID.DestinationPort), id: s.ID})
	}
	return out, nil
}

// Reset destroys the established TCP sessions to port on any of addrs
// (the writer VIPs) through the kernel's socket diagnostics (SOCK_DESTROY,
// CAP_NET_ADMIN) and returns how many it destroyed, and them. The kernel
// answers each with a reset, so a client waiting on a session of a
// demoted writer fails at once and reconnects. mysqld cannot end a
// session whose commit waits for a semisync acknowledgement until that
// wait ends. Once the address is gone from this host the reset cannot
// leave it (its source is no local address): Tickle the sessions then.
func Reset(addrs []netip.Addr, port int) (int, []Session, error) {
	sessions, err := List(addrs, port)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	var errs []error
	for _, s := range sessions {
		switch err := destroySocket(s.id); {
		case err == nil:
			n++
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESTALE): // it closed meanwhile
		default:
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, sessions, fmt.Errorf("tcpsess: reset TCP sessions: %w", err)
	}
	return n, sessions, nil
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
