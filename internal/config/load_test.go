package config

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIncludeRelativeToIncludingFile(t *testing.T) {
	inDir(t, map[string]string{
		"etc/mmm_agent.conf":         "include common/mmm_common.conf\nthis db2\n",
		"etc/common/mmm_common.conf": "include hosts.conf\n" + strings.SplitN(labBase, "<host db1>", 2)[0],
		"etc/common/hosts.conf":      "<host db1>" + strings.SplitN(labBase, "<host db1>", 2)[1],
	})
	c := mustLoad(t, "etc/mmm_agent.conf")
	want := []string{"etc/mmm_agent.conf", "etc/common/mmm_common.conf", "etc/common/hosts.conf"}
	if !slices.Equal(c.Files, want) {
		t.Errorf("Files = %v, want %v", c.Files, want)
	}
	if c.This != "db2" || len(c.Hosts) != 3 || c.Host("db1").ClusterInterface != "eth0" {
		t.Errorf("this=%q hosts=%v", c.This, hostNames(c))
	}
	// Positions name the file that set the key.
	if got := c.Host("db3").At("mode"); got != (Pos{"etc/common/hosts.conf", 13}) {
		t.Errorf("db3 mode at %v", got)
	}
}

func TestIncludeTwiceIsNoCycle(t *testing.T) {
	inDir(t, map[string]string{
		"main.conf": "include a.conf\ninclude b.conf\n",
		"a.conf":    "include base.conf\n",
		"b.conf":    "include base.conf\n",
		"base.conf": labBase,
	})
	c := mustLoad(t, "main.conf")
	if !slices.Equal(c.Files, []string{"main.conf", "a.conf", "base.conf", "b.conf"}) {
		t.Errorf("Files = %v", c.Files)
	}
}

