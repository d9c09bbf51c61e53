package tcpsess

import (
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestReset: a client of an address in the list hears a reset at
// once; sessions on other ports are left alone.
func TestReset(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("destroying sockets needs CAP_NET_ADMIN: run as root (CI does)")
	}
	ln, client, server := session(t, "127.0.0.1:0", net.Dialer{})
	defer ln.Close()
	defer client.Close()
	defer server.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	lo := netip.MustParseAddr("127.0.0.1")

	if n, _, err := Reset([]netip.Addr{lo}, port+1); err != nil || n != 0 {
		t.Fatalf("another port: %d reset, %v", n, err)
	}
	n, listed, err := Reset([]netip.Addr{lo}, port)
	if err != nil || n != 1 || len(listed) != 1 || listed[0].Remote.String() != client.LocalAddr().String() {
		t.Fatalf("reset %d (%v), %v; want the one session from %s", n, listed, err, client.LocalAddr())
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := client.Read(make([]byte, 1)); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("client read: %v after %v, want a reset at once", err, time.Since(start))
	}
}

// TestResetSpareListener: a session that closed between the
// listing and the destroy must not take the listening socket with it.
// The kernel looks the destroyed socket up by its addresses and, when
// the session is gone, falls back to the port's listener: without the
// socket's cookie in the request, mysqld's listener was destroyed and
// it could never accept a connection again.
func TestResetSpareListener(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("destroying sockets needs CAP_NET_ADMIN: run as root (CI does)")
	}
	ln := rawListener(t)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	accept := func() (net.Conn, net.Conn) {
		t.Helper()
		accepted := make(chan net.Conn, 1)
		go func() {
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			c, err := ln.Accept()
			if err != nil {
				t.Errorf("accept: %v", err)
			}
			accepted <- c
		}()
		client, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		server := <-accepted
		if server == nil {
			t.FailNow()
		}
		return client, server
	}
	client, server := accept()
	var stale []netlink.SocketID
	socks, err := netlink.SocketDiagTCP(unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if int(s.ID.SourcePort) == port && s.State == tcpEstablished {
			stale = append(stale, s.ID)
		}
	}
	if len(stale) != 1 {
		t.Fatalf("want the one server-side session listed, got %d", len(stale))
	}
	// The client closes first: the server side ends without a TIME_WAIT
	// of its own, so its addresses now lead to the listener.
	client.Close()
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := server.Read(make([]byte, 1)); err == nil {
		t.Fatal("the server side read data, want EOF")
	}
	server.Close()
	deadline := time.Now().Add(10 * time.Second)
	for gone := false; !gone; {
		socks, _ := netlink.SocketDiagTCP(unix.AF_INET)
		gone = !slices.ContainsFunc(socks, func(s *netlink.Socket) bool { return s.ID.Cookie == stale[0].Cookie })
		if !gone && time.Now().After(deadline) {
			t.Fatal("the closed session is still listed after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := destroySocket(stale[0]); err == nil {
		t.Error("destroying a session that closed succeeded: something else was destroyed")
	}
	c2, s2 := accept()
	c2.Close()
	s2.Close()
}

// rawListener listens on 127.0.0.1 through a socket made as mysqld makes
// its own (socket, bind, listen): the kernel destroyed such a listener
// on a lookup that fell back to it, where one made by package net
// survived.
func rawListener(t *testing.T) net.Listener {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestClientMayWait(t *testing.T) {
	// include/net/tcp_states.h
	for state, want := range map[uint8]bool{1: true, 2: false, 3: true, 4: true, 5: true, 6: false, 7: false, 8: true, 9: true, 10: false, 11: true, 12: true} {
		if state == 2 { // SYN_SENT: a client socket, never listed for a server port
			continue
		}
		if got := clientMayWait(state); got != want {
			t.Errorf("state %d: %v, want %v", state, got, want)
		}
	}
}

// session listens on addr and connects to it with d: the listener and
// both ends of one session.
func session(t *testing.T, addr string, d net.Dialer) (ln net.Listener, client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err = d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	return ln, client, <-accepted
}
