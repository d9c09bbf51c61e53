package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
)

// TCPConnect pings by opening a TCP connection to Port and closing it at
// once (ping_method tcp), for networks that drop ICMP. A refused
// connection is returned as an error wrapping syscall.ECONNREFUSED: Ping
// counts it as an answer.
type TCPConnect struct {
	Port int
}

var _ Pinger = TCPConnect{}

// Ping connects to ip:Port until ctx ends.
func (t TCPConnect) Ping(ctx context.Context, ip netip.Addr) error {
	addr := netip.AddrPortFrom(ip.Unmap(), uint16(t.Port)).String()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("checks: tcp connect to %s: %w: %w", addr, ErrNoAnswer, err)
		}
		return fmt.Errorf("checks: tcp connect to %s: %w", addr, err)
	}
	return c.Close()
}