func TestIncludeSelf(t *testing.T) {
	inDir(t, map[string]string{"main.conf": labBase + "include ./main.conf\n"})
	_, err := Load("main.conf")
	if want := "main.conf:30: include: include cycle: main.conf -> main.conf"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestIncludeDepthLimit(t *testing.T) {
	files := map[string]string{}
	for i := range maxIncludeDepth + 1 {
		files[fileN(i)] = "include " + fileN(i+1) + "\n"
	}
	inDir(t, files)
	_, err := Load(fileN(0))
	if err == nil || !strings.Contains(err.Error(), "includes nested deeper than 16 files") || !errors.Is(err, ErrInclude) {
		t.Errorf("err = %v", err)
	}
}

func fileN(i int) string { return "f" + string(rune('a'+i)) + ".conf" }

func TestLoadMissingFile(t *testing.T) {
	inDir(t, nil)
	_, err := Load("mmm_mon.conf")
	if want := `mmm_mon.conf: cannot read "mmm_mon.conf": no such file or directory`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if err := os.Mkdir("dir.conf", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Load("dir.conf")
	if want := `dir.conf: cannot read "dir.conf": not a regular file`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestLoadTooLarge(t *testing.T) {
	inDir(t, map[string]string{"big.conf": strings.Repeat("#\n", maxFileSize)})
	if _, err := Load("big.conf"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}

// TestMergeSameNamedSections follows MMM: mmm_mon.conf's <host default>
// adds monitor_user to the one of mmm_common.conf, and a later line
// overrides an earlier one wherever both are.
func TestMergeSameNamedSections(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": `include base.conf
<host db3>
    mysql_port 3307
</host>
<host db3>
    mysql_port 3308   # the later one wins
</host>
<monitor>
    ping_interval 0.5
</monitor>
<monitor>
    port 9000
</monitor>
`,
	})
	c := mustLoad(t, "main.conf")
	db3 := c.Host("db3")
	if db3.MySQLPort != 3308 || db3.IP.String() != "198.18.0.13" || db3.Mode != HostModeSlave {
		t.Errorf("db3 = port %d ip %v mode %v", db3.MySQLPort, db3.IP, db3.Mode)
	}
	if db3.Pos != (Pos{"base.conf", 16}) || db3.At("mysql_port") != (Pos{"main.conf", 6}) {
		t.Errorf("db3 opened at %v, mysql_port at %v", db3.Pos, db3.At("mysql_port"))
	}
	if c.Monitor.PingInterval != 500*time.Millisecond || c.Monitor.Port != 9000 {
		t.Errorf("monitor = %v %d", c.Monitor.PingInterval, c.Monitor.Port)
	}
	if got := hostNames(c); !slices.Equal(got, []string{"db1", "db2", "db3"}) {
		t.Errorf("hosts = %v", got)
	}
}

// TestDefaultSectionAnyOrder: a default applies to sections before and
// after it, and a section's own key beats the default wherever it is.
func TestDefaultSectionAnyOrder(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": `include base.conf
<host db2>
    agent_port 7000
</host>
<host default>
    agent_port 8000
    monitor_user mon
</host>
<check mysql>
    timeout 1
</check>
<check default>
    timeout 3
    check_period 0.5
</check>
`,
	})
	c := mustLoad(t, "main.conf")
	if p1, p2 := c.Host("db1").AgentPort, c.Host("db2").AgentPort; p1 != 8000 || p2 != 7000 {
		t.Errorf("agent_port db1=%d db2=%d, want 8000 7000", p1, p2)
	}
	if u := c.Host("db3").MonitorUser; u != "mon" {
		t.Errorf("monitor_user = %q", u)
	}
	if m, p := c.Checks["mysql"], c.Checks["ping"]; m.Timeout != time.Second || p.Timeout != 3*time.Second ||
		m.CheckPeriod != 500*time.Millisecond || p.CheckPeriod != 500*time.Millisecond {
		t.Errorf("mysql %v/%v ping %v/%v", m.Timeout, m.CheckPeriod, p.Timeout, p.CheckPeriod)
	}
	if got := c.Checks["rep_backlog"].Pos; got != (Pos{"main.conf", 12}) {
		t.Errorf("rep_backlog without own section at %v, want its template's line", got)
	}
}

func TestComments(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": "include base.conf # the lab\n" +
			"<host default> #note\n" +
			"\treplication_password\tpa#ss\t# a # inside a word is kept\n" +
			"    agent_password  two words  \n" +
			"</host>  # end\n" +
			"  # indented whole-line comment\n" +
			"<check  ping>\t#\ttab before the hash\n" +
			"    timeout 4 #seconds\n" +
			"</check>\r\n" + // CRLF
			"debug\n",
	})
	c := mustLoad(t, "main.conf")
	h := c.Host("db1")
	if h.ReplicationPassword != "pa#ss" || h.AgentPassword != "two words" {
		t.Errorf("replication_password=%q agent_password=%q", h.ReplicationPassword, h.AgentPassword)
	}
	if c.Checks["ping"].Timeout != 4*time.Second || !c.Debug {
		t.Errorf("ping timeout %v debug %v", c.Checks["ping"].Timeout, c.Debug)
	}
}

func TestSelfClosingSections(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": "include base.conf\n<socket/>\n<check mysql />\n< monitor/>\n<copy_method rsync/>\n",
	})
	c := mustLoad(t, "main.conf")
	if c.Socket.Type != "plain" || c.Socket.Pos != (Pos{"main.conf", 2}) || c.Checks["mysql"].Pos != (Pos{"main.conf", 3}) {
		t.Errorf("socket %+v, check mysql at %v", c.Socket, c.Checks["mysql"].Pos)
	}
}

func TestToolsAndCopyMethodAccepted(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": `include base.conf
default_copy_method rdiff
clone_dirs /var/lib/mysql, /var/log/mysql
<host default>
    ssh_user root
    lvm_mount_opts -o rw
    tools_password_file tools.pass
</host>
<copy_method rdiff>
    backup_command ssh %SSH_USER%@%HOST% ...
    incremental yes
</copy_method>
`,
		"tools.pass": "t00ls\n",
	})
	c := mustLoad(t, "main.conf")
	h := c.Host("db2")
	if h.Tools["ssh_user"] != "root" || h.Tools["lvm_mount_opts"] != "-o rw" || h.Tools["tools_password"] != "t00ls" || h.Tools["ssh_port"] != "22" {
		t.Errorf("tools = %v", h.Tools)
	}
	if c.Tools["default_copy_method"] != "rdiff" || c.Tools["clone_dirs"] != "/var/lib/mysql, /var/log/mysql" {
		t.Errorf("global tools = %v", c.Tools)
	}
}

func TestOurSections(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": `include base.conf
<host mon>
    ip 198.18.0.20
    mode witness
</host>
<host db1>
    mysql_socket /run/mysqld/mysqld.sock
    api_socket /run/mmm/api.sock
    data_dir /srv/mmm
    track_file /run/mmm/w.track
    notify_fifo /run/mmm/db1.fifo
</host>
<check rep_threads>
    max_connecting 800ms
</check>
<check ping>
    ping_method TCP
</check>
<coordinator>
    raft_heartbeat_timeout 1s
    raft_election_timeout 2s
    raft_leader_lease_timeout 0.5
    api_token_file token
    lease 3
    history_size 50
    fence_timeout 4s
    catchup_timeout 1m
    catchup_policy promote
    semisync_min_clients 0
    garp_count 3
    garp_interval 0.1
</coordinator>
<keepalived>
    virtual_router_id 51
    interface br0
    vrrp_version 2
    advert_int 1
    auth_pass_file vrrp.pass
    unicast on
    check_interval 2
    check_timeout 1s
    check_fall 2
    check_rise 3
    check_bin /opt/mmm-check
    notify_bin /opt/mmm-notify
    notify_fifo /run/k.fifo
    notify_log /var/log/mmm-notify.log
    garp_master_delay 0
    garp_master_repeat 2
</keepalived>
`,
		"token":     "abc\n",
		"vrrp.pass": "vrrp\n",
	})
	c := mustLoad(t, "main.conf")
	db1, mon := c.Host("db1"), c.Host("mon")
	if mon.Mode != HostModeWitness || mon.Priority != 0 || mon.RaftAddress != "198.18.0.20:9990" {
		t.Errorf("mon = %+v", mon)
	}
	if db1.MySQLSocket != "/run/mysqld/mysqld.sock" || db1.APISocket != "/run/mmm/api.sock" || db1.DataDir != "/srv/mmm" || db1.TrackFile != "/run/mmm/w.track" {
		t.Errorf("db1 = %+v", db1)
	}
	if c.Checks["rep_threads"].MaxConnecting != 800*time.Millisecond || c.Checks["ping"].PingMethod != PingTCP {
		t.Errorf("checks: %+v %+v", c.Checks["rep_threads"], c.Checks["ping"])
	}
	if !slices.Equal(c.Coordinator.RaftPeers, []string{"db1", "db2", "db3", "mon"}) {
		t.Errorf("raft_peers = %v", c.Coordinator.RaftPeers)
	}
	want := Coordinator{
		Where: c.Coordinator.Where, RaftPeers: c.Coordinator.RaftPeers,
		RaftHeartbeatTimeout: time.Second, RaftElectionTimeout: 2 * time.Second, RaftLeaderLeaseTimeout: 500 * time.Millisecond,
		APITokenFile: "token", Lease: 3 * time.Second, HistorySize: 50, FenceTimeout: 4 * time.Second, KillUnfencedMySQLD: true,
		CatchupTimeout: time.Minute, CatchupPolicy: CatchupPromote, SemisyncMinClients: 0,
		GarpCount: 3, GarpInterval: 100 * time.Millisecond,
	}
	if !equalIgnoringWhere(c.Coordinator, want, func(*Coordinator) {}) {
		t.Errorf("coordinator = %+v\nwant %+v", c.Coordinator, want)
	}
	wantK := Keepalived{
		VirtualRouterID: 51, Interface: "br0", AuthPass: "vrrp", VRRPVersion: 2, AdvertInt: time.Second,
		Unicast: true, CheckInterval: 2 * time.Second, CheckTimeout: time.Second, CheckFall: 2, CheckRise: 3,
		CheckBin: "/opt/mmm-check", NotifyBin: "/opt/mmm-notify", NotifyFifo: "/run/k.fifo",
		NotifyLog: "/var/log/mmm-notify.log", GarpMasterDelay: 0, GarpMasterRpt: 2, DownTimerAdverts: 1,
	}
	if !equalIgnoringWhere(c.Keepalived, wantK, func(*Keepalived) {}) {
		t.Errorf("keepalived = %+v\nwant %+v", c.Keepalived, wantK)
	}
	if c.VRRPInterface(db1) != "br0" {
		t.Errorf("VRRPInterface = %q", c.VRRPInterface(db1))
	}
	// A host's notify_fifo overrides <keepalived>'s; others keep that one.
	if got, got2 := c.NotifyFifo(db1), c.NotifyFifo(c.Host("db2")); got != "/run/mmm/db1.fifo" || got2 != "/run/k.fifo" {
		t.Errorf("NotifyFifo = %q (db1), %q (db2)", got, got2)
	}
}

func TestParseInMemory(t *testing.T) {
	c, err := Parse("lab.conf", []byte(labBase))
	if err != nil {
		t.Fatal(err)
	}
	if c.Files[0] != "lab.conf" || c.Host("db2").At("peer") != (Pos{"lab.conf", 14}) || len(c.Warnings) != 0 {
		t.Errorf("files %v, db2 peer at %v, warnings %q", c.Files, c.Host("db2").At("peer"), c.Warnings)
	}
	// Includes and password files still come from the disk.
	inDir(t, map[string]string{"conf/base.conf": labBase, "conf/agent.pass": "pw\n"})
	c, err = Parse("conf/main.conf", []byte("include base.conf\n<host db3>\n    agent_password_file agent.pass\n</host>\n"))
	if err != nil || c.Host("db3").AgentPassword != "pw" || c.Files[1] != "conf/base.conf" {
		t.Fatalf("Parse with include: %v", err)
	}
	_, err = Parse("lab.conf", []byte(labBase+"<role writer>\n    hosts db1, db9\n</role>\n"))
	if want := `lab.conf:31: role writer: hosts: host "db9" is not defined`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
