package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMP pings with one ICMP echo request. It uses an unprivileged ping
// socket where net.ipv4.ping_group_range allows this process's group,
// and a raw socket otherwise (root or CAP_NET_RAW). The zero value is
// ready.
type ICMP struct{}

var _ Pinger = ICMP{}

// family holds what differs between ICMPv4 and ICMPv6.
type family struct {
	dgram, raw, any string
	proto           int
	request, reply  icmp.Type
}

var (
	inet4 = family{"udp4", "ip4:icmp", "0.0.0.0", 1, ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply}
	inet6 = family{"udp6", "ip6:ipv6-icmp", "::", 58, ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply}
)

// Ping sends one echo request to ip and waits for its reply until ctx
// ends.
func (ICMP) Ping(ctx context.Context, ip netip.Addr) error {
	f := inet4
	if ip.Is6() && !ip.Is4In6() {
		f = inet6
	}
	ip = ip.Unmap()
	conn, raw, err := listenICMP(f)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}

	id, seq := rand.IntN(1<<16), rand.IntN(1<<16)
	nonce := binaryNonce()
	msg := icmp.Message{Type: f.request, Body: &icmp.Echo{ID: id, Seq: seq, Data: nonce}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return fmt.Errorf("checks: icmp echo: %w", err)
	}
	var dst net.Addr = &net.UDPAddr{IP: ip.AsSlice()}
	if raw {
		dst = &net.IPAddr{IP: ip.AsSlice()}
	}
	if _, err := conn.WriteTo(b, dst); err != nil {
		return echoError(err)
	}
	buf := make([]byte, 1500)
	for {
		n, peer, err := conn.ReadFrom(buf)
		if err != nil {
			return echoError(err)
		}
		if addrOf(peer) != ip {
			continue
		}
		m, err := icmp.ParseMessage(f.proto, buf[:n])
		if err != nil || m.Type != f.reply {
			continue
		}
		// A ping socket's kernel rewrites the ID and filters replies by it;
		// on a raw socket every reply arrives, so the ID must match too.
		if e, ok := m.Body.(*icmp.Echo); ok && e.Seq == seq && bytes.Equal(e.Data, nonce) && (!raw || e.ID == id) {
			return nil
		}
	}
}

// echoError wraps a socket error; a deadline means no answer.
func echoError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("checks: icmp echo: %w: %w", ErrNoAnswer, err)
	}
	return fmt.Errorf("checks: icmp echo: %w", err)
}

// listenICMP opens a ping socket, or a raw socket when ping sockets are
// not allowed; raw reports which.
func listenICMP(f family) (conn *icmp.PacketConn, raw bool, err error) {
	conn, err = icmp.ListenPacket(f.dgram, f.any)
	if err == nil {
		return conn, false, nil
	}
	conn, rerr := icmp.ListenPacket(f.raw, f.any)
	if rerr == nil {
		return conn, true, nil
	}
	return nil, false, fmt.Errorf("%w: ping socket: %v; raw socket: %v", ErrNoICMP, err, rerr)
}

// addrOf is the IP of a ping or raw socket's peer address.
func addrOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.IPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// binaryNonce is 8 random bytes that tie a reply to this request.
func binaryNonce() []byte {
	b := make([]byte, 8)
	u := rand.Uint64()
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return b
}
