package tcpsess

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestTickleACK: the packet is what the package doc says, and both
// checksums verify (the sum over the header, with the pseudo-header for
// TCP, is 0xffff).
func TestTickleACK(t *testing.T) {
	src := netip.MustParseAddrPort("198.18.0.100:3306")
	dst := netip.MustParseAddrPort("198.18.0.30:51234")
	b, err := tickleACK(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	ip, tcp := b[:20], b[20:]
	if checksum(ip, 0) != 0 {
		t.Errorf("IP header checksum does not verify: % x", ip)
	}
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	pseudo := append(append(append([]byte{}, s4[:]...), d4[:]...), 0, unix.IPPROTO_TCP, 0, byte(len(tcp)))
	if checksum(append(pseudo, tcp...), 0) != 0 {
		t.Errorf("TCP checksum does not verify: % x", tcp)
	}
	if got := netip.AddrFrom4([4]byte(ip[12:16])); got != src.Addr() {
		t.Errorf("source %v, want %v", got, src.Addr())
	}
	if binary.BigEndian.Uint16(tcp[0:]) != 3306 || binary.BigEndian.Uint16(tcp[2:]) != 51234 ||
		binary.BigEndian.Uint64(tcp[4:]) != 0 || tcp[13] != 0x10 {
		t.Errorf("TCP header % x: want ports 3306 -> 51234, seq and ack 0, ACK only", tcp)
	}
	if _, err := tickleACK(netip.MustParseAddrPort("[2001:db8::1]:3306"), dst); err == nil {
		t.Error("IPv6 accepted")
	}
}

// TestTickle plays a failover in a private network namespace: a client
// of the VIP waits for an answer; the server's host loses the VIP, so
// that ending its session sends nothing the client hears (the client
// still has it); the VIP comes up where no session exists (the new
// writer). Without the tickle the client would wait out its timeout;
// with it, it reads a reset.
func TestTickle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a network namespace, raw sockets and SOCK_DESTROY need root (CI runs as root)")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The thread stays locked: it dies with the goroutine, and its
		// namespace with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		tickleFailover(t)
	}()
	<-done
}

func tickleFailover(t *testing.T) {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParseAddr("198.18.0.100")
	vipAddr := &netlink.Addr{IPNet: &net.IPNet{IP: vip.AsSlice(), Mask: net.CIDRMask(32, 32)}}
	clientAddr := &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(198, 18, 0, 30), Mask: net.CIDRMask(32, 32)}}
	for _, a := range []*netlink.Addr{vipAddr, clientAddr} {
		if err := netlink.AddrAdd(lo, a); err != nil {
			t.Fatal(err)
		}
	}
	// No keepalive: its probe would find out too (Go's default: 15 s),
	// as an application's client library usually does not.
	ln, client, server := session(t, "198.18.0.100:3306",
		net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(198, 18, 0, 30)}, KeepAlive: -1})
	defer ln.Close()
	defer client.Close()
	defer server.Close()
	sessions, err := List([]netip.Addr{vip}, 3306)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("listed %v, %v; want the one session", sessions, err)
	}

	// The VIP leaves: the reset of the destroyed session cannot go out.
	if err := netlink.AddrDel(lo, vipAddr); err != nil {
		t.Fatal(err)
	}
	if n, _, err := Reset([]netip.Addr{vip}, 3306); err != nil || n != 1 {
		t.Fatalf("reset %d, %v", n, err)
	}
	// ... and comes up "elsewhere": here, without the session.
	if err := netlink.AddrAdd(lo, vipAddr); err != nil {
		t.Fatal(err)
	}
	if !clientEstablished(t, client) {
		t.Fatal("the client heard of the destroyed session: this test shows nothing")
	}
	if n, err := Tickle(sessions); err != nil || n != 1 {
		t.Fatalf("tickled %d, %v", n, err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = client.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read after the tickle: %v, want a reset", err)
	}
}

// clientEstablished reports whether the client's side of conn is still
// an established session.
func clientEstablished(t *testing.T, conn net.Conn) bool {
	t.Helper()
	local := conn.LocalAddr().(*net.TCPAddr)
	socks, err := netlink.SocketDiagTCP(unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if int(s.ID.SourcePort) == local.Port && s.ID.Source.Equal(local.IP) {
			return s.State == tcpEstablished
		}
	}
	return false
}
