package doctor

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config/configtest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// labConf is the README's lab cluster: lease 1s, so the semisync timeout
// the coordinator needs is 1s + 5s + 1s = 7s.
const labConf = `active_master_role writer
<host default>
    cluster_interface eth0
    agent_user mmm_agent
    agent_password agent-lab
    monitor_user mmm_monitor
    monitor_password monitor-lab
    replication_user repl
    replication_password repl-lab
</host>
` + configtest.Topology + `<coordinator>
    lease 1s
</coordinator>
<keepalived>
    virtual_router_id 51
</keepalived>
`

func labConfig(t *testing.T, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "mmm_common.conf"), []byte(labConf+extra))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var agentGrants = []string{
	"GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `mmm_agent`@`198.18.0.%` IDENTIFIED BY PASSWORD '*ABC'",
}

// healthyFacts is the lab as it comes up: db1 the writer, db2 and db3
// replicating from it, semisync on, every server started read-only
// (db1 opened at runtime).
func healthyFacts() map[string]*Facts {
	now := time.Unix(1_700_000_000, 0)
	mk := func(name, ip string, id int, source string) *Facts {
		f := &Facts{
			Host: name, Addr: ip + ":3306", Flavor: dbctl.MariaDB, Version: dbctl.Version{Major: 10, Minor: 11, Patch: 6},
			Accounts: []Account{
				{Kind: KindAgent, User: "mmm_agent", Current: "mmm_agent@198.18.0.%", Grants: agentGrants},
				{Kind: KindMonitor, User: "mmm_monitor", Current: "mmm_monitor@198.18.0.%", Grants: []string{"GRANT SLAVE MONITOR ON *.* TO `mmm_monitor`@`198.18.0.%`"}},
				{Kind: KindReplication, User: "repl", Current: "repl@198.18.0.%", Grants: []string{"GRANT REPLICATION SLAVE ON *.* TO `repl`@`198.18.0.%`"}},
			},
			Vars: map[string]string{
				"read_only": "ON", "log_bin": "ON", "log_slave_updates": "ON", "binlog_format": "ROW",
				"server_id": fmt.Sprint(id), "gtid_strict_mode": "ON", "gtid_domain_id": "0",
				"rpl_semi_sync_master_timeout": "7000", "rpl_semi_sync_master_enabled": "OFF", "rpl_semi_sync_slave_enabled": "ON",
			},
			Origins:  map[string]Origin{"read_only": OriginStartup, "rpl_semi_sync_master_timeout": OriginStartup},
			Semisync: &dbctl.SemisyncStatus{MasterTimeout: 7 * time.Second, ReplicaEnabled: true},
			Sent:     now, Received: now.Add(2 * time.Millisecond), ServerTime: now.Add(time.Millisecond),
		}
		if source != "" {
			f.Replica = &dbctl.ReplicaStatus{IO: dbctl.ThreadRunning, SQL: dbctl.ThreadRunning, SourceHost: source, SourcePort: 3306,
				SourceUser: "repl", UsingGTID: "Slave_Pos", AutoPosition: true, SecondsBehind: sql.NullInt64{Valid: true}}
		}
		return f
	}
	db1 := mk("db1", "198.18.0.11", 1, "198.18.0.12")
	db1.Vars["read_only"] = "OFF"
	db1.Origins["read_only"] = OriginRuntime
	db1.Semisync.MasterEnabled, db1.Semisync.MasterActive, db1.Semisync.Clients = true, true, 2
	return map[string]*Facts{"db1": db1, "db2": mk("db2", "198.18.0.12", 2, "198.18.0.11"), "db3": mk("db3", "198.18.0.13", 3, "198.18.0.11")}
}

// want is one expected problem: severity, host, check and words of its
// message and fix.
type want struct {
	sev         Severity
	host, check string
	msg, fix    string
}

func (w want) matches(p Problem) bool {
	return p.Severity == w.sev && p.Host == w.host && p.Check == w.check &&
		strings.Contains(p.Message, w.msg) && strings.Contains(p.Fix, w.fix)
}

