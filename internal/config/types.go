// Package config reads the cluster configuration in MySQL-MMM's own format
// (mmm_common.conf, mmm_agent.conf, mmm_mon.conf) plus mmm-keepalived's
// keys in the same format, applies MMM 2.2.1's defaults and validates the
// result with errors that name file, line and key.
//
// Every binary of the suite reads the same files, so an operator migrating
// from MMM can point the tools at /etc/mysql-mmm/*.conf unchanged.
package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Pos is a place in a configuration file: the path as opened (an included
// file's path is joined to the directory of the file including it) and a
// 1-based line number.
type Pos struct {
	File string
	Line int
}

// String renders "file:line", just "file" when the line is unknown (a
// required key missing from a whole file), or "" for a zero Pos (a
// built-in default).
func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line <= 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Where records where a section started and where each of its keys was set,
// so that Validate can point at the line that is wrong.
type Where struct {
	Pos    Pos            // the section's opening line
	KeyPos map[string]Pos // key name → the line that set it last
}

// At returns the position of key, falling back to the section's own line
// when the key was not set (a missing required key, a default).
func (w Where) At(key string) Pos {
	if p, ok := w.KeyPos[key]; ok {
		return p
	}
	return w.Pos
}

// Config is a whole cluster configuration.
type Config struct {
	// Files lists every file read, the main file first, then includes in
	// the order they were read.
	Files []string

	// Cluster is the cluster's name when the configuration was loaded
	// by name (LoadCluster: mmmctl @NAME, --cluster NAME), "" for the
	// default cluster. A named cluster's runtime paths default to its
	// own (DefaultRuntimePaths), and keepalived.conf rendered from it
	// passes --cluster NAME to mmm-check and mmm-notify.
	Cluster string

	This             string // the local host's name (`this`); "" when not set
	Debug            bool
	ActiveMasterRole string
	MaxKillRetries   int // 10
	// Tools holds the global mmm_tools options (default_copy_method,
	// clone_dirs) verbatim: accepted for compatibility, unused.
	Tools map[string]string

	Monitor     Monitor
	Coordinator Coordinator
	Keepalived  Keepalived
	Socket      Socket

	// Hosts and Roles keep configuration order: ties are broken by it
	// (MMM used Perl hash order). The `default` sections are folded
	// into every named section and do not appear here.
	Hosts []*Host
	Roles []*Role

	// Checks holds the four MMM checks, always all four, keyed by name:
	// ping, mysql, rep_threads, rep_backlog.
	Checks map[string]*Check

	// Global records where the global keys (this, active_master_role, …)
	// were set.
	Global Where

	// Warnings are problems that do not stop a program, e.g. a file holding
	// passwords that others can read.
	Warnings []string

	// templates holds where each `default` section (host, check) set its
	// keys, so that a bad value there is reported as "host default".
	templates map[string]Where
}

// CheckNames lists MMM's checks in MMM's display order.
var CheckNames = []string{"ping", "mysql", "rep_threads", "rep_backlog"}

// Host returns the named host, or nil.
func (c *Config) Host(name string) *Host {
	for _, h := range c.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Role returns the named role, or nil.
func (c *Config) Role(name string) *Role {
	for _, r := range c.Roles {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// ThisHost returns the host named by `this`, or nil.
func (c *Config) ThisHost() *Host { return c.Host(c.This) }

// WriterRole returns the active master role, or nil.
func (c *Config) WriterRole() *Role { return c.Role(c.ActiveMasterRole) }

// HostMode is a host's `mode`.
type HostMode uint8

const (
	HostModeUnknown HostMode = iota
	HostModeMaster
	HostModeSlave
	// HostModeWitness is ours: a coordinator without MySQL or VIPs, giving
	// a two-master cluster its raft majority.
	HostModeWitness
)

// Host is a `<host NAME>` section after `<host default>` was applied.
type Host struct {
	Where
	Name string

	// MMM 2.2.1 keys.
	IP                  netip.Addr
	Mode                HostMode
	Peer                string
	PidPath             string
	BinPath             string
	AgentPort           int // 9989
	ClusterInterface    string
	MySQLPort           int    // 3306
	MySQLPidfile        string // /var/run/mysqld/mysqld.pid
	MySQLRcscript       string // /etc/init.d/mysql
	MySQLCnf            string // /etc/my.cnf
	AgentUser           string
	AgentPassword       string
	MonitorUser         string
	MonitorPassword     string
	ReplicationUser     string
	ReplicationPassword string
	// Tools holds mmm_tools options (ssh_user, backup_dir, lvm_*, …)
	// verbatim: accepted for compatibility, unused.
	Tools map[string]string

	// mmm-keepalived keys.
	MySQLSocket  string // local unix socket; "" = TCP to IP:MySQLPort
	VIPInterface string // interface for reader VIPs; default ClusterInterface
	RaftAddress  string // host:port of the raft transport; default IP:9990
	APIAddress   string // host:port of the TCP API; default IP:9991
	APISocket    string // local API socket; /run/mmm-keepalived/mmm.sock
	DataDir      string // raft log and snapshots; /var/lib/mmm-keepalived
	TrackFile    string // keepalived track_file; /run/mmm-keepalived/writer.track
	Priority     int    // keepalived priority; default by order in the writer role
	// NotifyFifo overrides <keepalived> notify_fifo for this host (hosts
	// sharing one filesystem, as in the lab); "" = that one. Read it
	// through Config.NotifyFifo.
	NotifyFifo string
}

// RoleMode is a role's `mode`.
type RoleMode uint8

const (
	RoleModeUnknown RoleMode = iota
	RoleModeExclusive
	RoleModeBalanced
)

// Role is a `<role NAME>` section.
type Role struct {
	Where
	Name   string
	Mode   RoleMode
	Hosts  []string     // configuration order
	IPs    []netip.Addr // configuration order
	Prefer string       // "" = none
}

// MonitorMode is the monitor's `mode`.
type MonitorMode uint8

const (
	ModeUnknown MonitorMode = iota
	ModeActive
	ModeManual
	ModeWait
	ModePassive
)

// Monitor is the `<monitor>` section. MMM's monitor is our coordinator
// leader: its timing keys keep their meaning.
type Monitor struct {
	Where
	IP                 string
	Port               int // 9988
	PidPath            string
	BinPath            string
	StatusPath         string
	PingInterval       time.Duration // 1 s
	PingIPs            []netip.Addr
	FlapDuration       time.Duration // 3600 s
	FlapCount          int           // 3; 0 disables flap detection
	AutoSetOnline      time.Duration // 0 = off
	KillHostBin        string        // kill_host
	CarefulStartup     bool          // true (MMM's code default)
	Mode               MonitorMode   // active
	WaitForOtherMaster time.Duration // 120 s; 0 = forever
}

// Check is a `<check NAME>` section after `<check default>` was applied.
type Check struct {
	Where
	Name         string
	CheckPeriod  time.Duration // 5 s
	TrapPeriod   time.Duration // 10 s
	Timeout      time.Duration // 2 s
	RestartAfter int           // 10000; accepted, no effect (none in MMM either)
	MaxBacklog   time.Duration // 60 s; rep_backlog only

	// mmm-keepalived keys.
	PingMethod    string        // ping: PingICMP (default) or PingTCP
	MaxConnecting time.Duration // rep_threads: IO thread Connecting longer than this fails; 10 s
}

// Socket is the `<socket>` section (MMM's agent/monitor TLS). Accepted for
// compatibility; our API uses a bearer token instead.
type Socket struct {
	Where
	Type     string // plain | ssl
	CertFile string
	KeyFile  string
	CAFile   string
}

// CatchupPolicy says what a failover does when the candidate cannot catch
// up within CatchupTimeout.
type CatchupPolicy uint8

const (
	CatchupUnknown CatchupPolicy = iota
	CatchupRefuse                // refuse and alert (default)
	CatchupPromote               // promote and record the missing GTIDs
)

// Coordinator is our `<coordinator>` section: cluster-wide settings of
// mmm-coordinator.
type Coordinator struct {
	Where
	// RaftPeers names the hosts whose coordinators form the raft group;
	// default: every host.
	RaftPeers              []string
	RaftHeartbeatTimeout   time.Duration // 1 s (the fast profile: 500 ms)
	RaftElectionTimeout    time.Duration // 1 s (the fast profile: 500 ms)
	RaftLeaderLeaseTimeout time.Duration // 500 ms (the fast profile: 250 ms)
	APITokenFile           string        // bearer token for the TCP API
	// APIReadTokenFile holds a second bearer token that may read (show,
	// status, checks, history, ping, /metrics) and change nothing: for
	// Prometheus and dashboards.
	APIReadTokenFile string
	Lease            time.Duration // 2.5 s: no leader for this long → close the track_file
	HistorySize      int           // 1000 entries of transitions and actions
	FenceTimeout     time.Duration // 5 s
	// KillUnfencedMySQLD: a host that lost the writer role and whose
	// mysqld cannot be made read-only within fence_timeout has its
	// mysqld killed (SIGKILL, by mysql_pidfile) by its own coordinator;
	// default yes.
	KillUnfencedMySQLD bool
	CatchupTimeout     time.Duration // 30 s
	CatchupPolicy      CatchupPolicy // refuse
	SemisyncMinClients int           // 1
	GarpCount          int           // 5 gratuitous ARP rounds per reader VIP
	GarpInterval       time.Duration // 200 ms
}

// SemisyncTimeout is the rpl_semi_sync_master_timeout the coordinator
// sets on every writer it opens: longer than a cut-off writer takes to be
// fenced by its own side (its lease runs out, then the self-fence has
// fence_timeout to make mysqld read-only or kill it), plus a second for
// keepalived and scheduling. A commit that waits for an acknowledgement
// is therefore fenced (its session killed, the client told it failed)
// before semisync could give up and acknowledge it from the writer
// alone, which no failover could then recover.
func (c Coordinator) SemisyncTimeout() time.Duration {
	return c.Lease + c.FenceTimeout + time.Second
}

// Keepalived is our `<keepalived>` section: what the rendered
// keepalived.conf needs.
type Keepalived struct {
	Where
	VirtualRouterID int           // required for rendering; 1..255
	Interface       string        // default: the writer hosts' cluster_interface
	AuthPass        string        // "" = no authentication
	VRRPVersion     int           // 3
	AdvertInt       time.Duration // 100 ms
	Unicast         bool          // unicast peers instead of multicast
	CheckInterval   time.Duration // 1 s (keepalived takes whole seconds)
	CheckTimeout    time.Duration // 1 s
	CheckFall       int           // 1
	CheckRise       int           // 2
	CheckBin        string        // /usr/bin/mmm-check
	NotifyBin       string        // /usr/bin/mmm-notify
	NotifyFifo      string        // /run/mmm-keepalived/vrrp.fifo; a host's notify_fifo overrides it
	NotifyLog       string        // file mmm-notify appends a line to per call; "" = syslog only
	GarpMasterDelay time.Duration // 5 s
	GarpMasterRpt   int           // 5
	// DownTimerAdverts is how many adverts a backup misses before it
	// takes over (keepalived's down_timer_adverts; 1, the RFC's 3).
	DownTimerAdverts int
}
