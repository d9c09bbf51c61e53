package tcpsess

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// tickleWindow is the window the tickle advertises; any will do.
const tickleWindow = 1024

// Tickle sends each session's client a bare ACK from the session's local
// address with sequence and acknowledgement numbers 0: outside the
// session's window, so the client answers with an ACK of its own (see
// the package doc) that ends the session wherever the address now is
// without it. The source address need not be on this host any more: the
// packet is built whole (a raw socket, CAP_NET_RAW). A client answers
// such an ACK at most every net.ipv4.tcp_invalid_ratelimit (500 ms) per
// session: repeat it no faster. It returns how many it sent.
func Tickle(sessions []Session) (int, error) {
	if len(sessions) == 0 {
		return 0, nil
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return 0, fmt.Errorf("tcpsess: tickle: raw socket: %w", err)
	}
	defer unix.Close(fd)
	n := 0
	var errs []error
	for _, s := range sessions {
		pkt, err := tickleACK(s.Local, s.Remote)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := unix.Sendto(fd, pkt, 0, &unix.SockaddrInet4{Addr: s.Remote.Addr().As4()}); err != nil {
			errs = append(errs, fmt.Errorf("tcpsess: tickle %s: %w", s.Remote, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// tickleACK builds the IPv4 packet of a tickle from src to dst: a
// 20-byte IP header (the kernel fills in its checksum, and the ID when
// it is 0) and a 20-byte TCP header with only ACK set, seq and ack 0.
func tickleACK(src, dst netip.AddrPort) ([]byte, error) {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return nil, fmt.Errorf("tcpsess: tickle %s -> %s: IPv4 only", src, dst)
	}
	b := make([]byte, 40)
	ip, tcp := b[:20], b[20:]
	ip[0] = 4<<4 | 5 // version, header length in words
	binary.BigEndian.PutUint16(ip[2:], uint16(len(b)))
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
	ip[8] = 64                                 // TTL
	ip[9] = unix.IPPROTO_TCP
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))

	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	// seq and ack (4..12) stay 0
	tcp[12] = 5 << 4 // data offset in words
	tcp[13] = 0x10   // ACK
	binary.BigEndian.PutUint16(tcp[14:], tickleWindow)
	// The pseudo-header: source, destination, protocol, TCP length.
	var sum uint32
	for i := 0; i < 4; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(s4[i:])) + uint32(binary.BigEndian.Uint16(d4[i:]))
	}
	sum += unix.IPPROTO_TCP + uint32(len(tcp))
	binary.BigEndian.PutUint16(tcp[16:], checksum(tcp, sum))
	return b, nil
}

// checksum is the Internet checksum (RFC 1071) of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
