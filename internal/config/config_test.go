package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config/configtest"
)

// labBase is the lab topology (docs/lab.md) in MMM's format; tests include
// it and add or override sections in their own file.
const labBase = `active_master_role writer
<host default>
    cluster_interface eth0
    agent_user mmm_agent
</host>
` + configtest.Topology

// inDir writes files (name → content, mode 0600) into a fresh directory
// and makes it the working directory, so that messages name files the way
// an operator typing relative paths would see them: "main.conf:3".
func inDir(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func mustLoad(t *testing.T, path string) *Config {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", path, err)
	}
	return c
}

func hostNames(c *Config) []string {
	var names []string
	for _, h := range c.Hosts {
		names = append(names, h.Name)
	}
	return names
}

func TestSeedMonitorConfig(t *testing.T) {
	c := mustLoad(t, "testdata/seed/mmm_mon.conf")

	if got, want := c.Files, []string{"testdata/seed/mmm_mon.conf", "testdata/seed/mmm_common.conf"}; !slices.Equal(got, want) {
		t.Errorf("Files = %v, want %v", got, want)
	}
	if got := hostNames(c); !slices.Equal(got, []string{"db1", "db2", "db3"}) {
		t.Errorf("hosts = %v, want db1 db2 db3 in configuration order", got)
	}
	if c.ActiveMasterRole != "writer" || c.This != "" || c.Debug || c.MaxKillRetries != 10 {
		t.Errorf("globals: active_master_role=%q this=%q debug=%v max_kill_retries=%d", c.ActiveMasterRole, c.This, c.Debug, c.MaxKillRetries)
	}
	wantHosts := []struct {
		name, ip, peer string
		mode           HostMode
	}{
		{"db1", "10.0.60.100", "db2", HostModeMaster},
		{"db2", "10.0.60.101", "db1", HostModeMaster},
		{"db3", "10.0.60.102", "", HostModeSlave},
	}
	for _, w := range wantHosts {
		h := c.Host(w.name)
		if h.IP != netip.MustParseAddr(w.ip) || h.Mode != w.mode || h.Peer != w.peer {
			t.Errorf("host %s: ip=%v mode=%v peer=%q, want %s %v %q", w.name, h.IP, h.Mode, h.Peer, w.ip, w.mode, w.peer)
		}
		// <host default> of mmm_common.conf and of mmm_mon.conf both apply.
		if h.ClusterInterface != "eth0" || h.AgentPort != 9989 || h.MySQLPort != 3306 ||
			h.AgentUser != "mmm_agent" || h.AgentPassword != "mmm_agent" ||
			h.ReplicationUser != "repl" || h.ReplicationPassword != "repl" ||
			h.MonitorUser != "mmm_agent" || h.MonitorPassword != "mmm_agent" ||
			h.PidPath != "/var/run/mmm_agentd.pid" || h.BinPath != "/usr/lib/mysql-mmm/" {
			t.Errorf("host %s: defaults not applied: %+v", w.name, h)
		}
	}
	if got := c.Host("db1").At("ip"); got != (Pos{"testdata/seed/mmm_common.conf", 27}) {
		t.Errorf("db1 ip set at %v, want mmm_common.conf:27", got)
	}

	w := c.WriterRole()
	if w == nil || w.Mode != RoleModeExclusive || !slices.Equal(w.Hosts, []string{"db1", "db2"}) ||
		!slices.Equal(w.IPs, []netip.Addr{netip.MustParseAddr("10.0.60.160")}) || w.Prefer != "" {
		t.Errorf("writer role = %+v", w)
	}
	r := c.Role("reader")
	wantIPs := []netip.Addr{netip.MustParseAddr("10.0.60.161"), netip.MustParseAddr("10.0.60.162"), netip.MustParseAddr("10.0.60.163")}
	if r == nil || r.Mode != RoleModeBalanced || !slices.Equal(r.Hosts, []string{"db1", "db2", "db3"}) || !slices.Equal(r.IPs, wantIPs) {
		t.Errorf("reader role = %+v (the trailing ' #' note must not be part of ips)", r)
	}

	m := c.Monitor
	if m.IP != "127.0.0.1" || m.Port != 9988 || m.PidPath != "/var/run/mmm_mond.pid" ||
		m.StatusPath != "/var/lib/misc/mmm_mond.status" || m.PingInterval != time.Second ||
		len(m.PingIPs) != 7 || m.PingIPs[6] != netip.MustParseAddr("10.0.60.163") ||
		m.FlapDuration != time.Hour || m.FlapCount != 3 || m.AutoSetOnline != 0 ||
		m.KillHostBin != "/usr/lib/mysql-mmm/monitor/kill_host" || m.CarefulStartup ||
		m.Mode != ModeActive || m.WaitForOtherMaster != 120*time.Second {
		t.Errorf("monitor = %+v", m)
	}

	// <check  mysql> (two spaces, trailing note) sets mysql; the others keep defaults.
	for _, name := range CheckNames {
		ch := c.Checks[name]
		if ch.Name != name || ch.CheckPeriod != 5*time.Second || ch.TrapPeriod != 10*time.Second ||
			ch.Timeout != 2*time.Second || ch.RestartAfter != 10000 || ch.MaxBacklog != time.Minute ||
			ch.PingMethod != PingICMP || ch.MaxConnecting != 10*time.Second {
			t.Errorf("check %s = %+v", name, ch)
		}
	}
	if got := c.Checks["mysql"].At("timeout"); got != (Pos{"testdata/seed/mmm_mon.conf", 55}) {
		t.Errorf("check mysql timeout set at %v, want mmm_mon.conf:55", got)
	}
}