func TestCheck(t *testing.T) {
	healthyNote := want{Note, "db1", "read_only", "make sure db1's my.cnf sets read_only = 1", "read_only = 1"}
	for _, tc := range []struct {
		name   string
		mutate func(map[string]*Facts)
		writer string
		want   []want // besides healthyNote, unless noNote
		noNote bool
	}{
		{name: "healthy"},
		{name: "agent lacks SLAVE MONITOR", mutate: func(f map[string]*Facts) {
			f["db3"].Accounts[0].Grants = []string{strings.Replace(agentGrants[0], ", SLAVE MONITOR", "", 1)}
		}, want: []want{{Error, "db3", "grants", "agent_user 'mmm_agent'@'198.18.0.%' lacks SLAVE MONITOR", "on the writer db1 (it replicates to every server):\nGRANT SLAVE MONITOR ON *.* TO 'mmm_agent'@'198.18.0.%';"}}},
		{name: "agent with ALL PRIVILEGES", mutate: func(f map[string]*Facts) {
			f["db2"].Accounts[0].Grants = []string{"GRANT ALL PRIVILEGES ON *.* TO `mmm_agent`@`%` WITH GRANT OPTION"}
		}},
		{name: "grants on a database do not count", mutate: func(f map[string]*Facts) {
			f["db2"].Accounts[2].Grants = []string{"GRANT USAGE ON *.* TO `repl`@`%`", "GRANT ALL PRIVILEGES ON `app`.* TO `repl`@`%`"}
		}, want: []want{{Error, "db2", "grants", "replication_user 'repl'@'198.18.0.%' lacks REPLICATION SLAVE", "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'198.18.0.%';"}}},
		{name: "monitor with SUPER only", mutate: func(f map[string]*Facts) {
			f["db1"].Accounts[1].Grants = []string{"GRANT SUPER ON *.* TO `mmm_monitor`@`198.18.0.%`"}
		}, want: []want{{Error, "db1", "grants", "lacks SLAVE MONITOR (SHOW SLAVE STATUS (rep_threads, rep_backlog checks)) (SUPER does not include them", "GRANT SLAVE MONITOR"}}},
		{name: "REPLICATION CLIENT is BINLOG MONITOR on MariaDB", mutate: func(f map[string]*Facts) {
			f["db1"].Accounts[0].Grants = []string{strings.Replace(agentGrants[0], "BINLOG MONITOR", "REPLICATION CLIENT", 1)}
		}},
		{name: "MySQL agent with SUPER", mutate: func(f map[string]*Facts) {
			for _, x := range f {
				x.Flavor = dbctl.MySQL
				x.Vars["gtid_mode"], x.Vars["enforce_gtid_consistency"] = "ON", "ON"
				x.Accounts[0].Grants = []string{"GRANT PROCESS, REPLICATION CLIENT ON *.* TO `mmm_agent`@`%`",
					"GRANT CONNECTION_ADMIN,REPLICATION_SLAVE_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `mmm_agent`@`%`"}
				x.Accounts[1].Grants = []string{"GRANT REPLICATION CLIENT ON *.* TO `mmm_monitor`@`%`"}
			}
			f["db1"].Accounts[0].Grants = []string{"GRANT PROCESS, REPLICATION CLIENT, SUPER ON *.* TO `mmm_agent`@`%`"}
			f["db2"].Accounts[1].Grants = []string{"GRANT USAGE ON *.* TO `mmm_monitor`@`%`"}
			f["db3"].Vars["gtid_mode"] = "OFF_PERMISSIVE"
		}, want: []want{
			{Error, "db2", "grants", "lacks REPLICATION CLIENT", "GRANT REPLICATION CLIENT ON *.* TO 'mmm_monitor'@'198.18.0.%';"},
			{Error, "db3", "gtid", "gtid_mode is OFF_PERMISSIVE", "gtid_mode = ON"},
		}},
		{name: "account cannot log in", mutate: func(f map[string]*Facts) {
			f["db2"].Accounts[2] = Account{Kind: KindReplication, User: "repl", Err: errors.New("Error 1045 (28000): Access denied for user 'repl'")}
		}, want: []want{{Error, "db2", "grants", "cannot log in as replication_user repl over TCP: Error 1045", "CREATE USER 'repl'@'HOSTS' IDENTIFIED BY '<replication_password>';\nGRANT REPLICATION SLAVE ON *.* TO 'repl'@'HOSTS';"}}},
		{name: "writer's semisync timeout too short", mutate: func(f map[string]*Facts) {
			f["db1"].Semisync.MasterTimeout = 500 * time.Millisecond
			f["db1"].Origins["rpl_semi_sync_master_timeout"] = OriginRuntime
		}, want: []want{
			{Error, "db1", "semisync", "rpl_semi_sync_master_timeout is 500ms, shorter than lease + fence_timeout + 1s = 7s", "SET GLOBAL rpl_semi_sync_master_timeout=7000;"},
			{Note, "db1", "semisync", "was set at runtime", "rpl_semi_sync_master_timeout = 7000"},
		}},
		{name: "my.cnf's semisync timeout too short", mutate: func(f map[string]*Facts) {
			f["db2"].Semisync.MasterTimeout = 2 * time.Second
		}, want: []want{{Warning, "db2", "semisync", "db2 starts with rpl_semi_sync_master_timeout=2s (its my.cnf), shorter than the 7s", "rpl_semi_sync_master_timeout = 7000"}}},
		{name: "short timeout on a replica does not matter", mutate: func(f map[string]*Facts) {
			f["db3"].Semisync.MasterTimeout = time.Second
		}},
		{name: "writer's semisync off", mutate: func(f map[string]*Facts) {
			f["db1"].Semisync.MasterEnabled = false
		}, want: []want{{Error, "db1", "semisync", "rpl_semi_sync_master_enabled=OFF", "SET GLOBAL rpl_semi_sync_master_enabled=ON;"}}},
		{name: "writer without semisync replicas", mutate: func(f map[string]*Facts) {
			f["db1"].Semisync.Clients = 0
		}, want: []want{{Warning, "db1", "semisync", "the writer has 0 semisync replica(s), semisync_min_clients is 1", ""}}},
		{name: "no semisync plugin", mutate: func(f map[string]*Facts) {
			f["db2"].Semisync = nil
		}, want: []want{{Error, "db2", "semisync", "no semisync on this server", "INSTALL PLUGIN"}}},
		{name: "replica does not acknowledge", mutate: func(f map[string]*Facts) {
			f["db3"].Semisync.ReplicaEnabled = false
		}, want: []want{{Warning, "db3", "semisync", "rpl_semi_sync_slave_enabled=OFF", "SET GLOBAL rpl_semi_sync_slave_enabled=ON;"}}},
		{name: "non-writer master writable", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["read_only"] = "OFF"
			f["db2"].Origins["read_only"] = OriginRuntime
		}, want: []want{
			{Error, "db2", "read_only", "db2 is writable (read_only=OFF) but is not the writer (db1 is)", "SET GLOBAL read_only=ON;"},
			{Note, "db2", "read_only", "read_only (now OFF) was set at runtime", "read_only = 1"},
		}},
		{name: "writable replica", mutate: func(f map[string]*Facts) {
			f["db3"].Vars["read_only"] = "OFF"
			f["db3"].Origins["read_only"] = OriginDefault
		}, want: []want{
			{Error, "db3", "read_only", "db3 is writable", "SET GLOBAL read_only=ON;"},
			{Warning, "db3", "read_only", "db3 starts writable", "read_only = 1"},
		}},
		{name: "both masters writable, no replica to tell", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["read_only"] = "OFF"
			f["db2"].Origins["read_only"] = OriginStartup
			f["db3"].Replica = nil
		}, want: []want{
			{Error, "", "read_only", "db1, db2 are all writable", "SET GLOBAL read_only=ON;"},
			{Warning, "db2", "read_only", "db2 starts writable", "read_only = 1"},
		}},
		{name: "both masters writable, --writer says", writer: "db2", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["read_only"] = "OFF"
			f["db2"].Origins["read_only"] = OriginRuntime
			f["db2"].Semisync.MasterEnabled, f["db2"].Semisync.Clients = true, 1
			f["db1"].Replica, f["db3"].Replica.SourceHost = nil, "198.18.0.12"
		}, want: []want{
			{Error, "db1", "read_only", "db1 is writable (read_only=OFF) but is not the writer (db2 is)", ""},
			{Error, "db1", "replication", "db1 replicates from nobody: it should replicate from the active master db2", "CHANGE MASTER TO MASTER_HOST='198.18.0.12', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='<replication_password>', MASTER_USE_GTID=slave_pos;"},
			{Note, "db2", "read_only", "was set at runtime", ""},
		}},
		{name: "no writable master: the replicas' source is the writer", noNote: true, mutate: func(f map[string]*Facts) {
			f["db1"].Vars["read_only"] = "ON"
			f["db1"].Origins["read_only"] = OriginStartup
		}, want: []want{{Warning, "", "read_only", "no master of role writer is writable", ""}}},
		{name: "explicit writer read-only", writer: "db1", noNote: true, mutate: func(f map[string]*Facts) {
			f["db1"].Vars["read_only"] = "ON"
			f["db1"].Origins["read_only"] = OriginStartup
		}, want: []want{{Error, "db1", "read_only", "db1, named the writer, is read-only", ""}}},
		{name: "replication stopped", mutate: func(f map[string]*Facts) {
			r := f["db3"].Replica
			r.IO, r.SQL, r.LastSQLErrno, r.LastSQLError = dbctl.ThreadStopped, dbctl.ThreadStopped, 1062, "Duplicate entry"
		}, want: []want{{Error, "db3", "replication", "replication threads are not running (IO No, SQL No); SQL error 1062: Duplicate entry", "START SLAVE;"}}},
		{name: "IO thread connecting", mutate: func(f map[string]*Facts) {
			f["db2"].Replica.IO = dbctl.ThreadConnecting
		}, want: []want{{Error, "db2", "replication", "(IO Connecting, SQL Yes)", "START SLAVE"}}},
		{name: "replica follows the passive master", mutate: func(f map[string]*Facts) {
			f["db3"].Replica.SourceHost = "198.18.0.12"
		}, want: []want{{Error, "db3", "replication", "db3 replicates from db2, not from the active master db1", "MASTER_HOST='198.18.0.11'"}}},
		{name: "replica follows an unknown host", mutate: func(f map[string]*Facts) {
			f["db3"].Replica.SourceHost = "10.9.9.9"
		}, want: []want{{Error, "db3", "replication", "db3 replicates from 10.9.9.9:3306 (not a configured host)", "MASTER_HOST='198.18.0.11'"}}},
		{name: "passive master replicates from nobody", mutate: func(f map[string]*Facts) {
			f["db2"].Replica = nil
		}, want: []want{{Error, "db2", "replication", "db2 replicates from nobody", "START SLAVE;"}}},
		{name: "replica without GTID, other user, far behind", mutate: func(f map[string]*Facts) {
			r := f["db3"].Replica
			r.UsingGTID, r.AutoPosition, r.SourceUser, r.SecondsBehind = "No", false, "root", sql.NullInt64{Int64: 600, Valid: true}
		}, want: []want{
			{Warning, "db3", "replication", "does not use GTID positions (Using_Gtid No)", "CHANGE MASTER TO MASTER_USE_GTID=slave_pos;"},
			{Warning, "db3", "replication", "replicates as root, not as the configured replication_user repl", ""},
			{Warning, "db3", "replication", "600 s behind the writer, more than rep_backlog's max_backlog 1m0s", ""},
		}},
		{name: "replication status unreadable", mutate: func(f map[string]*Facts) {
			f["db2"].Replica, f["db2"].ReplicaErr = nil, errors.New("access denied")
		}, want: []want{{Error, "db2", "replication", "cannot read the replication status: access denied", ""}}},
		{name: "duplicate server_id", mutate: func(f map[string]*Facts) {
			f["db3"].Vars["server_id"] = "2"
		}, want: []want{{Error, "db3", "server_id", "server_id 2 is used by db2 and db3", "server_id = N"}}},
		{name: "server_id 0", mutate: func(f map[string]*Facts) {
			f["db3"].Vars["server_id"] = "0"
		}, want: []want{{Error, "db3", "server_id", "server_id is 0", "SET GLOBAL server_id=N;"}}},
		{name: "binlog_format STATEMENT", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["binlog_format"] = "STATEMENT"
		}, want: []want{{Error, "db2", "binlog", "binlog_format is STATEMENT", "SET GLOBAL binlog_format=ROW;"}}},
		{name: "binlog_format MIXED", mutate: func(f map[string]*Facts) {
			f["db3"].Vars["binlog_format"] = "MIXED"
		}, want: []want{{Warning, "db3", "binlog", "binlog_format is MIXED", "binlog_format = ROW"}}},
		{name: "binary log off", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["log_bin"] = "OFF"
			f["db3"].Vars["log_bin"] = "OFF"
		}, want: []want{
			{Error, "db2", "binlog", "binary logging is off (log_bin)", "log_bin = db2-bin"},
			{Warning, "db3", "binlog", "binary logging is off (log_bin): it cannot be a replication source; a failover cannot catch up from it", "log_bin = db3-bin"},
		}},
		{name: "log_slave_updates off", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["log_slave_updates"] = "OFF"
		}, want: []want{{Error, "db2", "binlog", "log_slave_updates is off", "log_slave_updates = ON"}}},
		{name: "gtid_strict_mode off", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["gtid_strict_mode"] = "OFF"
		}, want: []want{{Error, "db2", "gtid", "gtid_strict_mode is off", "SET GLOBAL gtid_strict_mode=ON;"}}},
		{name: "gtid_domain_id differs", mutate: func(f map[string]*Facts) {
			f["db2"].Vars["gtid_domain_id"] = "2"
		}, want: []want{{Error, "", "gtid", "gtid_domain_id differs (0 on db1, db3; 2 on db2)", "gtid_domain_id = 0"}}},
		{name: "read_only not in my.cnf", mutate: func(f map[string]*Facts) {
			f["db2"].Origins["read_only"] = OriginDefault
		}, want: []want{{Warning, "db2", "read_only", "db2 starts writable: its configuration does not set read_only=1", "read_only = 1"}}},
		{name: "read_only origin unknown", mutate: func(f map[string]*Facts) {
			delete(f["db3"].Origins, "read_only")
		}, want: []want{{Note, "db3", "read_only", "has an origin this server does not report", ""}}},
		{name: "clock skew", mutate: func(f map[string]*Facts) {
			f["db3"].ServerTime = f["db3"].ServerTime.Add(3 * time.Second)
			f["db2"].ServerTime = f["db2"].ServerTime.Add(-900 * time.Millisecond) // within MaxClockSkew
		}, want: []want{{Warning, "db3", "clock", "db3's clock is 3s off this host's", "NTP"}}},
		{name: "clock unreadable", mutate: func(f map[string]*Facts) {
			f["db3"].ClockErr = errors.New("timeout")
		}, want: []want{{Warning, "db3", "clock", "cannot read the server's clock: timeout", ""}}},
		{name: "server unreachable", mutate: func(f map[string]*Facts) {
			f["db3"] = &Facts{Host: "db3", Addr: "198.18.0.13:3306", Err: errors.New("dial tcp: i/o timeout")}
		}, want: []want{{Error, "db3", "connect", "cannot connect to 198.18.0.13:3306 as mmm_agent or mmm_monitor: dial tcp: i/o timeout; nothing else was checked", ""}}},
		{name: "server not collected", mutate: func(f map[string]*Facts) {
			delete(f, "db2")
		}, want: []want{{Error, "db2", "connect", "not collected", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts := healthyFacts()
			if tc.mutate != nil {
				tc.mutate(facts)
			}
			r := Check(labConfig(t, ""), facts, nil, tc.writer)
			wants := tc.want
			if !tc.noNote {
				wants = append(wants, healthyNote)
			}
			matchProblems(t, r, wants)
		})
	}
}

