package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mdlayher/arp"
)

// ARPWatch asks, from one lab host, who has each of a set of addresses,
// round after round, and notes every round in which two MACs answered
// for the same address: the duplicate IP a client may meet.
// Every ARP packet whose sender IP is a watched address counts as an
// answer: replies to its requests and the holders' gratuitous ARP.
type ARPWatch struct {
	client *arp.Client
	ips    []netip.Addr
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	rounds    int
	conflicts []ARPConflict
	seen      map[netip.Addr]map[string]bool
	err       error
}

// ARPConflict is one round in which IP was answered by several MACs.
type ARPConflict struct {
	At   time.Time
	IP   netip.Addr
	MACs []string
}

func (c ARPConflict) String() string {
	return fmt.Sprintf("%s %s answered by %s", c.At.Format("15:04:05.000"), c.IP, strings.Join(c.MACs, " and "))
}

// WatchARP starts asking from host's eth0 every interval (the round's
// length) for each of ips. Stop ends it.
func (l *Lab) WatchARP(host string, ips []netip.Addr, interval time.Duration) (*ARPWatch, error) {
	if _, err := LookupHost(host); err != nil {
		return nil, err
	}
	if err := CheckAddrs(ips...); err != nil {
		return nil, err
	}
	var c *arp.Client
	err := inNamespace(l.Namespace(host), func() error {
		ifi, err := net.InterfaceByName(hostIface)
		if err != nil {
			return err
		}
		c, err = arp.Dial(ifi)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lab: ARP watch on %s: %w", host, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &ARPWatch{client: c, ips: ips, cancel: cancel, done: make(chan struct{}),
		seen: map[netip.Addr]map[string]bool{}}
	go w.run(ctx, interval)
	return w, nil
}

func (w *ARPWatch) run(ctx context.Context, interval time.Duration) {
	defer close(w.done)
	defer w.client.Close()
	for ctx.Err() == nil {
		if err := w.round(ctx, interval); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
	}
}

// round sends one request per address and collects answers until the
// round ends.
func (w *ARPWatch) round(ctx context.Context, interval time.Duration) error {
	start := time.Now()
	end := start.Add(interval)
	for _, ip := range w.ips {
		if err := w.client.Request(ip); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
	}
	macs := map[netip.Addr]map[string]bool{}
	for time.Now().Before(end) && ctx.Err() == nil {
		if err := w.client.SetReadDeadline(end); err != nil {
			return err
		}
		p, _, err := w.client.Read()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			continue // not ARP, or a frame arp cannot parse
		}
		if !slices.Contains(w.ips, p.SenderIP) {
			continue
		}
		if macs[p.SenderIP] == nil {
			macs[p.SenderIP] = map[string]bool{}
		}
		macs[p.SenderIP][p.SenderHardwareAddr.String()] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rounds++
	for ip, set := range macs {
		if w.seen[ip] == nil {
			w.seen[ip] = map[string]bool{}
		}
		for m := range set {
			w.seen[ip][m] = true
		}
		if len(set) > 1 {
			var list []string
			for m := range set {
				list = append(list, m)
			}
			slices.Sort(list)
			w.conflicts = append(w.conflicts, ARPConflict{At: start, IP: ip, MACs: list})
		}
	}
	return nil
}

// ARPReport is what an ARPWatch saw.
type ARPReport struct {
	Rounds    int
	Conflicts []ARPConflict
	// Seen lists, per address, every MAC that answered for it.
	Seen map[netip.Addr][]string
	Err  error // why the watch ended early, if it did
}

// Stop ends the watch and returns its report.
func (w *ARPWatch) Stop() ARPReport {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	r := ARPReport{Rounds: w.rounds, Conflicts: slices.Clone(w.conflicts), Err: w.err, Seen: map[netip.Addr][]string{}}
	for ip, set := range w.seen {
		for m := range set {
			r.Seen[ip] = append(r.Seen[ip], m)
		}
		slices.Sort(r.Seen[ip])
	}
	return r
}

// MACOf returns the MAC address of host's eth0.
func (l *Lab) MACOf(host string) (string, error) {
	if _, err := LookupHost(host); err != nil {
		return "", err
	}
	var mac string
	err := inNamespace(l.Namespace(host), func() error {
		ifi, err := net.InterfaceByName(hostIface)
		if err == nil {
			mac = ifi.HardwareAddr.String()
		}
		return err
	})
	return mac, err
}
