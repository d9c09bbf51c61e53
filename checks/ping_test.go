package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func TestPing(t *testing.T) {
	ip := netip.MustParseAddr("198.18.0.12")
	runTable(t, func(f *fake) Check { return Ping{Pinger: f, IP: ip, Timeout: time.Second} }, []want{
		{"answer", &fake{}, StatusOK, ""},
		{"refused counts as an answer", &fake{err: fmt.Errorf("checks: tcp connect: %w", syscall.ECONNREFUSED)}, StatusOK, "Host answered: connection refused"},
		{"no answer", &fake{err: fmt.Errorf("checks: ping: %w: %w", ErrNoAnswer, os.ErrDeadlineExceeded)}, StatusFailed, "Could not ping 198.18.0.12"},
		{"deadline", &fake{err: context.DeadlineExceeded}, StatusFailed, "Could not ping 198.18.0.12"},
		{"unreachable", &fake{err: fmt.Errorf("checks: icmp echo: %w", syscall.ENETUNREACH)}, StatusFailed,
			"Could not ping 198.18.0.12: icmp echo: network is unreachable"},
		{"no ICMP", &fake{err: fmt.Errorf("%w: ping socket: x; raw socket: y", ErrNoICMP)}, StatusFailed,
			"ICMP echo is not available: ping socket: x; raw socket: y (run as root, allow this group in net.ipv4.ping_group_range, or set ping_method tcp)"},
		{"cancelled", &fake{err: context.Canceled}, StatusUnknown, "Error occurred: check cancelled"},
	})
}

func TestICMPLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := ICMP{}.Ping(ctx, loopback)
	if errors.Is(err, ErrNoICMP) {
		t.Skipf("this process may open neither a ping socket nor a raw socket: %v", err)
	}
	if err != nil {
		t.Fatalf("ping 127.0.0.1: %v", err)
	}
	if r := (Ping{Pinger: ICMP{}, IP: loopback, Timeout: time.Second}).Run(ctx); r.Status != StatusOK {
		t.Errorf("ping check: %v", r)
	}
}

func TestICMPNoAnswer(t *testing.T) {
	// An expired deadline: nothing can come back in time, and it says so
	// without sending anything anywhere but loopback.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	err := ICMP{}.Ping(ctx, loopback)
	if errors.Is(err, ErrNoICMP) {
		t.Skipf("no ICMP socket: %v", err)
	}
	if !errors.Is(err, ErrNoAnswer) {
		t.Errorf("Ping with an expired deadline: %v, want ErrNoAnswer", err)
	}
	if err := echoError(syscall.ENETUNREACH); errors.Is(err, ErrNoAnswer) || !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("echoError(ENETUNREACH) = %v", err)
	}
}

func TestListenICMP(t *testing.T) {
	// IPv6 may be off (the lab turns it off); either way no hang, and a
	// failure wraps ErrNoICMP.
	c, raw, err := listenICMP(inet6)
	if err != nil {
		if !errors.Is(err, ErrNoICMP) {
			t.Errorf("listenICMP(inet6): %v, want ErrNoICMP", err)
		}
		return
	}
	t.Logf("ICMPv6 socket, raw=%v", raw)
	c.Close()
}

func TestAddrOf(t *testing.T) {
	for _, a := range []net.Addr{
		&net.UDPAddr{IP: net.ParseIP("198.18.0.11")},
		&net.IPAddr{IP: net.ParseIP("198.18.0.11").To4()},
	} {
		if got := addrOf(a); got != netip.MustParseAddr("198.18.0.11") {
			t.Errorf("addrOf(%v) = %v", a, got)
		}
	}
	if got := addrOf(&net.TCPAddr{}); got.IsValid() {
		t.Errorf("addrOf(TCPAddr) = %v, want invalid", got)
	}
}

func TestTCPConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := (TCPConnect{Port: port}).Ping(ctx, loopback); err != nil {
		t.Errorf("connect to a listener: %v", err)
	}
	ln.Close() // now nothing listens there: refused
	err = TCPConnect{Port: port}.Ping(ctx, loopback)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
	}
	r := Ping{Pinger: TCPConnect{Port: port}, IP: loopback, Timeout: time.Second}.Run(ctx)
	checkResult(t, r, StatusOK, "Host answered: connection refused")

	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if err := (TCPConnect{Port: port}).Ping(expired, loopback); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("connect with an expired deadline: %v, want ErrNoAnswer", err)
	}
}
