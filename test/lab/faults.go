package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

// Undo reverses the fault that returned it. Calling it more than once is
// harmless. Every fault also has a named reverse (StartMySQL, ThawMySQL,
// ReviveHost, NetworkUp, Heal, StartReplication, UndelayReplication,
// RestartDaemon) that works from another process: the CLI uses those.
type Undo func(ctx context.Context) error

// once makes an Undo idempotent.
func once(f Undo) Undo {
	var mu sync.Mutex
	done := false
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return nil
		}
		err := f(ctx)
		done = err == nil
		return err
	}
}

func (l *Lab) startMySQLUndo(host string) Undo {
	return once(func(ctx context.Context) error { return l.StartMySQL(ctx, host) })
}

// StopMySQL shuts host's mysqld down cleanly (SIGTERM by its pid file) and
// waits until it has exited: clients get a clean disconnect, replicas see
// the master go away at once. Reverse: StartMySQL.
func (l *Lab) StopMySQL(ctx context.Context, host string) (Undo, error) {
	s, err := l.Server(host)
	if err != nil {
		return nil, err
	}
	if err := s.Stop(ctx); err != nil {
		return nil, fmt.Errorf("lab: stop mysqld on %s: %w", host, err)
	}
	return l.startMySQLUndo(host), nil
}

// KillMySQL kills host's mysqld (SIGKILL by its pid file), as a crash
// does: the kernel still closes its sockets, so peers see resets, not
// silence. Reverse: StartMySQL (crash recovery, then replication resumes
// by itself).
func (l *Lab) KillMySQL(ctx context.Context, host string) (Undo, error) {
	s, err := l.Server(host)
	if err != nil {
		return nil, err
	}
	if err := s.Kill(); err != nil {
		return nil, fmt.Errorf("lab: kill mysqld on %s: %w", host, err)
	}
	return l.startMySQLUndo(host), nil
}

// StartMySQL starts host's mysqld again on its datadir and waits until it
// answers. It comes back read_only=1 like every lab server (who reopens
// writes is the coordinator's business); a replica resumes replication by
// itself, a master does not (skip_slave_start: its coordinator's rejoin
// starts it).
func (l *Lab) StartMySQL(ctx context.Context, host string) error {
	s, err := l.Server(host)
	if err != nil {
		return err
	}
	if s.Running() {
		return fmt.Errorf("lab: mysqld on %s is already running", host)
	}
	return s.Start(ctx)
}

// FreezeMySQL stops host's mysqld with SIGSTOP: its sockets stay open and
// the kernel still completes TCP handshakes into the listen backlog, but
// nothing answers, so clients and replicas hang until their timeouts
// (the hung-server case no crash test covers). Reverse: ThawMySQL.
func (l *Lab) FreezeMySQL(ctx context.Context, host string) (Undo, error) {
	s, err := l.Server(host)
	if err != nil {
		return nil, err
	}
	if err := s.Signal(syscall.SIGSTOP); err != nil {
		return nil, err
	}
	return once(func(ctx context.Context) error { return l.ThawMySQL(ctx, host) }), nil
}

// ThawMySQL resumes a frozen mysqld with SIGCONT. One that ended while
// frozen — the coordinator's self-fence kills a demoted writer it cannot
// fence — is started again, as its service manager would.
func (l *Lab) ThawMySQL(ctx context.Context, host string) error {
	s, err := l.Server(host)
	if err != nil {
		return err
	}
	if !s.Running() {
		return s.Start(ctx)
	}
	return s.Signal(syscall.SIGCONT)
}

// KillHost simulates the death of a machine: first the host's bridge port
// goes down (its cable, so not even a FIN or RST leaves it afterwards),
// then every process in its namespace is killed with SIGKILL, found by
// /proc/PID/ns/net, not by name. Addresses (and any VIP) stay configured
// on its eth0, as after a real crash. Peers notice only by timeouts.
// Reverse: ReviveHost.
func (l *Lab) KillHost(ctx context.Context, host string) (Undo, error) {
	if _, err := LookupHost(host); err != nil {
		return nil, err
	}
	if err := setLink(l.bridgeNamespace(), host, false); err != nil {
		return nil, err
	}
	kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := killNamespace(kctx, l.Namespace(host)); err != nil {
		return nil, err
	}
	return once(func(ctx context.Context) error { return l.ReviveHost(ctx, host) }), nil
}