// matchProblems checks that r has exactly the wanted problems (in any
// order) and that its counts agree.
func matchProblems(t *testing.T, r *Report, wants []want) {
	t.Helper()
	used := make([]bool, len(r.Problems))
	for _, w := range wants {
		found := false
		for i, p := range r.Problems {
			if !used[i] && w.matches(p) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing %s %s %s: %q (fix %q)", w.sev, w.host, w.check, w.msg, w.fix)
		}
	}
	for i, p := range r.Problems {
		if !used[i] {
			t.Errorf("unexpected %s %s %s: %s (fix %q)", p.Severity, p.Host, p.Check, p.Message, p.Fix)
		}
	}
	var e, w, n int
	for _, p := range r.Problems {
		switch p.Severity {
		case Error:
			e++
		case Warning:
			w++
		case Note:
			n++
		}
	}
	if r.Errors != e || r.Warnings != w || r.Notes != n || r.OK() != (e == 0) {
		t.Errorf("counts %d/%d/%d OK %v, want %d/%d/%d", r.Errors, r.Warnings, r.Notes, r.OK(), e, w, n)
	}
}

func TestCheckSortsErrorsFirst(t *testing.T) {
	f := healthyFacts()
	f["db3"].Vars["binlog_format"] = "MIXED"
	f["db2"].Vars["binlog_format"] = "STATEMENT"
	r := Check(labConfig(t, ""), f, nil, "")
	var got []string
	for _, p := range r.Problems {
		got = append(got, string(p.Severity)+" "+p.Host)
	}
	if want := "error db2,warning db3,note db1"; strings.Join(got, ",") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	if r.Writer != "db1" || len(r.Hosts) != 3 || !r.Hosts[0].Writer || r.Hosts[1].ReadOnly != "ON" || r.Hosts[2].ServerID != "3" {
		t.Errorf("summary %+v", r)
	}
}

