package coordinator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// CheckProber is the Prober of the checks package: MMM's four checks of
// every MySQL host, built from the configuration, over TCP to each
// host's ip:mysql_port with its monitor account (as MMM's monitor did,
// the leader's own host included). The mysql check connects afresh on
// every run; rep_threads and rep_backlog share one persistent
// connection per host (checks.NewSharing): a connect per check and
// second was a quarter of an idle leader's CPU. It is also the
// Inspector, over the same connection: the inspection's SHOW SLAVE
// STATUS is the one the replication checks of the round read
// (checks.Server shares it), so a round costs one of them per host,
// not three, and one pool per host, not two.
type CheckProber struct {
	reads *inspection

	mu      sync.RWMutex
	cfg     *config.Config
	checks  map[string]map[fsm.Check]checks.Check
	servers map[string]*checks.Server // the persistent ones, closed on Reload
}

var (
	_ Prober    = (*CheckProber)(nil)
	_ Inspector = (*CheckProber)(nil)
)

// NewCheckProber builds the checks of every non-witness host of cfg.
func NewCheckProber(cfg *config.Config) (*CheckProber, error) {
	p := &CheckProber{reads: newInspection()}
	return p, p.Reload(cfg)
}

// Reload rebuilds the checks from cfg (SIGHUP: timeouts, max_backlog,
// ping_method, max_connecting). On error the old checks stay.
func (p *CheckProber) Reload(cfg *config.Config) error {
	all := map[string]map[fsm.Check]checks.Check{}
	servers := map[string]*checks.Server{}
	closeAll := func(ss map[string]*checks.Server) {
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
		servers[h.Name] = shared
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
	p.cfg, p.checks, p.servers = cfg, all, servers
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

// Inspect reads host's SHOW SLAVE STATUS, read_only, GTID position and
// semisync over the checks' persistent connection.
func (p *CheckProber) Inspect(ctx context.Context, host string) (Inspection, error) {
	p.mu.RLock()
	cfg, srv := p.cfg, p.servers[host]
	p.mu.RUnlock()
	if srv == nil {
		err := fmt.Errorf("%w: unknown host %q", ErrConfig, host)
		return Inspection{Obs: api.HostObs{Host: host, Observed: time.Now(), LastError: err.Error()}}, err
	}
	return p.reads.read(ctx, cfg, host, srv)
}

// Close closes the persistent connections; a later probe reconnects.
func (p *CheckProber) Close() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var errs []error
	for _, s := range p.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
