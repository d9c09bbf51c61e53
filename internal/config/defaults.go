package config

import (
	"maps"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Built-in defaults: MMM 2.2.1's (lib/Common/Config.pm) and ours.
const (
	DefaultAgentPort   = 9989
	DefaultMySQLPort   = 3306
	DefaultMonitorPort = 9988
	DefaultRaftPort    = 9990 // raft_address = ip:9990
	DefaultAPIPort     = 9991 // api_address = ip:9991

	DefaultAPISocket  = "/run/mmm-keepalived/mmm.sock"
	DefaultDataDir    = "/var/lib/mmm-keepalived"
	DefaultTrackFile  = "/run/mmm-keepalived/writer.track"
	DefaultCheckBin   = "/usr/bin/mmm-check"
	DefaultNotifyBin  = "/usr/bin/mmm-notify"
	DefaultNotifyFifo = "/run/mmm-keepalived/vrrp.fifo"

	// Keepalived priorities of the writer role's hosts by position: the
	// first gets 254, the second 253. The coordinator's track files, not
	// priorities, choose the writer (only one writer host is ever
	// eligible); a priority only sets how long a new writer leaving FAULT
	// waits beyond the missed advert, (256 − priority)/256 × advert_int:
	// 61 ms at 100, under 1 ms at 254.
	firstWriterPriority = 254
	writerPriorityStep  = 1
)

// RuntimePaths are the paths a cluster's programs share on one host:
// the coordinator's API socket and data_dir, keepalived's track_file
// and vrrp_notify_fifo.
type RuntimePaths struct {
	APISocket, DataDir, TrackFile, NotifyFifo string
}

// DefaultRuntimePaths are the defaults of api_socket, data_dir,
// track_file and notify_fifo for cluster name ("" = the default
// cluster). A named cluster's carry its name, so that its coordinator
// (mmm-coordinator@NAME) and keepalived share none of them with another
// cluster's on the same host: /run/mmm-keepalived/mmm_NAME.sock,
// /var/lib/mmm-keepalived-NAME (a directory of its own, so that moving
// the default cluster's data_dir aside leaves it alone),
// /run/mmm-keepalived/writer_NAME.track, /run/mmm-keepalived/vrrp_NAME.fifo.
// The runtime files stay in /run/mmm-keepalived, which the package makes
// at boot for keepalived.
func DefaultRuntimePaths(name string) RuntimePaths {
	if name == "" {
		return RuntimePaths{DefaultAPISocket, DefaultDataDir, DefaultTrackFile, DefaultNotifyFifo}
	}
	file := func(p string) string {
		ext := filepath.Ext(p)
		return strings.TrimSuffix(p, ext) + "_" + name + ext
	}
	return RuntimePaths{
		APISocket:  file(DefaultAPISocket),
		DataDir:    DefaultDataDir + "-" + name,
		TrackFile:  file(DefaultTrackFile),
		NotifyFifo: file(DefaultNotifyFifo),
	}
}

// Defaults returns a Config holding only built-in defaults: no hosts, no
// roles, all four checks, and the global, monitor, coordinator and
// keepalived defaults. Load starts from it.
func Defaults() *Config {
	c := &Config{
		MaxKillRetries: 10,
		Tools:          map[string]string{},
		Monitor: Monitor{
			Port:               DefaultMonitorPort,
			PingInterval:       time.Second,
			FlapDuration:       3600 * time.Second,
			FlapCount:          3,
			KillHostBin:        "kill_host",
			CarefulStartup:     true, // MMM's code's default; its docs said 0
			Mode:               ModeActive,
			WaitForOtherMaster: 120 * time.Second,
		},
		Socket: Socket{Type: "plain"},
		Coordinator: Coordinator{
			RaftHeartbeatTimeout:   time.Second,
			RaftElectionTimeout:    time.Second,
			RaftLeaderLeaseTimeout: 500 * time.Millisecond,
			Lease:                  2500 * time.Millisecond,
			HistorySize:            1000,
			FenceTimeout:           5 * time.Second,
			KillUnfencedMySQLD:     true,
			CatchupTimeout:         30 * time.Second,
			CatchupPolicy:          CatchupRefuse,
			SemisyncMinClients:     1,
			GarpCount:              5,
			GarpInterval:           200 * time.Millisecond,
		},
		Keepalived: Keepalived{
			VRRPVersion:      3,
			AdvertInt:        100 * time.Millisecond,
			CheckInterval:    time.Second,
			CheckTimeout:     time.Second,
			CheckFall:        1,
			CheckRise:        2,
			CheckBin:         DefaultCheckBin,
			NotifyBin:        DefaultNotifyBin,
			NotifyFifo:       DefaultNotifyFifo,
			GarpMasterDelay:  5 * time.Second,
			GarpMasterRpt:    5,
			DownTimerAdverts: 1,
		},
		Checks: map[string]*Check{},
	}
	for _, w := range []*Where{&c.Global, &c.Monitor.Where, &c.Socket.Where, &c.Coordinator.Where, &c.Keepalived.Where} {
		w.KeyPos = map[string]Pos{}
	}
	for _, name := range CheckNames {
		c.Checks[name] = defaultCheck(name)
	}
	return c
}

// defaultHost is a host before `<host default>` and its own section apply.
func defaultHost() *Host {
	return &Host{
		Where:         Where{KeyPos: map[string]Pos{}},
		AgentPort:     DefaultAgentPort,
		MySQLPort:     DefaultMySQLPort,
		MySQLPidfile:  "/var/run/mysqld/mysqld.pid",
		MySQLRcscript: "/etc/init.d/mysql",
		MySQLCnf:      "/etc/my.cnf",
		Tools: map[string]string{
			"ssh_port":         "22",
			"ssh_parameters":   "",
			"lvm_bin_lvcreate": "lvcreate",
			"lvm_bin_lvremove": "lvremove",
		},
		APISocket: DefaultAPISocket,
		DataDir:   DefaultDataDir,
		TrackFile: DefaultTrackFile,
	}
}

func defaultCheck(name string) *Check {
	return &Check{
		Where:         Where{KeyPos: map[string]Pos{}},
		Name:          name,
		CheckPeriod:   5 * time.Second,
		TrapPeriod:    10 * time.Second,
		Timeout:       2 * time.Second,
		RestartAfter:  10000,
		MaxBacklog:    60 * time.Second,
		PingMethod:    PingICMP,
		MaxConnecting: 10 * time.Second,
	}
}

// clone copies h deeply enough that setting a key on the copy leaves h
// alone (the maps; slices are replaced, never appended to).
func (h *Host) clone() *Host {
	c := *h
	c.KeyPos = maps.Clone(h.KeyPos)
	c.Tools = maps.Clone(h.Tools)
	return &c
}

func (ch *Check) clone() *Check {
	c := *ch
	c.KeyPos = maps.Clone(ch.KeyPos)
	return &c
}

// derive fills the defaults that depend on other keys; a key set anywhere
// (also in `<host default>`) is left alone.
func (c *Config) derive() {
	paths := DefaultRuntimePaths(c.Cluster)
	for _, h := range c.Hosts {
		set := func(k string) bool { _, ok := h.KeyPos[k]; return ok }
		if !set("api_socket") {
			h.APISocket = paths.APISocket
		}
		if !set("data_dir") {
			h.DataDir = paths.DataDir
		}
		if !set("track_file") {
			h.TrackFile = paths.TrackFile
		}
		if !set("vip_interface") {
			h.VIPInterface = h.ClusterInterface
		}
		if h.IP.IsValid() && !set("raft_address") {
			h.RaftAddress = net.JoinHostPort(h.IP.String(), strconv.Itoa(DefaultRaftPort))
		}
		if h.IP.IsValid() && !set("api_address") {
			h.APIAddress = net.JoinHostPort(h.IP.String(), strconv.Itoa(DefaultAPIPort))
		}
	}
	if w := c.WriterRole(); w != nil {
		for i, name := range w.Hosts {
			if h := c.Host(name); h != nil {
				if _, ok := h.KeyPos["priority"]; !ok {
					h.Priority = max(firstWriterPriority-writerPriorityStep*i, 1)
				}
			}
		}
		if _, ok := c.Keepalived.KeyPos["interface"]; !ok {
			c.Keepalived.Interface = commonInterface(c, w.Hosts)
		}
	}
	if _, ok := c.Keepalived.KeyPos["notify_fifo"]; !ok {
		c.Keepalived.NotifyFifo = paths.NotifyFifo
	}
	// VRRPv2 advertises in whole seconds: its default is keepalived's own,
	// 1 s, rather than VRRPv3's 100 ms.
	if _, ok := c.Keepalived.KeyPos["advert_int"]; !ok && c.Keepalived.VRRPVersion == 2 {
		c.Keepalived.AdvertInt = time.Second
	}
	if _, ok := c.Coordinator.KeyPos["raft_peers"]; !ok {
		c.Coordinator.RaftPeers = make([]string, 0, len(c.Hosts))
		for _, h := range c.Hosts {
			c.Coordinator.RaftPeers = append(c.Coordinator.RaftPeers, h.Name)
		}
	}
}

// commonInterface is the cluster_interface all the named hosts share, or ""
// when they differ (the renderer then uses each host's own, VRRPInterface).
func commonInterface(c *Config, hosts []string) string {
	common := ""
	for i, name := range hosts {
		h := c.Host(name)
		if h == nil {
			return ""
		}
		if i == 0 {
			common = h.ClusterInterface
		} else if h.ClusterInterface != common {
			return ""
		}
	}
	return common
}

// NotifyFifo is keepalived's vrrp_notify_fifo on host h: h's own
// notify_fifo, or else the <keepalived> notify_fifo. keepalived on h
// writes it and h's coordinator reads it.
func (c *Config) NotifyFifo(h *Host) string {
	if h != nil && h.NotifyFifo != "" {
		return h.NotifyFifo
	}
	return c.Keepalived.NotifyFifo
}

// VRRPInterface is the interface keepalived's VRRP instance runs on for
// host h: the <keepalived> interface, or else h's cluster_interface.
func (c *Config) VRRPInterface(h *Host) string {
	if c.Keepalived.Interface != "" {
		return c.Keepalived.Interface
	}
	return h.ClusterInterface
}
