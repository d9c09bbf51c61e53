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
// the leader's own host included).
type CheckProber struct {
	mu     sync.RWMutex
	checks map[string]map[fsm.Check]checks.Check
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
	for _, h := range cfg.Hosts {
		if h.Mode == config.HostModeWitness {
			continue
		}
		t, err := checks.TargetOf(h, false)
		if err != nil {
			return fmt.Errorf("coordinator: %w", err)
		}
		all[h.Name] = map[fsm.Check]checks.Check{}
		for _, c := range fsm.AllChecks {
			ch, err := checks.New(c.String(), cfg, t)
			if err != nil {
				return fmt.Errorf("coordinator: %w", err)
			}
			all[h.Name][c] = ch
		}
	}
	p.mu.Lock()
	p.checks = all
	p.mu.Unlock()
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