// ReviveHost boots a dead host again: the VIPs it held when it died are
// gone (a boot configures none), its bridge port comes up, mysqld starts
// on its datadir (db hosts), and the daemons the lab had started there
// (keepalived, coordinator) start again.
func (l *Lab) ReviveHost(ctx context.Context, host string) error {
	h, err := LookupHost(host)
	if err != nil {
		return err
	}
	if err := l.dropVIPs(host); err != nil {
		return err
	}
	if err := setLink(l.bridgeNamespace(), host, true); err != nil {
		return err
	}
	if h.Kind == KindDB {
		if err := l.StartMySQL(ctx, host); err != nil {
			return err
		}
	}
	daemons, err := l.hostDaemons(host)
	if err != nil {
		return err
	}
	for _, d := range daemons {
		if len(l.daemonPids(d)) == 0 {
			if err := l.StartDaemon(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropVIPs removes the lab's VIPs from host's eth0.
func (l *Lab) dropVIPs(host string) error {
	h, err := handle(l.Namespace(host))
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(hostIface)
	if err != nil {
		return fmt.Errorf("lab: eth0 of %s: %w", host, err)
	}
	addrs, err := h.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("lab: addresses of %s: %w", host, err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok && slices.Contains(VIPs(), ip) {
			if err := h.AddrDel(link, &a); err != nil {
				return fmt.Errorf("lab: remove %s from %s: %w", ip, host, err)
			}
		}
	}
	return nil
}

// NetworkDown takes host's eth0 down inside its namespace (`ifdown eth0`,
// a classic test of MMM): the host's own routes vanish, its processes
// live on and see "network unreachable", and peers' packets to it are
// dropped silently. With d > 0 the link comes back up by itself after d
// (while this process lives). Reverse: NetworkUp.
func (l *Lab) NetworkDown(ctx context.Context, host string, d time.Duration) (Undo, error) {
	if _, err := LookupHost(host); err != nil {
		return nil, err
	}
	if err := setLink(l.Namespace(host), hostIface, false); err != nil {
		return nil, err
	}
	undo := once(func(ctx context.Context) error { return l.NetworkUp(ctx, host) })
	if d > 0 {
		t := time.AfterFunc(d, func() {
			if err := undo(context.Background()); err != nil {
				l.log.Error("network up after timer", "host", host, "err", err)
			}
		})
		return func(ctx context.Context) error { t.Stop(); return undo(ctx) }, nil
	}
	return undo, nil
}

// NetworkUp brings host's eth0 up again; the kernel restores its routes.
// A mysqld that died meanwhile is started again (RestartDead).
func (l *Lab) NetworkUp(ctx context.Context, host string) error {
	if _, err := LookupHost(host); err != nil {
		return err
	}
	if err := setLink(l.Namespace(host), hostIface, true); err != nil {
		return err
	}
	_, err := l.RestartDead(ctx, host)
	return err
}

// RestartDead starts again the mysqld of each of hosts (every database
// host when none is named) that is not running, as systemd's
// Restart=on-abort does on a real host: a writer cut off from its
// replicas while commits wait for their acknowledgement is killed by its
// coordinator's self-fence. The reverses of the network faults call it;
// it returns the hosts it started.
func (l *Lab) RestartDead(ctx context.Context, hosts ...string) ([]string, error) {
	if len(hosts) == 0 {
		for _, h := range DBHosts() {
			hosts = append(hosts, h.Name)
		}
	}
	var started []string
	var errs []error
	for _, h := range hosts {
		s, err := l.Server(h)
		if err != nil || s.Running() {
			continue // not a database host, or alive
		}
		l.log.Warn("mysqld had died: starting it again, as systemd would", "host", h)
		if err := s.Start(ctx); err != nil {
			errs = append(errs, fmt.Errorf("lab: restart mysqld on %s: %w", h, err))
			continue
		}
		started = append(started, h)
	}
	return started, errors.Join(errs...)
}

// Partition cuts a and b from each other and from nothing else: both
// bridge ports become isolated (the bridge forwards no frame between two
// isolated ports — ARP, VRRP multicast, VIP traffic alike), so packets
// between them vanish silently while both still reach every other host.
// One partition at a time: isolation is a single group, so a second pair
// would also cut the first pair's hosts from the second's
// (ErrPartition). Reverse: Heal.
func (l *Lab) Partition(ctx context.Context, a, b string) (Undo, error) {
	for _, h := range []string{a, b} {
		if _, err := LookupHost(h); err != nil {
			return nil, err
		}
	}
	if a == b {
		return nil, fmt.Errorf("%w: %s from itself", ErrPartition, a)
	}
	cur, err := l.isolatedPorts()
	if err != nil {
		return nil, err
	}
	for _, h := range cur {
		if h != a && h != b {
			return nil, fmt.Errorf("%w: %v already partitioned; Heal first", ErrPartition, cur)
		}
	}
	if err := errors.Join(l.setIsolated(a, true), l.setIsolated(b, true)); err != nil {
		return nil, err
	}
	return once(l.Heal), nil
}

// Partitioned returns the hosts currently cut from each other.
func (l *Lab) Partitioned() ([]string, error) { return l.isolatedPorts() }

// Heal ends any partition and starts again a mysqld that died meanwhile
// (RestartDead).
func (l *Lab) Heal(ctx context.Context) error {
	cur, err := l.isolatedPorts()
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range cur {
		errs = append(errs, l.setIsolated(h, false))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err = l.RestartDead(ctx, cur...)
	return err
}

// Thread names replication threads.
type Thread uint8

const (
	ThreadUnknown Thread = iota
	ThreadIO             // the IO (receiver) thread
	ThreadSQL            // the SQL (applier) thread
	ThreadBoth
)

// String returns io, sql or both.
func (t Thread) String() string {
	switch t {
	case ThreadIO:
		return "io"
	case ThreadSQL:
		return "sql"
	case ThreadBoth:
		return "both"
	}
	return "unknown"
}

// ParseThread parses io, sql or both.
func ParseThread(s string) (Thread, error) {
	for _, t := range []Thread{ThreadIO, ThreadSQL, ThreadBoth} {
		if t.String() == s {
			return t, nil
		}
	}
	return ThreadUnknown, fmt.Errorf("lab: thread %q: want io, sql or both", s)
}

func (t Thread) clause() string {
	return map[Thread]string{ThreadIO: " IO_THREAD", ThreadSQL: " SQL_THREAD"}[t]
}

// StopReplication stops host's IO thread, SQL thread or both (STOP SLAVE
// [IO_THREAD|SQL_THREAD]): SHOW SLAVE STATUS then says No for it, as in
// the classic test of MMM's rep_threads check. Reverse: StartReplication.
func (l *Lab) StopReplication(ctx context.Context, host string, t Thread) (Undo, error) {
	s, err := l.Server(host)
	if err != nil {
		return nil, err
	}
	if t == ThreadUnknown {
		return nil, fmt.Errorf("lab: stop replication on %s: unknown thread", host)
	}
	if err := s.Exec(ctx, "STOP SLAVE"+t.clause()); err != nil {
		return nil, err
	}
	return once(func(ctx context.Context) error { return l.StartReplication(ctx, host, t) }), nil
}

// StartReplication starts host's IO thread, SQL thread or both.
func (l *Lab) StartReplication(ctx context.Context, host string, t Thread) error {
	s, err := l.Server(host)
	if err != nil {
		return err
	}
	if t == ThreadUnknown {
		return fmt.Errorf("lab: start replication on %s: unknown thread", host)
	}
	return s.Exec(ctx, "START SLAVE"+t.clause())
}

// DelayReplication makes host apply each event d after its master wrote
// it (CHANGE MASTER TO MASTER_DELAY, replication restarted around it).
// The IO thread keeps receiving; Seconds_Behind_Master is the age of the
// event the SQL thread waits on, so from the master's next write it
// climbs second by second up to d (an idle master leaves it at 0): what
// MMM's rep_backlog check compares with max_backlog. Reverse:
// UndelayReplication, after which the backlog is applied at once.
func (l *Lab) DelayReplication(ctx context.Context, host string, d time.Duration) (Undo, error) {
	if d < time.Second {
		return nil, fmt.Errorf("lab: delay of %v: MASTER_DELAY counts whole seconds", d)
	}
	if err := l.setMasterDelay(ctx, host, int(d/time.Second)); err != nil {
		return nil, err
	}
	return once(func(ctx context.Context) error { return l.UndelayReplication(ctx, host) }), nil
}

// UndelayReplication sets MASTER_DELAY back to 0.
func (l *Lab) UndelayReplication(ctx context.Context, host string) error {
	return l.setMasterDelay(ctx, host, 0)
}

func (l *Lab) setMasterDelay(ctx context.Context, host string, seconds int) error {
	s, err := l.Server(host)
	if err != nil {
		return err
	}
	return s.Exec(ctx, "STOP SLAVE", fmt.Sprintf("CHANGE MASTER TO MASTER_DELAY=%d", seconds), "START SLAVE")
}

// KillDaemon kills every process of a daemon the lab started (keepalived,
// a coordinator) with SIGKILL at once, by its pid files: a crash, not a
// stop (keepalived's VRRP child would send priority 0 on SIGTERM).
// Reverse: RestartDaemon.
func (l *Lab) KillDaemon(ctx context.Context, host, name string) (Undo, error) {
	d, err := l.daemon(host, name)
	if err != nil {
		return nil, err
	}
	if err := l.killDaemon(ctx, d); err != nil {
		return nil, err
	}
	return once(func(ctx context.Context) error { return l.RestartDaemon(ctx, host, name) }), nil
}

// RestartDaemon starts a recorded daemon again with the same command.
func (l *Lab) RestartDaemon(ctx context.Context, host, name string) error {
	d, err := l.daemon(host, name)
	if err != nil {
		return err
	}
	if len(l.daemonPids(d)) > 0 {
		return fmt.Errorf("lab: %s on %s is still running", name, host)
	}
	return l.StartDaemon(ctx, d)
}

// Daemons lists the daemons the lab started, for status and the CLI.
func (l *Lab) Daemons() ([]Daemon, error) {
	m, err := l.Manifest()
	if err != nil {
		return nil, err
	}
	return slices.Clone(m.Daemons), nil
}
