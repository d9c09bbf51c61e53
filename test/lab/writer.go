package lab

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The writer by hand, for labs without coordinators (tests of keepalived
// and mmm-notify, benchmarks of what keepalived does alone), and a sampler
// that checks the one invariant of the writer role.

// Move is what MoveWriter did, with the time each step was done.
type Move struct {
	From, To string
	Start    time.Time
	Fenced   time.Time // From read_only=1 (by mmm-notify); zero when From is down
	CaughtUp time.Time // To applied what From had; zero when From is down
	Promoted time.Time // To read_only=0
	VIP      time.Time // the writer VIP on To
}

func (m Move) String() string {
	since := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Sub(m.Start).Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%s -> %s: fenced %s, caught up %s, promoted %s, VIP %s",
		m.From, m.To, since(m.Fenced), since(m.CaughtUp), since(m.Promoted), since(m.VIP))
}

// MoveWriter moves the writer from one master to the other in the order
// the coordinator does (docs/architecture.md, "Failover"): From's track file
// closes (keepalived: FAULT, mmm-notify fences it; MoveWriter waits for
// read_only=1 there when its mysqld runs), To applies what From had, To
// opens for writes, To's track file opens (keepalived: BACKUP, which
// mmm-notify must not fence, then MASTER), and the writer VIP arrives on
// To. It returns when To holds the VIP and no mmm-notify runs.
func (l *Lab) MoveWriter(ctx context.Context, from, to string) (Move, error) {
	m := Move{From: from, To: to, Start: time.Now()}
	fs, err := l.Server(from)
	if err != nil {
		return m, err
	}
	ts, err := l.Server(to)
	if err != nil {
		return m, err
	}
	if err := l.SetWriterEligible(from, false); err != nil {
		return m, err
	}
	var pos string
	if fs.Running() {
		r, err := openRoot(fs)
		if err != nil {
			return m, err
		}
		defer r.Close()
		err = pollFine(ctx, 10*time.Second, func() (bool, error) {
			ro, err := r.queryString(ctx, "SELECT @@read_only")
			return err == nil && ro == "1", nil
		})
		if err != nil {
			return m, fmt.Errorf("lab: %s not fenced after its track file closed: %w (see %s)", from, err, l.NotifyLogPath())
		}
		m.Fenced = time.Now()
		if pos, err = r.queryString(ctx, "SELECT @@gtid_binlog_pos"); err != nil {
			return m, err
		}
	}
	if pos != "" {
		// A master restarted since (skip_slave_start) does not replicate
		// by itself; START SLAVE on a running one only warns.
		if err := ts.Exec(ctx, "START SLAVE"); err != nil {
			return m, err
		}
		if err := waitGTID(ctx, ts, pos); err != nil {
			return m, err
		}
		m.CaughtUp = time.Now()
	}
	if err := ts.Exec(ctx, "SET GLOBAL read_only=OFF"); err != nil {
		return m, err
	}
	m.Promoted = time.Now()
	if err := l.SetWriterEligible(to, true); err != nil {
		return m, err
	}
	err = pollFine(ctx, 15*time.Second, func() (bool, error) {
		holders, err := l.VIPHolders(WriterVIP)
		return slices.Contains(holders, to), err
	})
	if err != nil {
		return m, fmt.Errorf("lab: the writer VIP did not come to %s: %w (see %s)", to, err, l.KeepalivedLogPath(to))
	}
	m.VIP = time.Now()
	return m, l.WaitNotifyIdle(ctx)
}

// pollFine is poll every 5 ms: MoveWriter's times are measurements.
func pollFine(ctx context.Context, limit time.Duration, done func() (bool, error)) error {
	return pollEvery(ctx, limit, 5*time.Millisecond, done)
}

// WriterSample is one look at the writer role: who holds the writer VIP,
// which servers are writable (read_only=0), which did not answer.
type WriterSample struct {
	At                        time.Time
	Holders, Writable, Silent []string
}

// Violates reports whether a server is writable while another server
// that holds the writer VIP is writable too: two writers behind one VIP's
// history (split brain).
func (s WriterSample) Violates() bool {
	for _, h := range s.Holders {
		if slices.Contains(s.Writable, h) && len(s.Writable) > 1 {
			return true
		}
	}
	return false
}

func (s WriterSample) String() string {
	return fmt.Sprintf("%s VIP on [%s], writable [%s], silent [%s]", s.At.Format("15:04:05.000"),
		strings.Join(s.Holders, " "), strings.Join(s.Writable, " "), strings.Join(s.Silent, " "))
}

// WriterSampler samples the writer role in the background.
type WriterSampler struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	samples    int
	silent     int
	violations []WriterSample
	last       WriterSample
}

// SampleWriters starts sampling every interval (the VIP's holders by
// netlink, read_only of every db host as root over its socket, each
// bounded by the interval) until Stop.
func (l *Lab) SampleWriters(interval time.Duration) *WriterSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &WriterSampler{cancel: cancel, done: make(chan struct{})}
	pools := map[string]*sql.DB{}
	for _, h := range DBHosts() {
		if db, err := l.servers[h.Name].Open(""); err == nil {
			db.SetMaxOpenConns(1)
			pools[h.Name] = db
		}
	}
	go func() {
		defer close(s.done)
		defer func() {
			for _, db := range pools {
				db.Close()
			}
		}()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.record(l.sampleWriters(ctx, pools, interval))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (l *Lab) sampleWriters(ctx context.Context, pools map[string]*sql.DB, limit time.Duration) WriterSample {
	ws := WriterSample{At: time.Now()}
	ws.Holders, _ = l.VIPHolders(WriterVIP)
	for _, h := range DBHosts() {
		db := pools[h.Name]
		if db == nil || !l.servers[h.Name].Running() {
			continue // down: takes no writes
		}
		qctx, cancel := context.WithTimeout(ctx, limit)
		var ro int
		err := db.QueryRowContext(qctx, "SELECT @@read_only").Scan(&ro)
		cancel()
		switch {
		case err != nil:
			ws.Silent = append(ws.Silent, h.Name)
		case ro == 0:
			ws.Writable = append(ws.Writable, h.Name)
		}
	}
	return ws
}

func (s *WriterSampler) record(ws WriterSample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples++
	if len(ws.Silent) > 0 {
		s.silent++
	}
	if ws.Violates() {
		s.violations = append(s.violations, ws)
	}
	s.last = ws
}

// WriterReport sums up a sampling.
type WriterReport struct {
	Samples    int
	Silent     int // samples in which a running server did not answer
	Violations []WriterSample
	Last       WriterSample
}

// Stop ends the sampling and returns what it saw.
func (s *WriterSampler) Stop() WriterReport {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return WriterReport{Samples: s.samples, Silent: s.silent, Violations: s.violations, Last: s.last}
}