func TestSeedAgentConfig(t *testing.T) {
	c := mustLoad(t, "testdata/seed/mmm_agent.conf")
	if c.This != "db1" || c.ThisHost() != c.Host("db1") || c.Debug || c.MaxKillRetries != 10 {
		t.Errorf("this=%q debug=%v max_kill_retries=%d", c.This, c.Debug, c.MaxKillRetries)
	}
	if h := c.ThisHost(); h.MonitorUser != "" || h.AgentPassword != "mmm_agent" {
		t.Errorf("db1 without mmm_mon.conf: monitor_user=%q agent_password=%q", h.MonitorUser, h.AgentPassword)
	}
	// No <monitor> in the agent's files: MMM's defaults.
	if c.Monitor.Port != 9988 || !c.Monitor.CarefulStartup || c.Monitor.Mode != ModeActive {
		t.Errorf("monitor defaults = %+v", c.Monitor)
	}
}

// TestSeedUnchanged guards the testdata: the seed files must parse as
// the article printed them.
func TestSeedUnchanged(t *testing.T) {
	for _, name := range []string{"mmm_common.conf", "mmm_agent.conf", "mmm_mon.conf"} {
		want, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "seed", name))
		if err != nil {
			t.Skipf("the shared seed is not next to this checkout: %v", err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", "seed", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("testdata/seed/%s differs from the seed", name)
		}
	}
}

