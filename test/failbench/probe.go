package failbench

import (
	"context"
	"database/sql"
	"net/netip"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// mastersSampler reads read_only on db1 and db2 every interval, as root
// over their sockets (so a host cut from the network still answers), and
// adds up the time both were writable. A server whose mysqld is down
// takes no writes; one that does not answer within the interval counts
// as not writable, and the sample is noted as silent.
type mastersSampler struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	samples int
	silent  int
	both    time.Duration
	firstAt time.Time // first sample with both writable
}

func sampleMasters(l *lab.Lab, interval time.Duration) *mastersSampler {
	ctx, cancel := context.WithCancel(context.Background())
	m := &mastersSampler{cancel: cancel, done: make(chan struct{})}
	names := []string{"db1", "db2"}
	pools := map[string]*sql.DB{}
	for _, h := range names {
		if s, err := l.Server(h); err == nil {
			if db, err := s.Open(""); err == nil {
				db.SetMaxOpenConns(1)
				pools[h] = db
			}
		}
	}
	go func() {
		defer close(m.done)
		defer func() {
			for _, db := range pools {
				db.Close()
			}
		}()
		var prev time.Time
		prevBoth := false
		for ctx.Err() == nil {
			at := time.Now()
			writable, silent := 0, false
			for _, h := range names {
				s, _ := l.Server(h)
				if pools[h] == nil || s == nil || !s.Running() {
					continue
				}
				qctx, cancel := context.WithTimeout(ctx, 2*interval)
				var ro int
				err := pools[h].QueryRowContext(qctx, "SELECT @@read_only").Scan(&ro)
				cancel()
				switch {
				case err != nil:
					silent = true
				case ro == 0:
					writable++
				}
			}
			m.mu.Lock()
			m.samples++
			if silent {
				m.silent++
			}
			// The time from a sample that saw both writable to the next.
			if prevBoth && !prev.IsZero() {
				m.both += at.Sub(prev)
			}
			prevBoth = writable == 2
			if prevBoth && m.firstAt.IsZero() {
				m.firstAt = at
			}
			m.mu.Unlock()
			prev = at
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(at.Add(interval))):
			}
		}
		// A last sample that saw both writable counts until the end.
		m.mu.Lock()
		if prevBoth {
			m.both += time.Since(prev)
		}
		m.mu.Unlock()
	}()
	return m
}

// stop ends the sampling: the time both masters were writable, the
// number of samples and of silent ones.
func (m *mastersSampler) stop() (both time.Duration, samples, silent int) {
	m.cancel()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.both, m.samples, m.silent
}

// readerProbe connects from app to a reader VIP's MySQL port every
// interval (connect and the server's greeting, each bounded) and keeps
// the times it answered.
type readerProbe struct {
	ip     netip.Addr
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	oks []time.Time
}

func probeReader(l *lab.Lab, ip netip.Addr, interval, limit time.Duration) *readerProbe {
	ctx, cancel := context.WithCancel(context.Background())
	p := &readerProbe{ip: ip, cancel: cancel, done: make(chan struct{})}
	addr := netip.AddrPortFrom(ip, lab.MySQLPort).String()
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			at := time.Now()
			if answered(ctx, l, addr, limit) {
				p.mu.Lock()
				p.oks = append(p.oks, time.Now())
				p.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(at.Add(interval))):
			}
		}
	}()
	return p
}

// answered reports whether addr accepted a connection from app and sent
// the first bytes of its greeting within limit.
func answered(ctx context.Context, l *lab.Lab, addr string, limit time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c, err := l.Dial(ctx, "app", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	_ = c.SetReadDeadline(dl)
	b := make([]byte, 4)
	n, err := c.Read(b)
	return err == nil && n > 0
}

// stop ends the probe and returns the longest time without an answer
// between the last answer before from and the end (or since from when
// none came before).
func (p *readerProbe) stop(from time.Time) time.Duration {
	p.cancel()
	<-p.done
	end := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	return longestGap(p.oks, from, end)
}

// longestGap returns the longest gap between consecutive times of ts
// (sorted) from the last one at or before from (or from itself) to end,
// the time after the last one included.
func longestGap(ts []time.Time, from, end time.Time) time.Duration {
	prev := from
	for _, t := range ts {
		if !t.After(from) {
			prev = t
		}
	}
	var gap time.Duration
	for _, t := range ts {
		if !t.After(from) || t.After(end) {
			continue
		}
		gap = max(gap, t.Sub(prev))
		prev = t
	}
	return max(gap, end.Sub(prev))
}
