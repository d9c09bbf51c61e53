package failover

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// The small interfaces over one MySQL server that the steps need;
// Server joins them and *dbctl.Server implements it.
type (
	positionReader interface {
		Flavor() dbctl.Flavor
		GTIDState(ctx context.Context) (dbctl.GTIDState, error)
		BinlogGTIDState(ctx context.Context) ([]gtid.MariaDBGTID, error)
	}
	replicaReader interface {
		ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error)
		WaitForGTID(ctx context.Context, set string, timeout time.Duration) error
		BinlogSettings(ctx context.Context) (dbctl.BinlogSettings, error)
	}
	replicaController interface {
		StopReplication(ctx context.Context, t dbctl.Threads) error
		KillReplicaIO(ctx context.Context) (bool, error)
		StartReplication(ctx context.Context, t dbctl.Threads) error
		ChangeSource(ctx context.Context, src dbctl.Source) error
	}
	semisyncReader interface {
		Semisync(ctx context.Context) (dbctl.SemisyncStatus, error)
	}
	dumpKiller interface {
		KillDumpThreads(ctx context.Context, host string) (int, error)
	}
	writeSwitch interface {
		SetReadOnly(ctx context.Context, on bool) error
		SetSemisyncMaster(ctx context.Context, on bool) error
		SetSemisyncMasterTimeout(ctx context.Context, d time.Duration) error
		SetSemisyncReplica(ctx context.Context, on bool) error
	}
)

// Server is what failover needs of one MySQL server.
type Server interface {
	positionReader
	replicaReader
	replicaController
	writeSwitch
	semisyncReader
	dumpKiller
}

var _ Server = (*dbctl.Server)(nil)

// Node is one host as the steps see it.
type Node struct {
	Name string
	// DB is nil when the host does not answer.
	DB Server
	// Source is how replicas reach this host.
	Source Endpoint
}

// Endpoint is where and as whom a replica connects to a source: the
// host's ip and mysql_port and its replication_user and password (MMM
// used the new master's replication account).
type Endpoint struct {
	Host     string
	Port     int
	User     string
	Password string
}

// EndpointOf is h's replication endpoint from the configuration.
func EndpointOf(h *config.Host) Endpoint {
	return Endpoint{Host: h.IP.String(), Port: h.MySQLPort, User: h.ReplicationUser, Password: h.ReplicationPassword}
}

// String is host:port without the account.
func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// serves reports whether rs replicates from e.
func (e Endpoint) serves(rs *dbctl.ReplicaStatus) bool {
	return rs != nil && strings.EqualFold(rs.SourceHost, e.Host) && rs.SourcePort == e.Port
}

// Clock is the time source; nil Options.Clock means the real clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of Options.
const (
	DefaultCatchupTimeout = 30 * time.Second
	DefaultStopIOTimeout  = 200 * time.Millisecond
	DefaultStopTimeout    = 5 * time.Second
	DefaultApplyTimeout   = 10 * time.Second
	DefaultWaitSlice      = 2 * time.Second
	DefaultConnectRetry   = time.Second
	DefaultHeartbeat      = time.Second
	DefaultBackoff        = 25 * time.Millisecond
	DefaultMaxBackoff     = 2 * time.Second
)

