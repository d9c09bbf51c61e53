package config

import (
	"net/netip"
	"slices"
	"sort"
	"time"
)

// keyTable maps the keys of one kind of section to the field each sets.
type keyTable[T any] map[string]setter[T]

func (t keyTable[T]) has(key string) bool { _, ok := t[key]; return ok }

func (t keyTable[T]) names() []string {
	names := make([]string, 0, len(t))
	for k := range t {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// kind describes a section type (or the global scope, kind "").
type kind struct {
	named bool     // <host NAME> rather than <monitor>
	names []string // the only names allowed (checks); nil = any
	keys  func() []string
	has   func(string) bool
}

func kindOf[T any](t keyTable[T], named bool, names []string) kind {
	return kind{named: named, names: names, keys: t.names, has: t.has}
}

// kinds lists every section MMM 2.2.1 or we know; "" is the global scope.
// Which kinds have a `default` template (host, check) is decode's business.
var kinds = map[string]kind{
	"":            kindOf(globalKeys, false, nil),
	"host":        kindOf(hostKeys, true, nil),
	"role":        kindOf(roleKeys, true, nil),
	"check":       kindOf(checkKeys, true, CheckNames),
	"monitor":     kindOf(monitorKeys, false, nil),
	"socket":      kindOf(socketKeys, false, nil),
	"copy_method": kindOf(copyMethodKeys, true, nil),
	"coordinator": kindOf(coordinatorKeys, false, nil),
	"keepalived":  kindOf(keepalivedKeys, false, nil),
}

// sectionNames lists the section types for messages, MMM's first.
var sectionNames = []string{"host", "role", "monitor", "check", "socket", "copy_method", "coordinator", "keepalived"}

// passwordKeys hold secrets: each may instead be given as KEY_file, the
// path of a file holding the value, and a file holding one in clear is
// checked for being readable by others.
var passwordKeys = []string{"agent_password", "monitor_password", "replication_password", "tools_password", "auth_pass"}

func isPasswordKey(k string) bool { return slices.Contains(passwordKeys, k) }

var globalKeys = keyTable[Config]{
	"this": setWord(func(c *Config) *string { return &c.This }),
	"debug": func(c *Config, v string) (err error) {
		if v == "" { // a bare `debug` line turns it on
			c.Debug = true
			return nil
		}
		c.Debug, err = parseBool(v)
		return err
	},
	"active_master_role":  setWord(func(c *Config) *string { return &c.ActiveMasterRole }),
	"max_kill_retries":    setInt(func(c *Config) *int { return &c.MaxKillRetries }),
	"default_copy_method": setTool[Config](func(c *Config) map[string]string { return c.Tools }, "default_copy_method"),
	"clone_dirs":          setTool[Config](func(c *Config) map[string]string { return c.Tools }, "clone_dirs"),
}

// hostToolKeys are mmm_tools' per-host options, kept verbatim in Host.Tools.
var hostToolKeys = []string{
	"ssh_user", "ssh_port", "ssh_parameters", "tools_user", "tools_password",
	"backup_dir", "restore_dir", "lvm_bin_lvcreate", "lvm_bin_lvremove",
	"lvm_snapshot_size", "lvm_logical_volume", "lvm_volume_group",
	"lvm_mount_dir", "lvm_mount_opts",
}

func setTool[T any](tools func(*T) map[string]string, key string) setter[T] {
	return func(t *T, v string) error { tools(t)[key] = v; return nil }
}

var hostKeys = withHostTools(keyTable[Host]{
	"ip":                   func(h *Host, v string) (err error) { h.IP, err = parseIP(v); return err },
	"mode":                 func(h *Host, v string) (err error) { h.Mode, err = ParseHostMode(v); return err },
	"peer":                 setWord(func(h *Host) *string { return &h.Peer }),
	"pid_path":             setString(func(h *Host) *string { return &h.PidPath }),
	"bin_path":             setString(func(h *Host) *string { return &h.BinPath }),
	"agent_port":           setInt(func(h *Host) *int { return &h.AgentPort }),
	"cluster_interface":    setWord(func(h *Host) *string { return &h.ClusterInterface }),
	"mysql_port":           setInt(func(h *Host) *int { return &h.MySQLPort }),
	"mysql_pidfile":        setString(func(h *Host) *string { return &h.MySQLPidfile }),
	"mysql_rcscript":       setString(func(h *Host) *string { return &h.MySQLRcscript }),
	"mysql_cnf":            setString(func(h *Host) *string { return &h.MySQLCnf }),
	"agent_user":           setString(func(h *Host) *string { return &h.AgentUser }),
	"agent_password":       setString(func(h *Host) *string { return &h.AgentPassword }),
	"monitor_user":         setString(func(h *Host) *string { return &h.MonitorUser }),
	"monitor_password":     setString(func(h *Host) *string { return &h.MonitorPassword }),
	"replication_user":     setString(func(h *Host) *string { return &h.ReplicationUser }),
	"replication_password": setString(func(h *Host) *string { return &h.ReplicationPassword }),

	"mysql_socket":  setString(func(h *Host) *string { return &h.MySQLSocket }),
	"vip_interface": setWord(func(h *Host) *string { return &h.VIPInterface }),
	"raft_address":  setWord(func(h *Host) *string { return &h.RaftAddress }),
	"api_address":   setWord(func(h *Host) *string { return &h.APIAddress }),
	"api_socket":    setString(func(h *Host) *string { return &h.APISocket }),
	"data_dir":      setString(func(h *Host) *string { return &h.DataDir }),
	"track_file":    setString(func(h *Host) *string { return &h.TrackFile }),
	"priority":      setInt(func(h *Host) *int { return &h.Priority }),
	"notify_fifo":   setString(func(h *Host) *string { return &h.NotifyFifo }),
})

func withHostTools(t keyTable[Host]) keyTable[Host] {
	for _, k := range hostToolKeys {
		t[k] = setTool(func(h *Host) map[string]string { return h.Tools }, k)
	}
	return t
}

var roleKeys = keyTable[Role]{
	"mode":   func(r *Role, v string) (err error) { r.Mode, err = ParseRoleMode(v); return err },
	"hosts":  setList(func(r *Role) *[]string { return &r.Hosts }),
	"ips":    setIPs(func(r *Role) *[]netip.Addr { return &r.IPs }),
	"prefer": setWord(func(r *Role) *string { return &r.Prefer }),
}

var monitorKeys = keyTable[Monitor]{
	"ip":                    setString(func(m *Monitor) *string { return &m.IP }),
	"port":                  setInt(func(m *Monitor) *int { return &m.Port }),
	"pid_path":              setString(func(m *Monitor) *string { return &m.PidPath }),
	"bin_path":              setString(func(m *Monitor) *string { return &m.BinPath }),
	"status_path":           setString(func(m *Monitor) *string { return &m.StatusPath }),
	"ping_interval":         setDuration(func(m *Monitor) *time.Duration { return &m.PingInterval }),
	"ping_ips":              setIPs(func(m *Monitor) *[]netip.Addr { return &m.PingIPs }),
	"flap_duration":         setDuration(func(m *Monitor) *time.Duration { return &m.FlapDuration }),
	"flap_count":            setInt(func(m *Monitor) *int { return &m.FlapCount }),
	"auto_set_online":       setDuration(func(m *Monitor) *time.Duration { return &m.AutoSetOnline }),
	"kill_host_bin":         setString(func(m *Monitor) *string { return &m.KillHostBin }),
	"careful_startup":       setBool(func(m *Monitor) *bool { return &m.CarefulStartup }),
	"mode":                  func(m *Monitor, v string) (err error) { m.Mode, err = ParseMonitorMode(v); return err },
	"wait_for_other_master": setDuration(func(m *Monitor) *time.Duration { return &m.WaitForOtherMaster }),
}

var checkKeys = keyTable[Check]{
	"check_period":   setDuration(func(c *Check) *time.Duration { return &c.CheckPeriod }),
	"trap_period":    setDuration(func(c *Check) *time.Duration { return &c.TrapPeriod }),
	"timeout":        setDuration(func(c *Check) *time.Duration { return &c.Timeout }),
	"restart_after":  setInt(func(c *Check) *int { return &c.RestartAfter }),
	"max_backlog":    setDuration(func(c *Check) *time.Duration { return &c.MaxBacklog }),
	"ping_method":    func(c *Check, v string) (err error) { c.PingMethod, err = parsePingMethod(v); return err },
	"max_connecting": setDuration(func(c *Check) *time.Duration { return &c.MaxConnecting }),
}

var socketKeys = keyTable[Socket]{
	"type":      setWord(func(s *Socket) *string { return &s.Type }),
	"cert_file": setString(func(s *Socket) *string { return &s.CertFile }),
	"key_file":  setString(func(s *Socket) *string { return &s.KeyFile }),
	"ca_file":   setString(func(s *Socket) *string { return &s.CAFile }),
}

// copyMethod stands in for mmm_tools' <copy_method NAME> sections: their
// keys are checked by name and then ignored.
type copyMethod struct{}

func ignore(*copyMethod, string) error { return nil }

var copyMethodKeys = keyTable[copyMethod]{
	"backup_command": ignore, "restore_command": ignore, "incremental_command": ignore,
	"incremental": ignore, "single_run": ignore, "true_copy": ignore,
}

var coordinatorKeys = keyTable[Coordinator]{
	"raft_peers":                setList(func(c *Coordinator) *[]string { return &c.RaftPeers }),
	"raft_heartbeat_timeout":    setDuration(func(c *Coordinator) *time.Duration { return &c.RaftHeartbeatTimeout }),
	"raft_election_timeout":     setDuration(func(c *Coordinator) *time.Duration { return &c.RaftElectionTimeout }),
	"raft_leader_lease_timeout": setDuration(func(c *Coordinator) *time.Duration { return &c.RaftLeaderLeaseTimeout }),
	"api_token_file":            setString(func(c *Coordinator) *string { return &c.APITokenFile }),
	"api_read_token_file":       setString(func(c *Coordinator) *string { return &c.APIReadTokenFile }),
	"lease":                     setDuration(func(c *Coordinator) *time.Duration { return &c.Lease }),
	"history_size":              setInt(func(c *Coordinator) *int { return &c.HistorySize }),
	"fence_timeout":             setDuration(func(c *Coordinator) *time.Duration { return &c.FenceTimeout }),
	"kill_unfenced_mysqld":      setBool(func(c *Coordinator) *bool { return &c.KillUnfencedMySQLD }),
	"catchup_timeout":           setDuration(func(c *Coordinator) *time.Duration { return &c.CatchupTimeout }),
	"catchup_policy": func(c *Coordinator, v string) (err error) {
		c.CatchupPolicy, err = ParseCatchupPolicy(v)
		return err
	},
	"semisync_min_clients": setInt(func(c *Coordinator) *int { return &c.SemisyncMinClients }),
	"garp_count":           setInt(func(c *Coordinator) *int { return &c.GarpCount }),
	"garp_interval":        setDuration(func(c *Coordinator) *time.Duration { return &c.GarpInterval }),
}

var keepalivedKeys = keyTable[Keepalived]{
	"virtual_router_id":  setInt(func(k *Keepalived) *int { return &k.VirtualRouterID }),
	"interface":          setWord(func(k *Keepalived) *string { return &k.Interface }),
	"auth_pass":          setString(func(k *Keepalived) *string { return &k.AuthPass }),
	"vrrp_version":       setInt(func(k *Keepalived) *int { return &k.VRRPVersion }),
	"advert_int":         setDuration(func(k *Keepalived) *time.Duration { return &k.AdvertInt }),
	"unicast":            setBool(func(k *Keepalived) *bool { return &k.Unicast }),
	"check_interval":     setDuration(func(k *Keepalived) *time.Duration { return &k.CheckInterval }),
	"check_timeout":      setDuration(func(k *Keepalived) *time.Duration { return &k.CheckTimeout }),
	"check_fall":         setInt(func(k *Keepalived) *int { return &k.CheckFall }),
	"check_rise":         setInt(func(k *Keepalived) *int { return &k.CheckRise }),
	"check_bin":          setString(func(k *Keepalived) *string { return &k.CheckBin }),
	"notify_bin":         setString(func(k *Keepalived) *string { return &k.NotifyBin }),
	"notify_fifo":        setString(func(k *Keepalived) *string { return &k.NotifyFifo }),
	"notify_log":         setString(func(k *Keepalived) *string { return &k.NotifyLog }),
	"garp_master_delay":  setDuration(func(k *Keepalived) *time.Duration { return &k.GarpMasterDelay }),
	"garp_master_repeat": setInt(func(k *Keepalived) *int { return &k.GarpMasterRpt }),
	"down_timer_adverts": setInt(func(k *Keepalived) *int { return &k.DownTimerAdverts }),
}
