package coordinator

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// TestResetSessions: a client of an address in the list hears a reset at
// once; sessions on other ports are left alone.
func TestResetSessions(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("destroying sockets needs CAP_NET_ADMIN: run as root (CI does)")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	defer server.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	lo := netip.MustParseAddr("127.0.0.1")

	if n, err := resetSessions([]netip.Addr{lo}, port+1); err != nil || n != 0 {
		t.Fatalf("another port: %d reset, %v", n, err)
	}
	n, err := resetSessions([]netip.Addr{lo}, port)
	if err != nil || n != 1 {
		t.Fatalf("reset %d, %v; want the one session", n, err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := client.Read(make([]byte, 1)); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("client read: %v after %v, want a reset at once", err, time.Since(start))
	}
}