// Options tune the steps. Zero fields take the defaults.
type Options struct {
	// CatchupTimeout bounds CatchUp and Rejoin's final wait
	// (catchup_timeout, 30 s).
	CatchupTimeout time.Duration
	// Policy decides when CatchUp runs out of time (catchup_policy):
	// refuse (the default, also for CatchupUnknown) or promote.
	Policy config.CatchupPolicy
	// StopIOTimeout bounds stopping the IO thread once the SQL thread is
	// stopped with everything received applied (200 ms; see stopIO):
	// Promote goes on without it, Repoint waits for it. It only bounds
	// what a thread stuck on a dead master adds to the unavailable
	// window: safety rests on the SQL thread being stopped.
	StopIOTimeout time.Duration
	// StopTimeout bounds one STOP SLAVE before a CHANGE MASTER (5 s).
	StopTimeout time.Duration
	// ApplyTimeout bounds waiting for a relay log outside CatchUp:
	// Promote's re-check, a replica's before Repoint, a source's before
	// a pull (10 s).
	ApplyTimeout time.Duration
	// WaitSlice is the longest single MASTER_GTID_WAIT; longer waits are
	// made of slices. It must stay 1 s below the connection's read
	// timeout (dbctl's default 30 s) (2 s).
	WaitSlice time.Duration
	// ConnectRetry and Heartbeat go into every CHANGE MASTER
	// (MASTER_CONNECT_RETRY, MASTER_HEARTBEAT_PERIOD; 1 s each: the
	// server defaults of 60 s make recovery slow).
	ConnectRetry, Heartbeat time.Duration
	// Backoff is the first pause between retries in Repoint's
	// verification and in polls, doubled up to MaxBackoff (25 ms, 2 s).
	Backoff, MaxBackoff time.Duration
	// SemisyncTimeout is set as rpl_semi_sync_master_timeout on a
	// promoted writer before it opens (config's SemisyncTimeout); 0
	// leaves the server's own value.
	SemisyncTimeout time.Duration
	Clock           Clock
}

// OptionsFrom takes catchup_timeout, catchup_policy and the semisync
// timeout the coordinator owns from cfg.
func OptionsFrom(cfg *config.Config) Options {
	return Options{CatchupTimeout: cfg.Coordinator.CatchupTimeout, Policy: cfg.Coordinator.CatchupPolicy,
		SemisyncTimeout: cfg.Coordinator.SemisyncTimeout()}
}

// Runner runs the SQL steps of a writer failover. It holds no state
// between calls and is safe for concurrent use on different hosts.
type Runner struct{ opts Options }

// New validates opts and fills in the defaults.
func New(opts Options) (*Runner, error) {
	for _, d := range []time.Duration{opts.CatchupTimeout, opts.StopIOTimeout, opts.StopTimeout, opts.ApplyTimeout,
		opts.WaitSlice, opts.ConnectRetry, opts.Heartbeat, opts.Backoff, opts.MaxBackoff, opts.SemisyncTimeout} {
		if d < 0 {
			return nil, fmt.Errorf("failover: %w: negative duration %v in options", ErrInvalid, d)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.CatchupTimeout, DefaultCatchupTimeout)
	def(&opts.StopIOTimeout, DefaultStopIOTimeout)
	def(&opts.StopTimeout, DefaultStopTimeout)
	def(&opts.ApplyTimeout, DefaultApplyTimeout)
	def(&opts.WaitSlice, DefaultWaitSlice)
	def(&opts.ConnectRetry, DefaultConnectRetry)
	def(&opts.Heartbeat, DefaultHeartbeat)
	def(&opts.Backoff, DefaultBackoff)
	def(&opts.MaxBackoff, DefaultMaxBackoff)
	if opts.Policy != config.CatchupPromote {
		opts.Policy = config.CatchupRefuse
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	return &Runner{opts: opts}, nil
}

// Options returns the options in effect.
func (r *Runner) Options() Options { return r.opts }

// source is the CHANGE MASTER for replicating from e.
func (r *Runner) source(e Endpoint, autoPosition bool) dbctl.Source {
	return dbctl.Source{Host: e.Host, Port: e.Port, User: e.User, Password: e.Password,
		ConnectRetry: r.opts.ConnectRetry, HeartbeatPeriod: r.opts.Heartbeat, AutoPosition: autoPosition}
}

// sleep pauses for d or until ctx ends.
func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-r.opts.Clock.After(d):
		return nil
	}
}

// backoff doubles d up to MaxBackoff.
func (r *Runner) backoff(d time.Duration) time.Duration { return min(2*d, r.opts.MaxBackoff) }
