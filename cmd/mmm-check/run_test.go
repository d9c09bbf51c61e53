package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// writeConfig writes a two-master cluster whose db1 reaches MySQL as
// db1Lines say (mysql_port, mysql_socket, accounts) and returns its path.
func writeConfig(t *testing.T, global string, db1Lines ...string) string {
	t.Helper()
	body := fmt.Sprintf(`active_master_role writer
%s
<host db1>
    ip    127.0.0.1
    mode  master
    peer  db2
    %s
</host>
<host db2>
    ip    198.18.0.12
    mode  master
    peer  db1
</host>
<role writer>
    hosts  db1, db2
    ips    198.18.0.100
    mode   exclusive
</role>
`, global, strings.Join(db1Lines, "\n    "))
	p := filepath.Join(t.TempDir(), "mmm_agent.conf")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// monitor is the account lines of db1.
var monitor = []string{"monitor_user mmm_monitor", "monitor_password pw"}

// answers is a healthy replica as the fake plays it.
var answers = map[string]checkstest.Answer{
	"SELECT NOW()": {Columns: []string{"NOW()"}, Rows: [][]any{{"2026-01-02 03:04:05"}}},
	"SELECT VERSION(), @@version_comment": {Columns: []string{"VERSION()", "@@version_comment"},
		Rows: [][]any{{"10.11.19-MariaDB", "Debian 12"}}},
	"SHOW SLAVE STATUS": {Columns: []string{"Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master"},
		Rows: [][]any{{"Yes", "Yes", nil}}},
	"SELECT @@GLOBAL.gtid_slave_pos": {Columns: []string{"@@GLOBAL.gtid_slave_pos"}, Rows: [][]any{{"0-1-9"}}},
}

type outcome struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func runArgs(args ...string) outcome {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(context.Background(), args, &out, &errOut)
	return outcome{code, out.String(), errOut.String(), time.Since(start)}
}

// expect checks the exit code, that stderr is empty or one line holding
// every piece of errHas, and that stdout holds outHas.
func (o outcome) expect(t *testing.T, code int, outHas string, errHas ...string) {
	t.Helper()
	if o.code != code {
		t.Errorf("exit %d, want %d\nstdout: %sstderr: %s", o.code, code, o.stdout, o.stderr)
	}
	if !strings.Contains(o.stdout, outHas) {
		t.Errorf("stdout %q lacks %q", o.stdout, outHas)
	}
	if len(errHas) == 0 {
		if o.stderr != "" {
			t.Errorf("stderr %q, want nothing", o.stderr)
		}
		return
	}
	if strings.Count(o.stderr, "\n") != 1 || !strings.HasSuffix(o.stderr, "\n") {
		t.Errorf("stderr is not one line: %q", o.stderr)
	}
	for _, s := range errHas {
		if !strings.Contains(o.stderr, s) {
			t.Errorf("stderr %q lacks %q", o.stderr, s)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, a := range []string{"--help", "-h", "-help"} {
		o := runArgs(a)
		o.expect(t, exitHealthy, "Exit status")
		for _, s := range []string{"Examples:", "1040", "agent_user", "--timeout DURATION", "0  healthy", "2  usage"} {
			if !strings.Contains(o.stdout, s) {
				t.Errorf("--help lacks %q", s)
			}
		}
	}
	runArgs("--version").expect(t, exitHealthy, "mmm-check ")
}

func TestUsageAndConfigurationErrors(t *testing.T) {
	good := writeConfig(t, "this db1", append(monitor, "mysql_port 1")...)
	noThis := writeConfig(t, "", monitor...)
	noAccount := writeConfig(t, "this db1")
	broken := writeConfig(t, "this db9\nbogus_key 1", monitor...)
	for _, tc := range []struct {
		name   string
		args   []string
		errHas []string
	}{
		{"unknown check", []string{"--config", good, "mysql", "rep_thread"}, []string{`unknown check "rep_thread"`, "rep_threads"}},
		{"read_only is the coordinator's", []string{"--config", good, "read_only"}, []string{`unknown check "read_only"`}},
		{"unknown flag", []string{"--hots", "db1"}, []string{"flag provided but not defined: -hots"}},
		{"bad timeout", []string{"--timeout", "soon"}, []string{"expected a duration such as 800ms"}},
		{"negative timeout", []string{"--timeout", "-1s"}, []string{"must be positive"}},
		{"unreadable configuration", []string{"--config", filepath.Join(t.TempDir(), "nope.conf")}, []string{"nope.conf", "no such file"}},
		{"invalid configuration, one line", []string{"--config", broken}, []string{"bogus_key", "db9"}},
		{"no this", []string{"--config", noThis}, []string{"names no host", "--host"}},
		{"unknown host", []string{"--config", good, "--host", "db7"}, []string{`host "db7" is not in`, "db1, db2"}},
		{"no account", []string{"--config", noAccount}, []string{"no MySQL account", "monitor_user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runArgs(tc.args...).expect(t, exitUsage, "", tc.errHas...)
		})
	}
}

func TestChecksAgainstAFakeServer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "mysqld.sock")
	checkstest.Start(t, checkstest.Options{Socket: sock, Answers: answers})
	tcp := checkstest.Start(t, checkstest.Options{Answers: answers})
	tooMany := checkstest.Start(t, checkstest.Options{RejectConnect: &mysql.MySQLError{Number: 1040, Message: "Too many connections"}})
	denied := checkstest.Start(t, checkstest.Options{RejectLogin: &mysql.MySQLError{Number: 1045,
		Message: "Access denied for user 'mmm_monitor'@'localhost' (using password: YES)"}})
	stopped := map[string]checkstest.Answer{}
	for q, a := range answers {
		stopped[q] = a
	}
	stopped["SELECT NOW()"] = checkstest.Answer{Err: &mysql.MySQLError{Number: 1040, Message: "Too many connections"}}
	stopped["SHOW SLAVE STATUS"] = checkstest.Answer{Columns: []string{"Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master"},
		Rows: [][]any{{"No", "Yes", nil}}}
	mixed := checkstest.Start(t, checkstest.Options{Answers: stopped})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	port := func(p int) []string { return append([]string{fmt.Sprintf("mysql_port %d", p)}, monitor...) }

	for _, tc := range []struct {
		name   string
		cfg    string
		args   []string
		code   int
		outHas string
		errHas []string
	}{
		{"ok over the socket", writeConfig(t, "this db1", append(monitor, "mysql_socket "+sock)...), nil,
			exitHealthy, "db1 mysql: OK\n", nil},
		{"ok over tcp, several checks, flags after names", writeConfig(t, "this db1", port(tcp.Port())...),
			[]string{"mysql", "rep_threads", "--timeout", "2s", "rep_backlog"},
			exitHealthy, "db1 mysql: OK\ndb1 rep_threads: OK\ndb1 rep_backlog: OK: Backlog is null\n", nil},
		{"--host picks the section", writeConfig(t, "this db2", port(tcp.Port())...), []string{"--host", "db1"},
			exitHealthy, "db1 mysql: OK", nil},
		{"agent_user when there is no monitor_user", writeConfig(t, "this db1", fmt.Sprintf("mysql_port %d", tcp.Port()),
			"agent_user mmm_agent", "agent_password pw"), nil, exitHealthy, "db1 mysql: OK", nil},
		{"too many connections is not a failure", writeConfig(t, "this db1", port(tooMany.Port())...), nil,
			exitHealthy, "db1 mysql: UNKNOWN: Too many connections! Error 1040",
			[]string{"UNKNOWN: Too many connections!", "not a failure: exit 0"}},
		{"wrong password says access denied", writeConfig(t, "this db1", port(denied.Port())...), nil,
			exitFailed, "db1 mysql: ERROR: Connect error",
			[]string{"mmm-check: db1: mysql: ERROR: Connect error (host = 127.0.0.1:", "user = mmm_monitor)! access denied: Error 1045"}},
		{"mysqld down", writeConfig(t, "this db1", port(closedPort)...), nil,
			exitFailed, "db1 mysql: ERROR: Connect error", []string{"connection refused"}},
		{"no socket", writeConfig(t, "this db1", append(monitor, "mysql_socket "+sock+".missing")...), nil,
			exitFailed, "", []string{"no such file or directory"}},
		{"a failure and an unknown, one line", writeConfig(t, "this db1", port(mixed.Port())...), []string{"rep_backlog", "mysql"},
			exitFailed, "db1 rep_backlog: ERROR: Backlog is unknown: replication is stopped",
			[]string{"mmm-check: db1: rep_backlog: ERROR: Backlog is unknown", "; mysql: UNKNOWN: Too many connections!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := runArgs(append([]string{"--config", tc.cfg}, tc.args...)...)
			o.expect(t, tc.code, tc.outHas, tc.errHas...)
		})
	}
}

func TestNeverHangs(t *testing.T) {
	silent := checkstest.Start(t, checkstest.Options{Silent: true})
	hang := map[string]checkstest.Answer{"SELECT NOW()": {Hang: true}}
	stuck := checkstest.Start(t, checkstest.Options{Answers: hang})
	const timeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name   string
		port   int
		errHas string
	}{
		{"a listener that accepts and never answers", silent.Port(), "timed out after"},
		{"a query that never returns", stuck.Port(), "mysql: ERROR: Timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, "this db1", append(monitor, fmt.Sprintf("mysql_port %d", tc.port))...)
			o := runArgs("--config", cfg, "--timeout", timeout.String())
			o.expect(t, exitFailed, "db1 mysql: ERROR", tc.errHas)
			if o.took >= timeout { // correctness: it returned before its deadline
				t.Errorf("returned after %v, not before its --timeout %v", o.took, timeout)
			}
		})
	}
}

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{"800ms": 800 * time.Millisecond, "0.8": 800 * time.Millisecond, "2": 2 * time.Second, "1m": time.Minute} {
		if got, err := parseTimeout(in); err != nil || got != want {
			t.Errorf("parseTimeout(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "soon", "0s"} {
		if _, err := parseTimeout(bad); err == nil {
			t.Errorf("parseTimeout(%q) accepted", bad)
		}
	}
	// The checks' budget ends before the hard deadline, which ends before
	// the timeout.
	for _, d := range []time.Duration{10 * time.Millisecond, 800 * time.Millisecond, 10 * time.Second} {
		if !(budget(d) < hardDeadline(d) && hardDeadline(d) < d) {
			t.Errorf("timeout %v: budget %v, hard deadline %v", d, budget(d), hardDeadline(d))
		}
	}
}

// TestCluster: --cluster NAME checks with cluster NAME's file, found
// next to the default one (a temporary directory here).
func TestCluster(t *testing.T) {
	tcp := checkstest.Start(t, checkstest.Options{Answers: answers})
	dir := t.TempDir()
	saved := config.DefaultPaths
	config.DefaultPaths = []string{filepath.Join(dir, "mmm.conf")}
	t.Cleanup(func() { config.DefaultPaths = saved })
	c2 := filepath.Join(dir, "mmm_c2.conf")
	src, err := os.ReadFile(writeConfig(t, "this db1", append(monitor, fmt.Sprintf("mysql_port %d", tcp.Port()))...))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c2, src, 0o600); err != nil {
		t.Fatal(err)
	}
	runArgs("--cluster", "c2").expect(t, exitHealthy, "db1 mysql: OK\n")
	runArgs("--cluster", "c2", "--host", "db1", "mysql").expect(t, exitHealthy, "db1 mysql: OK\n")
	runArgs("--cluster", "c3").expect(t, exitUsage, "", filepath.Join(dir, "mmm_c3.conf"), "no such file")
	runArgs("--cluster", "c 2").expect(t, exitUsage, "", `cluster name "c 2"`)
	runArgs("--cluster", "c2", "--config", c2).expect(t, exitUsage, "", "--config and --cluster both name the configuration")
}
