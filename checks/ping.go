package checks

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"time"
)

// Pinger asks whether a host answers: an ICMP echo (ICMP) or a TCP
// connect (TCPConnect). It returns nil on an answer, an error wrapping
// ErrNoAnswer when none came before ctx ended, ErrNoICMP when it cannot
// send at all, and syscall.ECONNREFUSED when a TCP connect was refused.
type Pinger interface {
	Ping(ctx context.Context, ip netip.Addr) error
}

// Ping is MMM's ping check: does the host answer? Unlike MMM, which
// ignored the configured timeout and waited 0.5 s, it waits Timeout, and
// it can use a TCP connect where ICMP is filtered (ping_method tcp). A
// refused connect counts as an answer: the host's kernel replied.
type Ping struct {
	Pinger  Pinger
	IP      netip.Addr
	Timeout time.Duration
}

var _ Check = Ping{}

// Name returns "ping".
func (Ping) Name() string { return "ping" }

// Run pings c.IP once.
func (c Ping) Run(ctx context.Context) Result {
	return run(ctx, c.Name(), c.Timeout, func(ctx context.Context) (Status, string) {
		err := c.Pinger.Ping(ctx, c.IP)
		switch {
		case err == nil:
			return StatusOK, ""
		case errors.Is(err, syscall.ECONNREFUSED):
			return StatusOK, "Host answered: connection refused"
		case cancelled(ctx, err):
			return StatusUnknown, "Error occurred: check cancelled"
		case errors.Is(err, ErrNoICMP):
			return StatusFailed, detail(err) + " (run as root, allow this group in net.ipv4.ping_group_range, or set ping_method tcp)"
		case errors.Is(err, ErrNoAnswer) || timedOut(ctx, err):
			return StatusFailed, "Could not ping " + c.IP.String()
		}
		return StatusFailed, "Could not ping " + c.IP.String() + ": " + detail(err)
	})
}
