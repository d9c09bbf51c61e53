package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The cluster configuration the lab writes, in MMM's format plus our keys
// (internal/config documents them): <state>/etc/mmm_common.conf for the
// cluster and <state>/etc/mmm_<host>.conf (`include` + `this`) per host.

// ConfigPath returns the lab's mmm_common.conf.
func (l *Lab) ConfigPath() string { return filepath.Join(l.opts.StateDir, "etc", "mmm_common.conf") }

// HostConfigPath returns the configuration a host's coordinator reads.
func (l *Lab) HostConfigPath(host string) string {
	return filepath.Join(l.opts.StateDir, "etc", "mmm_"+host+".conf")
}

// upConfig writes the cluster configuration, one file per host and the
// API token. Files holding passwords are 0600.
func (l *Lab) upConfig(ctx context.Context) error {
	dir := filepath.Dir(l.ConfigPath())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return fmt.Errorf("lab: token: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "api.token"), []byte(hex.EncodeToString(token)+"\n"), 0o600); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := os.WriteFile(l.ConfigPath(), []byte(renderConfig(l.opts.StateDir, l.opts.BinDir, l.opts.Profile)), 0o600); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	for _, h := range DBHosts() {
		body := fmt.Sprintf("# %s's view of the lab cluster.\ninclude mmm_common.conf\nthis %s\n", h.Name, h.Name)
		if err := os.WriteFile(l.HostConfigPath(h.Name), []byte(body), 0o600); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
}

// renderConfig renders mmm_common.conf for a lab whose state lives in
// stateDir; binDir ("" = the packaged defaults) locates mmm-check and
// mmm-notify; profile chooses the timing. Every per-host path points into <stateDir>/<host>/: the lab's
// hosts share one filesystem.
func renderConfig(stateDir, binDir string, profile Profile) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	kv := func(k string, v any) { w("    %-22s %v", k, v) }
	hostPath := func(h, p string) string { return filepath.Join(stateDir, h, p) }

	w("# The lab's cluster (test/lab, generated): the reference topology of docs/lab.md.")
	w("active_master_role writer")
	w("")
	w("<host default>")
	kv("cluster_interface", hostIface)
	kv("mysql_port", MySQLPort)
	kv("agent_user", AgentUser.Name)
	kv("agent_password", AgentUser.Password)
	kv("monitor_user", MonitorUser.Name)
	kv("monitor_password", MonitorUser.Password)
	kv("replication_user", ReplUser.Name)
	kv("replication_password", ReplUser.Password)
	w("</host>")
	for _, h := range DBHosts() {
		w("")
		w("<host %s>", h.Name)
		kv("ip", h.Addr)
		kv("mode", h.Mode)
		if h.Peer != "" {
			kv("peer", h.Peer)
		}
		kv("mysql_socket", hostPath(h.Name, "mysql/mysqld.sock"))
		kv("mysql_pidfile", hostPath(h.Name, "mysql/mysqld.pid"))
		kv("pid_path", hostPath(h.Name, "coordinator.pid"))
		kv("data_dir", hostPath(h.Name, "coordinator"))
		kv("api_socket", hostPath(h.Name, "mmm.sock"))
		kv("track_file", hostPath(h.Name, "writer.track"))
		if h.Mode == "master" {
			// keepalived's fifo: one per host on this shared filesystem.
			kv("notify_fifo", hostPath(h.Name, "vrrp.fifo"))
		}
		w("</host>")
	}
	var masters, all, readers []string
	for _, h := range DBHosts() {
		all = append(all, h.Name)
		if h.Mode == "master" {
			masters = append(masters, h.Name)
		}
	}
	for _, a := range ReaderVIPs {
		readers = append(readers, a.String())
	}
	w("")
	w("<role writer>")
	kv("hosts", strings.Join(masters, ", "))
	kv("ips", WriterVIP)
	kv("mode", "exclusive")
	w("</role>")
	w("")
	w("<role reader>")
	kv("hosts", strings.Join(all, ", "))
	kv("ips", strings.Join(readers, ", "))
	kv("mode", "balanced")
	w("</role>")
	w("")
	mon, _ := LookupHost("mon")
	var pingIPs []string
	for _, h := range DBHosts() {
		pingIPs = append(pingIPs, h.Addr.String())
	}
	w("<monitor>")
	kv("ip", mon.Addr)
	kv("pid_path", filepath.Join(stateDir, "mon", "monitor.pid"))
	kv("bin_path", binDirOr(binDir, "/usr/lib/mysql-mmm"))
	kv("status_path", filepath.Join(stateDir, "mon", "mmm_mond.status"))
	kv("ping_ips", strings.Join(pingIPs, ", "))
	kv("auto_set_online", 0)
	w("</monitor>")
	w("")
	if profile != ProfileDefaults {
		w("# Short periods: the lab proves failover in seconds, not minutes.")
		w("<check default>")
		kv("check_period", 1)
		kv("trap_period", 2)
		kv("timeout", 1)
		w("</check>")
		w("")
	}
	w("<check rep_backlog>")
	kv("max_backlog", 10)
	w("</check>")
	w("")
	w("<keepalived>")
	kv("virtual_router_id", 51)
	kv("interface", hostIface)
	kv("notify_log", filepath.Join(stateDir, "mmm-notify.log"))
	if binDir != "" {
		kv("check_bin", filepath.Join(binDir, "mmm-check"))
		kv("notify_bin", filepath.Join(binDir, "mmm-notify"))
	}
	w("</keepalived>")
	w("")
	w("<coordinator>")
	kv("raft_peers", strings.Join(all, ", "))
	if profile != ProfileDefaults {
		w("# A host that dies is taken over about 1.25 × lease after its")
		w("# coordinator's last heartbeat. 1 s still outlasts a leader election")
		w("# (a new leader within 0.5-1 s with raft_heartbeat_timeout 500ms),")
		w("# which must not cost the writer its eligibility.")
		kv("lease", "1s")
		kv("raft_heartbeat_timeout", "500ms")
		kv("raft_election_timeout", "500ms")
		kv("raft_leader_lease_timeout", "250ms")
		w("# A frozen writer's mysqld is killed 2 s into its self-fence, and the")
		w("# failover waits for that: 5 s (the default) is most of its time.")
		kv("fence_timeout", "2s")
	}
	kv("api_token_file", filepath.Join(stateDir, "etc", "api.token"))
	w("</coordinator>")
	return b.String()
}

func binDirOr(binDir, def string) string {
	if binDir == "" {
		return def
	}
	return binDir
}
