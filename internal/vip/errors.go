package vip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

var (
	// ErrNotIPv4 is returned for an address that is not IPv4 (ARP is IPv4 only).
	ErrNotIPv4 = errors.New("vip: not an IPv4 address")
	// ErrNotVIP is returned when the address is on the interface with a
	// prefix other than /32: that is a host address, not ours to touch.
	ErrNotVIP = errors.New("vip: address is configured with a prefix other than /32")
	// ErrUnmanaged is returned by Reconcile when a wanted address is outside
	// the managed set.
	ErrUnmanaged = errors.New("vip: address outside the managed set")
	// ErrNotHeld is returned by Announce for an address this interface does
	// not hold: announcing it would steal another host's traffic.
	ErrNotHeld = errors.New("vip: address not held on this interface")
	// ErrDuplicate matches every *DuplicateError (errors.Is).
	ErrDuplicate = errors.New("vip: duplicate address")
	// ErrBadOptions is returned by New for negative counts or intervals.
	ErrBadOptions = errors.New("vip: bad options")
)

// DuplicateError reports that another host answered (or probed) for IP
// during a duplicate address probe. Add and Reconcile do not add such an IP.
type DuplicateError struct {
	IP  netip.Addr
	MAC net.HardwareAddr // the other host's sender hardware address
	// Probing is true when the other host was itself probing for IP (sender
	// 0.0.0.0) rather than answering for it: two hosts adding the same IP
	// at once, and both back off (RFC 5227 2.1.1).
	Probing bool
}

func (e *DuplicateError) Error() string {
	if e.Probing {
		return fmt.Sprintf("vip: duplicate address: %s is being probed for by %s at the same time", e.IP, e.MAC)
	}
	return fmt.Sprintf("vip: duplicate address: %s answered by %s", e.IP, e.MAC)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }
