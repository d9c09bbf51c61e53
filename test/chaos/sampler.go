package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// sample is one look at the writer role: which servers are writable
// (read_only=0, asked as root over their sockets), which live hosts hold
// the writer VIP (a VIP left on a dead host's unplugged interface answers
// no one and does not count).
type sample struct {
	At       time.Time
	Writable []string
	Holders  []string
	Silent   []string // running, not frozen, but no answer within the bound
}

func (s sample) String() string {
	return fmt.Sprintf("%s writable [%s] VIP on [%s] silent [%s]", s.At.Format("15:04:05.000"),
		strings.Join(s.Writable, " "), strings.Join(s.Holders, " "), strings.Join(s.Silent, " "))
}

// sampler checks the writer role's invariants in the background.
type sampler struct {
	l        *lab.Lab
	log      *slog.Logger
	pools    map[string]*sql.DB
	interval time.Duration
	cancel   context.CancelFunc
	done     chan struct{}

	mu       sync.Mutex
	samples  int
	one      int    // samples that saw exactly one writable server: the sampler is not blind
	two      window // two writable
	twoVIP   window // two live holders of the writer VIP
	examples []string
}

// maxExamples bounds the violating samples kept for the report.
const maxExamples = 30

func startSampler(l *lab.Lab, pools map[string]*sql.DB, interval time.Duration, log *slog.Logger) *sampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &sampler{l: l, log: log, pools: pools, interval: interval, cancel: cancel, done: make(chan struct{}),
		two: window{cap: time.Second}, twoVIP: window{cap: time.Second}}
	go s.run(ctx)
	return s
}

func (s *sampler) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.record(s.take(ctx))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// take asks the three servers at once, each bounded by 300 ms: a
// frozen server is skipped (it takes no writes until thawed; the
// sample after the thaw sees it).
func (s *sampler) take(ctx context.Context) sample {
	sm := sample{At: time.Now()}
	type answer struct {
		host            string
		writable, quiet bool
	}
	hosts := lab.DBHosts()
	ch := make(chan answer, len(hosts))
	for _, h := range hosts {
		go func() {
			a := answer{host: h.Name}
			srv, err := s.l.Server(h.Name)
			if err != nil || !srv.Running() || s.l.MySQLFrozen(h.Name) {
				ch <- a
				return
			}
			qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			var ro int
			switch err := s.pools[h.Name].QueryRowContext(qctx, "SELECT @@read_only").Scan(&ro); {
			case err != nil:
				a.quiet = true
			case ro == 0:
				a.writable = true
			}
			ch <- a
		}()
	}
	byHost := map[string]answer{}
	for range hosts {
		a := <-ch
		byHost[a.host] = a
	}
	for _, h := range hosts {
		if a := byHost[h.Name]; a.writable {
			sm.Writable = append(sm.Writable, h.Name)
		} else if a.quiet {
			sm.Silent = append(sm.Silent, h.Name)
		}
	}
	if holders, err := s.l.VIPHolders(lab.WriterVIP); err == nil {
		for _, h := range holders {
			if st, err := s.l.LinkState(h); err == nil && st == "up" {
				sm.Holders = append(sm.Holders, h)
			}
		}
	}
	return sm
}

func (s *sampler) record(sm sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples++
	if len(sm.Writable) == 1 {
		s.one++
	}
	two, twoVIP := len(sm.Writable) > 1, len(sm.Holders) > 1
	s.two.add(sm.At, two)
	s.twoVIP.add(sm.At, twoVIP)
	if (two || twoVIP) && len(s.examples) < maxExamples {
		s.examples = append(s.examples, sm.String())
		s.log.Warn("invariant broken", "sample", sm.String())
	}
}

// sampleTotals is what the sampler saw so far.
type sampleTotals struct {
	Samples, OneWritable  int
	TwoWritable, TwoVIP   time.Duration
	TwoWritableN, TwoVIPN int // violating samples
	Examples              []string
}

// totals returns the counts so far (without the last sample's share).
func (s *sampler) totals() sampleTotals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sampleTotals{Samples: s.samples, OneWritable: s.one, TwoWritable: s.two.total, TwoVIP: s.twoVIP.total,
		TwoWritableN: s.two.samples, TwoVIPN: s.twoVIP.samples, Examples: append([]string(nil), s.examples...)}
}

// stop ends the sampling and returns the final counts.
func (s *sampler) stop() sampleTotals {
	s.cancel()
	<-s.done
	s.mu.Lock()
	s.two.close(s.interval)
	s.twoVIP.close(s.interval)
	s.mu.Unlock()
	return s.totals()
}
