package vip

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/mdlayher/arp"
)

func TestReconcile(t *testing.T) {
	managed := []netip.Addr{vip1, vip2, vip3}
	tests := []struct {
		name        string
		addrs       []string
		answers     map[netip.Addr][]*arp.Packet
		want        []netip.Addr
		managed     []netip.Addr
		wantAdded   []netip.Addr
		wantRemoved []netip.Addr
		wantErr     error
		wantAddrs   []string
	}{
		{
			name:        "diff: remove the unwanted, add the missing, keep the rest",
			addrs:       []string{"198.18.0.12/24", "198.18.0.100/32", "198.18.0.101/32", "198.18.0.102/32"},
			want:        []netip.Addr{vip1, vip3},
			managed:     managed,
			wantRemoved: []netip.Addr{vip2},
			wantAdded:   []netip.Addr{vip3},
			wantAddrs:   []string{"198.18.0.12/24", "198.18.0.100/32", "198.18.0.101/32", "198.18.0.103/32"},
		},
		{
			name:      "already converged: nothing to do",
			addrs:     []string{"198.18.0.12/24", "198.18.0.101/32"},
			want:      []netip.Addr{vip1},
			managed:   managed,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
		},
		{
			name:        "want none: only managed /32s go; host address and writer VIP stay",
			addrs:       []string{"198.18.0.12/24", "198.18.0.100/32", "198.18.0.101/32"},
			managed:     append([]netip.Addr{hostIP}, managed...),
			wantRemoved: []netip.Addr{vip1},
			wantAddrs:   []string{"198.18.0.12/24", "198.18.0.100/32"},
		},
		{
			name:      "want outside managed: refused before any change",
			addrs:     []string{"198.18.0.12/24", "198.18.0.102/32"},
			want:      []netip.Addr{writer},
			managed:   managed,
			wantErr:   ErrUnmanaged,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.102/32"},
		},
		{
			name:      "one duplicate: the other address is still added",
			addrs:     []string{"198.18.0.12/24"},
			answers:   map[netip.Addr][]*arp.Packet{vip1: {answer(otherMAC, vip1)}},
			want:      []netip.Addr{vip1, vip2},
			managed:   managed,
			wantAdded: []netip.Addr{vip2},
			wantErr:   ErrDuplicate,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.102/32"},
		},
		{
			name:      "want the host's own address: refused, the rest added",
			addrs:     []string{"198.18.0.12/24"},
			want:      []netip.Addr{hostIP, vip1},
			managed:   []netip.Addr{hostIP, vip1},
			wantAdded: []netip.Addr{vip1},
			wantErr:   ErrNotVIP,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
		},
		{
			name:      "not IPv4",
			managed:   []netip.Addr{netip.MustParseAddr("2001:db8::1")},
			wantErr:   ErrNotIPv4,
			wantAddrs: []string{"198.18.0.12/24"},
			addrs:     []string{"198.18.0.12/24"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nl := newFakeNetlink(tt.addrs...)
			conn := &fakeARP{answers: tt.answers}
			m, _ := newTestManager(t, nl, conn, Options{})
			res, err := m.Reconcile(context.Background(), tt.want, tt.managed)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(res.Added, tt.wantAdded) || !slices.Equal(res.Removed, tt.wantRemoved) {
				t.Errorf("result %+v, want added %v removed %v", res, tt.wantAdded, tt.wantRemoved)
			}
			if got := addrStrings(nl); !slices.Equal(got, tt.wantAddrs) {
				t.Errorf("addresses = %v, want %v", got, tt.wantAddrs)
			}
			// Idempotent: once converged, a second pass changes nothing.
			if err == nil {
				again, err := m.Reconcile(context.Background(), tt.want, tt.managed)
				if err != nil || again.Changed() {
					t.Errorf("second Reconcile = %+v, %v; want no change", again, err)
				}
			}
		})
	}
}

// TestReconcileSharesOneProbeAndAnnouncement: several missing addresses
// cost one probe window and one series of rounds, not one each.
func TestReconcileSharesOneProbeAndAnnouncement(t *testing.T) {
	nl, conn := newFakeNetlink("198.18.0.12/24"), &fakeARP{}
	m, w := newTestManager(t, nl, conn, Options{})
	res, err := m.Reconcile(context.Background(), []netip.Addr{vip1, vip2, vip3}, []netip.Addr{vip1, vip2, vip3})
	if err != nil || len(res.Added) != 3 {
		t.Fatalf("Reconcile = %+v, %v", res, err)
	}
	if n := len(conn.probes()); n != 3*DefaultProbeCount {
		t.Errorf("%d probe frames, want %d", n, 3*DefaultProbeCount)
	}
	if n := len(conn.announced()); n != 3*2*DefaultGarpCount {
		t.Errorf("%d announcement frames, want %d", n, 3*2*DefaultGarpCount)
	}
	if len(*w) != DefaultGarpCount-1 {
		t.Errorf("%d waits between rounds, want %d", len(*w), DefaultGarpCount-1)
	}
}

func TestReconcileRemoveFails(t *testing.T) {
	nl := newFakeNetlink("198.18.0.101/32", "198.18.0.102/32")
	nl.delErr = errBoom
	m, _ := newTestManager(t, nl, &fakeARP{}, Options{})
	res, err := m.Reconcile(context.Background(), []netip.Addr{vip3}, []netip.Addr{vip1, vip2, vip3})
	if !errors.Is(err, errBoom) || len(res.Removed) != 0 || !slices.Equal(res.Added, []netip.Addr{vip3}) {
		t.Fatalf("Reconcile = %+v, %v; want both removals failed and vip3 added", res, err)
	}
}
