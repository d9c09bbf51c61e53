package coordinator

import (
	"context"
	"fmt"
	"sync"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// CheckProber is the Prober of the checks package: MMM's four checks of
// every MySQL host, built from the configuration, over TCP to each
// host's ip:mysql_port with its monitor account (as MMM's monitor did,
// the leader's own host included). The mysql check connects afresh on
// every run; rep_threads and rep_backlog share one persistent
// connection per host (checks.NewSharing): a connect per check and
// second was a quarter of an idle leader's CPU.
type CheckProber struct {
	mu      sync.RWMutex
	checks  map[string]map[fsm.Check]checks.Check
	servers []*checks.Server // the persistent ones, closed on Reload
}

var _ Prober = (*CheckProber)(nil)

// NewCheckProber builds the checks of every non-witness host of cfg.
func NewCheckProber(cfg *config.Config) (*CheckProber, error) {
	p := &CheckProber{}
	return p, p.Reload(cfg)
}

// Reload rebuilds the checks from cfg (SIGHUP: timeouts, max_backlog,
// ping_method, max_connecting). On error the old checks stay.
func (p *CheckProber) Reload(cfg *config.Config) error {
	all := map[string]map[fsm.Check]checks.Check{}
	var servers []*checks.Server
	closeAll := func(ss []*checks.Server) {
		for _, s := range ss {
			s.Close()
		}
	}
	for _, h := range cfg.Hosts {
		if h.Mode == config.HostModeWitness {
			continue
		}
		t, err := checks.TargetOf(h, false)
		if err != nil {
			closeAll(servers)
			return fmt.Errorf("coordinator: %w", err)
		}
		shared := checks.NewPersistentServer(t.MySQLConfig())
		servers = append(servers, shared)
		all[h.Name] = map[fsm.Check]checks.Check{}
		for _, c := range fsm.AllChecks {
			ch, err := checks.NewSharing(c.String(), cfg, t, shared)
			if err != nil {
				closeAll(servers)
				return fmt.Errorf("coordinator: %w", err)
			}
			all[h.Name][c] = ch
		}
	}
	p.mu.Lock()
	old := p.servers
	p.checks, p.servers = all, servers
	p.mu.Unlock()
	// A probe still running on an old pool may fail once: the trap
	// (trap_period) absorbs it.
	closeAll(old)
	return nil
}

// Probe runs one check; its message is MMM's wire text ("OK: Backlog is
// null", "ERROR: Replication is broken").
func (p *CheckProber) Probe(ctx context.Context, host string, c fsm.Check) (fsm.Result, string) {
	p.mu.RLock()
	ch := p.checks[host][c]
	p.mu.RUnlock()
	if ch == nil {
		return fsm.ResultUnknown, fmt.Sprintf("UNKNOWN: no check %s for host %s", c, host)
	}
	r := ch.Run(ctx)
	switch r.Status {
	case checks.StatusOK:
		return fsm.ResultOK, r.String()
	case checks.StatusFailed:
		return fsm.ResultFailed, r.String()
	}
	return fsm.ResultUnknown, r.String()
}