func TestCheckKeepalived(t *testing.T) {
	rendered := []byte("global_defs {\n    router_id db1\n}\n")
	for _, tc := range []struct {
		name  string
		local Local
		want  []want
	}{
		{"same", Local{KeepalivedVersion: "2.2.7", Installed: rendered}, nil},
		{"newer", Local{KeepalivedVersion: "2.3.1", Installed: rendered}, nil},
		{"old", Local{KeepalivedVersion: "2.1.5", Installed: rendered},
			[]want{{Warning, "db1", "keepalived", "keepalived 2.1.5 is older than 2.2.7", "upgrade keepalived"}}},
		{"not installed", Local{VersionErr: errors.New(`exec: "keepalived": executable file not found in $PATH`), Installed: rendered},
			[]want{{Error, "db1", "keepalived", "cannot run keepalived --version", "install keepalived"}}},
		{"differs", Local{KeepalivedVersion: "2.2.7", Installed: []byte("global_defs {\n    router_id db2\n}\n")},
			[]want{{Error, "db1", "keepalived", `/etc/keepalived/keepalived.conf differs from what mmmctl keepalived render produces for db1 (line 2: installed "router_id db2", rendered "router_id db1")`,
				"mmmctl keepalived render --host db1 --config "}}},
		{"longer", Local{KeepalivedVersion: "2.2.7", Installed: append(append([]byte{}, rendered...), "# mine\n"...)},
			[]want{{Error, "db1", "keepalived", `line 4: installed "# mine", rendered ""`, "> /etc/keepalived/keepalived.conf\nsystemctl reload keepalived"}}},
		{"missing", Local{KeepalivedVersion: "2.2.7", ReadErr: errors.New("no such file")},
			[]want{{Error, "db1", "keepalived", "cannot read the installed keepalived.conf: no such file", "mmmctl keepalived render"}}},
		{"no render", Local{KeepalivedVersion: "2.2.7", Installed: rendered, RenderErr: errors.New("virtual_router_id is not set")},
			[]want{{Error, "db1", "keepalived", "cannot render keepalived.conf for db1: virtual_router_id is not set", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.local
			l.Host, l.ConfPath = "db1", DefaultKeepalivedConf
			if l.Rendered == nil {
				l.Rendered = rendered
			}
			r := Check(labConfig(t, ""), healthyFacts(), &l, "")
			matchProblems(t, r, append(tc.want, want{Note, "db1", "read_only", "", ""}))
			if r.Local != "db1" {
				t.Errorf("Local = %q", r.Local)
			}
		})
	}
}

// TestCheckRestart: on a writer host, each problem with the options the
// local mysqld starts with next time is a warning with its fix; options
// that cannot be read a note; none, or none checked, nothing.
func TestCheckRestart(t *testing.T) {
	rendered := []byte("global_defs {\n    router_id db1\n}\n")
	noSkip := "skip_slave_start is not set: a master restarted after a crash replicates before its coordinator checked it"
	role := "init_rpl_role = SLAVE is set: a master restarted after a crash drops transactions"
	for _, tc := range []struct {
		name  string
		local Local
		want  []want
	}{
		{"not checked", Local{}, nil},
		{"fine", Local{RestartChecked: true}, nil},
		{"both", Local{RestartChecked: true, RestartProblems: []string{noSkip, role}},
			[]want{{Warning, "db1", "restart", noSkip, "skip_slave_start"}, {Warning, "db1", "restart", role, "remove init_rpl_role"}}},
		{"unreadable", Local{RestartChecked: true, RestartErr: errors.New("no such file")},
			[]want{{Note, "db1", "restart", "cannot read the local mysqld's options: no such file", "skip_slave_start"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.local
			l.Host, l.ConfPath, l.KeepalivedVersion, l.Installed, l.Rendered = "db1", DefaultKeepalivedConf, "2.2.7", rendered, rendered
			r := Check(labConfig(t, ""), healthyFacts(), &l, "")
			matchProblems(t, r, append(tc.want, want{Note, "db1", "read_only", "", ""}))
		})
	}
}