func TestDefaults(t *testing.T) {
	inDir(t, map[string]string{"main.conf": labBase})
	c := mustLoad(t, "main.conf")

	db1, db3 := c.Host("db1"), c.Host("db3")
	if db1.AgentPort != 9989 || db1.MySQLPort != 3306 || db1.MySQLPidfile != "/var/run/mysqld/mysqld.pid" ||
		db1.MySQLRcscript != "/etc/init.d/mysql" || db1.MySQLCnf != "/etc/my.cnf" ||
		db1.Tools["ssh_port"] != "22" || db1.Tools["lvm_bin_lvcreate"] != "lvcreate" {
		t.Errorf("MMM host defaults: %+v", db1)
	}
	if db1.RaftAddress != "198.18.0.11:9990" || db1.APIAddress != "198.18.0.11:9991" ||
		db1.VIPInterface != "eth0" || db1.APISocket != DefaultAPISocket || db1.DataDir != DefaultDataDir ||
		db1.TrackFile != DefaultTrackFile || db1.MySQLSocket != "" {
		t.Errorf("our host defaults: %+v", db1)
	}
	if p1, p2, p3 := db1.Priority, c.Host("db2").Priority, db3.Priority; p1 != 254 || p2 != 253 || p3 != 0 {
		t.Errorf("priorities = %d %d %d, want 254 253 0 (by position in the writer role)", p1, p2, p3)
	}
	if !slices.Equal(c.Coordinator.RaftPeers, []string{"db1", "db2", "db3"}) {
		t.Errorf("raft_peers = %v, want every host", c.Coordinator.RaftPeers)
	}
	if c.Keepalived.Interface != "eth0" || c.VRRPInterface(db1) != "eth0" {
		t.Errorf("keepalived interface = %q", c.Keepalived.Interface)
	}

	want := Defaults()
	if !equalIgnoringWhere(c.Coordinator, want.Coordinator, func(co *Coordinator) { co.RaftPeers = nil }) {
		t.Errorf("coordinator = %+v\nwant %+v", c.Coordinator, want.Coordinator)
	}
	if !equalIgnoringWhere(c.Keepalived, want.Keepalived, func(k *Keepalived) { k.Interface = "" }) {
		t.Errorf("keepalived = %+v\nwant %+v", c.Keepalived, want.Keepalived)
	}
	if c.Coordinator.CatchupPolicy != CatchupRefuse || c.Keepalived.VRRPVersion != 3 || c.Keepalived.AdvertInt != 100*time.Millisecond {
		t.Errorf("spot check: %v %d %v", c.Coordinator.CatchupPolicy, c.Keepalived.VRRPVersion, c.Keepalived.AdvertInt)
	}
	if c.Socket.Type != "plain" {
		t.Errorf("socket type = %q, want plain", c.Socket.Type)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
}

// equalIgnoringWhere compares two sections after clearing positions and
// the derived fields norm clears.
func equalIgnoringWhere[T Coordinator | Keepalived](a, b T, norm func(*T)) bool {
	norm(&a)
	norm(&b)
	noWhere := func(t *T) {
		switch v := any(t).(type) {
		case *Coordinator:
			v.Where = Where{}
		case *Keepalived:
			v.Where = Where{}
		}
	}
	noWhere(&a)
	noWhere(&b)
	return reflect.DeepEqual(a, b)
}

func TestDerivedDefaultsYieldToKeys(t *testing.T) {
	inDir(t, map[string]string{"main.conf": labBase + `
<host default>
    vip_interface eth1
</host>
<host db2>
    priority 90
    raft_address 10.9.9.9:7000
    cluster_interface eth2
</host>
<coordinator>
    raft_peers db1, db2
</coordinator>
`})
	c := mustLoad(t, "main.conf")
	db1, db2 := c.Host("db1"), c.Host("db2")
	if db1.VIPInterface != "eth1" || db2.VIPInterface != "eth1" {
		t.Errorf("vip_interface from <host default>: %q %q", db1.VIPInterface, db2.VIPInterface)
	}
	if db2.Priority != 90 || db1.Priority != 254 || db2.RaftAddress != "10.9.9.9:7000" || db2.APIAddress != "198.18.0.12:9991" {
		t.Errorf("db2 = prio %d raft %q api %q; db1 prio %d", db2.Priority, db2.RaftAddress, db2.APIAddress, db1.Priority)
	}
	// The writer hosts' interfaces differ: no common one; each uses its own.
	if c.Keepalived.Interface != "" || c.VRRPInterface(db2) != "eth2" || c.VRRPInterface(db1) != "eth0" {
		t.Errorf("keepalived interface %q, db1 %q, db2 %q", c.Keepalived.Interface, c.VRRPInterface(db1), c.VRRPInterface(db2))
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "raft_peers has 2 member(s)") {
		t.Errorf("warnings = %q, want the two-member raft warning", c.Warnings)
	}
}

func TestAdvertIntDefaultFollowsVRRPVersion(t *testing.T) {
	for _, tc := range []struct {
		name, keepalived string
		want             time.Duration
	}{
		{"v3 default", "", 100 * time.Millisecond},
		{"v2 default", "vrrp_version 2", time.Second},
		{"v2 set", "vrrp_version 2\nadvert_int 3", 3 * time.Second},
		{"v3 set", "vrrp_version 3\nadvert_int 0.5", 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inDir(t, map[string]string{"main.conf": labBase + "\n<keepalived>\n" + tc.keepalived + "\n</keepalived>\n"})
			if got := mustLoad(t, "main.conf").Keepalived.AdvertInt; got != tc.want {
				t.Errorf("advert_int = %s, want %s", got, tc.want)
			}
		})
	}
}
