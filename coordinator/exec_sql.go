package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
)

// sqlServer is what the SQL executors need of one server;
// *dbctl.Server implements it.
type sqlServer interface {
	failover.Server
	fence.Server
	Close() error
}

var _ sqlServer = (*dbctl.Server)(nil)

// sqlExecutors carries the state the SQL executors share.
type sqlExecutors struct {
	cfg     *config.Config
	replica *Replica
	runner  *failover.Runner
	fence   fence.Options
	log     *slog.Logger
	// open connects to a host's MySQL as its agent, the TCP connect
	// bounded by dial; a seam for tests.
	open func(ctx context.Context, host string, dial time.Duration) (sqlServer, error)
	// selfFenced reports a host's confirmed self-fence made known after
	// the raft index given (reportBook.selfFenced); nil: none is ever.
	selfFenced func(host string, index uint64) (SelfFence, bool)
	// poll is how often a fence waiting for that confirmation looks:
	// the promotion waits on it, and a look is a map read.
	poll time.Duration
}

func newSQLExecutors(cfg *config.Config, replica *Replica, log *slog.Logger) (*sqlExecutors, error) {
	r, err := failover.New(failover.OptionsFrom(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	e := &sqlExecutors{cfg: cfg, replica: replica, runner: r, log: log,
		fence: fence.Options{MaxKillRetries: cfg.MaxKillRetries}, poll: 5 * time.Millisecond}
	e.open = e.dial
	return e, nil
}

// executors returns the executors by kind.
func (e *sqlExecutors) executors() map[string]Executor {
	return map[string]Executor{
		KindFence:   ExecutorFunc(func(ctx context.Context, a fsm.Action) error { return e.fenceHost(ctx, a.(fsm.Fence)) }),
		KindCatchUp: ExecutorFunc(func(ctx context.Context, a fsm.Action) error { return e.catchUp(ctx, a.(fsm.CatchUp)) }),
		KindPromote: ExecutorFunc(func(ctx context.Context, a fsm.Action) error { return e.promote(ctx, a.(fsm.Promote)) }),
		KindRepoint: ExecutorFunc(func(ctx context.Context, a fsm.Action) error {
			r := a.(fsm.Repoint)
			return e.replicate(ctx, r.Host, r.Master)
		}),
		KindStartReplication: ExecutorFunc(func(ctx context.Context, a fsm.Action) error {
			r := a.(fsm.StartReplication)
			return e.replicate(ctx, r.Host, r.Master)
		}),
		KindStopReplication: ExecutorFunc(func(ctx context.Context, a fsm.Action) error {
			return e.stopReplication(ctx, a.(fsm.StopReplication).Host)
		}),
		KindKillHost:   newKillHost(e.cfg, e.log),
		KindReaderVIPs: ExecutorFunc(func(context.Context, fsm.Action) error { return nil }),
	}
}

// dial opens host's MySQL over TCP (ip:mysql_port) as its agent. Open
// detects the flavour, so the server answered when it returns.
func (e *sqlExecutors) dial(ctx context.Context, host string, dial time.Duration) (sqlServer, error) {
	h := e.cfg.Host(host)
	if h == nil {
		return nil, fmt.Errorf("%w: unknown host %q", ErrConfig, host)
	}
	c := mysql.NewConfig()
	c.Net, c.Addr = "tcp", net.JoinHostPort(h.IP.String(), strconv.Itoa(h.MySQLPort))
	c.User, c.Passwd = h.AgentUser, h.AgentPassword
	c.Timeout = dial
	srv, err := dbctl.Open(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("coordinator: connect to %s as %s: %w", host, h.AgentUser, err)
	}
	return srv, nil
}

// connectTimeout is the mysql check's timeout (2 s by default).
func (e *sqlExecutors) connectTimeout() time.Duration {
	if c := e.cfg.Checks["mysql"]; c != nil && c.Timeout > 0 {
		return c.Timeout
	}
	return 2 * time.Second
}

// down reports why the committed state says host cannot answer ("" when
// it may): HARD_OFFLINE, or its stored ping failed, or — on a failover's
// critical path (failing) — its ping is failing within trap_period (a
// dead host: the failover starts on its unreachable coordinator before
// the ping check's trap_period ends). A replication repair is not on
// that path: a ping that failed once right after a host came back must
// not skip it until ReplicationRetry.
func (e *sqlExecutors) down(st *fsm.State, host string, failing bool) string {
	h := st.Host(host)
	switch {
	case h == nil:
		return ""
	case h.State == fsm.StateHardOffline:
		return host + " is HARD_OFFLINE"
	}
	if ping := h.Checks[fsm.CheckPing-1]; (failing && ping.Trap == fsm.TrapFailing) || (ping.Known && !ping.OK) {
		return host + " does not answer ping"
	}
	return ""
}

// unreachableDial bounds the TCP connect to a host whose coordinator the
// leader has not heard from for longer than the lease: most likely the
// host or its network is gone, and a live host completes a TCP connect
// within milliseconds on the LAN a cluster runs on (the MySQL handshake
// that follows keeps its own deadline).
const unreachableDial = 300 * time.Millisecond

// dialTimeout is the TCP connect bound for host: the connect timeout, or
// unreachableDial for a host whose coordinator is unreachable.
func (e *sqlExecutors) dialTimeout(st *fsm.State, host string) time.Duration {
	if h := st.Host(host); h != nil && h.Unreachable {
		return min(e.connectTimeout(), unreachableDial)
	}
	return e.connectTimeout()
}

// errNotDialled marks a host the committed state has down.
var errNotDialled = errors.New("not dialled")

// conns are one action's connections; a nil entry did not answer.
type conns struct {
	srv  map[string]sqlServer
	errs map[string]error
}

// openAll connects to hosts in parallel, skipping those the state has
// down (down, failing: the failover's actions).
func (e *sqlExecutors) openAll(ctx context.Context, hosts ...string) conns {
	return e.openHosts(ctx, true, hosts...)
}

// openRepair is openAll for a replication repair: a ping failing within
// its trap_period does not skip a host (down).
func (e *sqlExecutors) openRepair(ctx context.Context, hosts ...string) conns {
	return e.openHosts(ctx, false, hosts...)
}

func (e *sqlExecutors) openHosts(ctx context.Context, failing bool, hosts ...string) conns {
	st := e.replica.View().State
	hosts = unique(hosts)
	srvs := make([]sqlServer, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		if why := e.down(&st, h, failing); why != "" {
			errs[i] = fmt.Errorf("%w: %w: %s in the committed state", failover.ErrUnreachable, errNotDialled, why)
			continue
		}
		wg.Go(func() { srvs[i], errs[i] = e.open(ctx, h, e.dialTimeout(&st, h)) })
	}
	wg.Wait()
	cs := conns{srv: map[string]sqlServer{}, errs: map[string]error{}}
	for i, h := range hosts {
		if srvs[i] != nil {
			cs.srv[h] = srvs[i]
		} else {
			cs.errs[h] = errs[i]
		}
	}
	return cs
}

// unique drops empty names and repeats, keeping the first.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (cs conns) close() {
	for _, s := range cs.srv {
		s.Close()
	}
}

// node is host as failover sees it (DB nil when it did not answer).
func (e *sqlExecutors) node(cs conns, host string) failover.Node {
	n := failover.Node{Name: host}
	if h := e.cfg.Host(host); h != nil {
		n.Source = failover.EndpointOf(h)
	}
	if s := cs.srv[host]; s != nil {
		n.DB = s
	}
	return n
}

// dbHosts lists the hosts with MySQL, in configuration order.
func (e *sqlExecutors) dbHosts() []string {
	var out []string
	for _, h := range e.cfg.Hosts {
		if h.Mode != config.HostModeWitness {
			out = append(out, h.Name)
		}
	}
	return out
}

// isMaster reports whether host is a master in the configuration.
func (e *sqlExecutors) isMaster(host string) bool {
	h := e.cfg.Host(host)
	return h != nil && h.Mode == config.HostModeMaster
}

// fenceHost demotes a (former) writer; see the rules above for an
// unreachable one.
//
// mmm-notify on the old writer often fences it at the same moment (a
// switchover closes its track file, keepalived leaves MASTER) and kills
// every client session, this fence's among them. That is not a failure:
// fence.Fence retries a statement whose connection was killed at once on
// a new one, and a connect whose first query was killed is retried once
// here, rather than skipping the fence or waiting for the dispatcher's
// retry a second later.
func (e *sqlExecutors) fenceHost(ctx context.Context, a fsm.Fence) error {
	cs := e.openAll(ctx, a.Host)
	if cs.srv[a.Host] == nil && dbctl.ConnectionLost(cs.errs[a.Host]) {
		cs = e.openAll(ctx, a.Host)
	}
	defer cs.close()
	srv := cs.srv[a.Host]
	if srv == nil {
		return e.unfenceable(ctx, a.Host, cs.errs[a.Host])
	}
	res, err := fence.Fence(ctx, srv, e.fence)
	if errors.Is(err, fence.ErrUnreachable) {
		return e.unfenceable(ctx, a.Host, err)
	}
	if err != nil {
		return fmt.Errorf("coordinator: fence %s: %w (%s)", a.Host, err, fenceSummary(res))
	}
	summary := fenceSummary(res)
	// A demoted writer that already replicates from the new one (the
	// master-master ring) applies its events with the semisync master
	// side still on until a rejoin turns it off: every applied commit then
	// waits rpl_semi_sync_master_timeout for an ACK nobody sends, and the
	// host falls behind (a switchover back to it waited 1.5 s in its
	// catch-up). A fenced host takes no writes, so it waits for no ACK.
	// Not fatal: the fence is what matters, a rejoin turns it off too.
	if err := srv.SetSemisyncMaster(ctx, false); err != nil && !errors.Is(err, dbctl.ErrNoSemisync) {
		summary += fmt.Sprintf("; semisync master side not turned off: %v", err)
	}
	e.log.Info("fenced", "host", a.Host, "result", summary)
	return nil
}

// unfenceable decides about a fence target whose MySQL did not answer:
// skipped when its coordinator is cut off (it fences itself), done when
// its coordinator confirms its own fence, an error (retried) when
// neither happens within ctx or retrying can help otherwise.
func (e *sqlExecutors) unfenceable(ctx context.Context, host string, err error) error {
	if errors.Is(err, dbctl.ErrTooManyConnections) || errors.Is(err, dbctl.ErrAccessDenied) {
		return fmt.Errorf("coordinator: fence %s: %w", host, err)
	}
	index := e.pendingIndex(KindFence, host)
	t := time.NewTicker(e.poll)
	defer t.Stop()
	for {
		st := e.replica.View().State
		if h := st.Host(host); h == nil || h.Unreachable || e.selfFenced == nil {
			return unanswered(err, "fence "+host, "its coordinator is cut off (silent for longer than the lease): "+
				"it has closed its track file and fences its mysqld itself, or kills it")
		}
		if sf, ok := e.selfFenced(host, index); ok {
			return fmt.Errorf("%w: fence %s: its MySQL does not answer (%v); fenced by its own side: %s (%s; %s)",
				ErrWarning, host, err, sf.How, sf.Detail, sf.Why)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("coordinator: fence %s: its MySQL does not answer (%v) and its coordinator has not confirmed its own fence yet", host, err)
		case <-t.C:
		}
	}
}

// pendingIndex is the raft index of host's pending action of kind (0:
// none is pending).
func (e *sqlExecutors) pendingIndex(kind, host string) uint64 {
	for _, p := range e.replica.Pending() {
		if p.Kind == kind && p.Host == host {
			return p.ID.Index
		}
	}
	return 0
}

// unanswered is the error of a fence whose host did not answer, or of a
// replication repair of a host the state has down: skipped, not retried
// — the fence has the old writer's own side, and the state machine
// requests the repair again, every ReplicationRetry, once the host is
// up. A refusal that retrying can fix (too many connections, access
// denied) is an ordinary error.
func unanswered(err error, what, why string) error {
	if errors.Is(err, dbctl.ErrTooManyConnections) || errors.Is(err, dbctl.ErrAccessDenied) {
		return fmt.Errorf("coordinator: %s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: no answer (%v): %s", ErrSkipped, what, err, why)
}

// unansweredRepair is unanswered for a replication repair: skipped when
// the state has the host down, an ordinary error (retried) when the host
// just did not answer — it may be starting.
func unansweredRepair(err error, what, why string) error {
	if !errors.Is(err, errNotDialled) {
		return fmt.Errorf("coordinator: %s: %w", what, err)
	}
	return unanswered(err, what, why)
}

func fenceSummary(r fence.Result) string {
	s := fmt.Sprintf("read_only after %d attempt(s), %d kill round(s), %d killed, in %v",
		r.ReadOnlyAttempts, r.Rounds, len(r.Killed), r.Took.Round(time.Millisecond))
	if r.WasReadOnly {
		s = "was read-only; " + s
	}
	if r.Lost > 0 {
		s += fmt.Sprintf("; %d statement(s) retried on a new connection (killed under it, e.g. by mmm-notify's fence)", r.Lost)
	}
	return s
}

// owner refuses an action about a writer handover that the state has
// undone meanwhile.
func (e *sqlExecutors) ownerIs(host, what string) error {
	if o := e.replica.Owner(); o != host {
		return fmt.Errorf("%w: %s %s: it no longer holds the writer role (owner %q)", ErrPermanent, what, host, o)
	}
	return nil
}
