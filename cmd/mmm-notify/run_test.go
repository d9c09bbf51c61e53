package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// call runs run and returns the exit code and both outputs.
func call(t *testing.T, logs opener, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runWith(context.Background(), args, &out, &errOut, logs)
	return code, out.String(), errOut.String()
}

// oneLineOn fails unless s is exactly one line starting with prefix.
func oneLineOn(t *testing.T, what, s, prefix string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || !strings.HasPrefix(s, prefix) {
		t.Errorf("%s is not one line starting with %q: %q", what, prefix, s)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "want TYPE NAME STATE PRIORITY after the options, got 0 arguments"},
		{"three arguments", []string{"INSTANCE", "mmm_writer", "FAULT"}, `got 3 arguments: "INSTANCE" "mmm_writer" "FAULT"`},
		{"five arguments", []string{"x", "INSTANCE", "mmm_writer", "FAULT", "150"}, "got 5 arguments"},
		{"unknown state", []string{"INSTANCE", "mmm_writer", "SLEEPING", "150"}, `unknown state "SLEEPING" (want MASTER, BACKUP, FAULT, STOP or DELETED)`},
		{"fifo-only event", []string{"INSTANCE", "mmm_writer", "MASTER_PRIORITY", "150"}, `unknown state "MASTER_PRIORITY"`},
		{"unknown type", []string{"ROUTER", "mmm_writer", "FAULT", "150"}, `unknown type "ROUTER"`},
		{"bad priority", []string{"INSTANCE", "mmm_writer", "FAULT", "high"}, `priority "high"`},
		{"unknown flag", []string{"--hots", "db1", "INSTANCE", "mmm_writer", "FAULT", "150"}, "flag provided but not defined: -hots"},
		{"bad timeout", []string{"--timeout", "soon", "INSTANCE", "mmm_writer", "FAULT", "150"}, `expected a duration such as 2s or 0.8, got "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(t, nil, tt.args...)
			if code != exitUsage || out != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", code, out, exitUsage)
			}
			oneLineOn(t, "stderr", errOut, "mmm-notify: usage: ")
			if !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "(mmm-notify --help explains)") {
				t.Errorf("stderr %q lacks %q", errOut, tt.want)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, out, errOut := call(t, nil, "--help")
	if code != exitOK || errOut != "" {
		t.Fatalf("--help: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"TYPE NAME STATE PRIORITY", "Exit status", "never opens writes", "notify \"/usr/bin/mmm-notify", "stale"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if code, out, _ := call(t, nil, "--version"); code != exitOK || !strings.HasPrefix(out, "mmm-notify ") {
		t.Errorf("--version: %d %q", code, out)
	}
}

func TestDeadline(t *testing.T) {
	for _, tt := range []struct {
		state   keepalived.State
		timeout time.Duration
		want    time.Duration
	}{
		{keepalived.StateFault, defaultTimeout, defaultTimeout},
		{keepalived.StateStop, defaultTimeout, stopTimeout},
		{keepalived.StateStop, 300 * time.Millisecond, 300 * time.Millisecond},
	} {
		o := options{timeout: tt.timeout, transition: keepalived.Transition{State: tt.state}}
		if got := o.deadline(); got != tt.want {
			t.Errorf("%v with --timeout %v: deadline %v, want %v", tt.state, tt.timeout, got, tt.want)
		}
	}
	if b, h := budget(2*time.Second), hardDeadline(2*time.Second); b != 1950*time.Millisecond || h != 1975*time.Millisecond {
		t.Errorf("budget %v, hard deadline %v", b, h)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := call(t, nil, "--config", filepath.Join(dir, "missing.conf"), "INSTANCE", "mmm_writer", "FAULT", "150")
	if code != exitUsage {
		t.Errorf("missing config: exit %d", code)
	}
	oneLineOn(t, "stderr", errOut, "mmm-notify: ")
	f := writeConfig(t, dir, "198.18.0.100", "")
	code, _, errOut = call(t, nil, "--config", f, "INSTANCE", "mmm_writer", "FAULT", "150")
	if code != exitUsage || !strings.Contains(errOut, "names no host (`this`): pass --host NAME") {
		t.Errorf("no host: exit %d, %q", code, errOut)
	}
	code, _, errOut = call(t, nil, "--config", f, "--host", "db3", "INSTANCE", "mmm_writer", "FAULT", "150")
	if code != exitUsage || !strings.Contains(errOut, "not in the writer role") {
		t.Errorf("db3: exit %d, %q", code, errOut)
	}
}

// memLogs records what would go to syslog and notify_log.
type memLogs struct {
	path  string
	lines []string
}

func (m *memLogs) open(path string) lineWriter { m.path = path; return m }
func (m *memLogs) WriteLine(failed bool, line string) {
	m.lines = append(m.lines, fmt.Sprintf("%v %s", failed, line))
}
func (m *memLogs) Close() error { return nil }

// TestRun runs whole notifications against a fake coordinator, with the
// writer VIP on lo (127.0.0.1) or not (198.18.0.100, never configured
// here) and no MySQL behind the socket.
func TestRun(t *testing.T) {
	backend := apitest.New(t)
	served := apitest.Serve(t, backend, api.ServerOptions{})
	tests := []struct {
		name    string
		vip     string
		state   string
		track   bool // eligible
		code    int
		action  string
		reports int
	}{
		{"FAULT, MySQL down: not fenced, reported", "198.18.0.100", "FAULT", false, exitNotFenced, "fence", 1},
		{"MASTER holding the VIP: reported", "127.0.0.1", "MASTER", true, exitOK, "report", 1},
		{"stale MASTER: nothing", "198.18.0.100", "MASTER", true, exitOK, "ignore", 0},
		{"stale FAULT while MASTER: nothing", "127.0.0.1", "FAULT", true, exitOK, "ignore", 0},
		{"BACKUP eligible: reported, no fence", "198.18.0.100", "BACKUP", true, exitOK, "report", 1},
		{"STOP: not fenced (MySQL down), reported", "198.18.0.100", "STOP", true, exitNotFenced, "fence", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := writeConfig(t, dir, tt.vip, served.Socket)
			if err := keepalived.WriteTrackFile(filepath.Join(dir, "writer.track"), tt.track); err != nil {
				t.Fatal(err)
			}
			before := len(backend.VRRPReports())
			logs := &memLogs{}
			code, out, errOut := call(t, logs.open, "--config", f, "--host", "db1", "--timeout", "3s", "INSTANCE", "mmm_writer", tt.state, "150")
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out, errOut)
			}
			line := out
			if code != exitOK {
				line = errOut
				if out != "" {
					t.Errorf("stdout %q on failure", out)
				}
			} else if errOut != "" {
				t.Errorf("stderr %q on success", errOut)
			}
			oneLineOn(t, "output", line, `mmm-notify: db1: INSTANCE "mmm_writer" `+tt.state+" 150: "+tt.action+": ")
			if logs.path != filepath.Join(dir, "notify.log") || len(logs.lines) != 1 ||
				logs.lines[0] != fmt.Sprintf("%v %s", code != exitOK, strings.TrimSuffix(line, "\n")) {
				t.Errorf("logs %s: %q", logs.path, logs.lines)
			}
			got := backend.VRRPReports()[before:]
			if len(got) != tt.reports {
				t.Fatalf("coordinator got %d reports, want %d: %+v", len(got), tt.reports, got)
			}
			if tt.reports == 1 && (got[0].Host != "db1" || got[0].State != tt.state || got[0].Instance != "mmm_writer") {
				t.Errorf("report %+v", got[0])
			}
		})
	}
}

// TestRunCoordinatorDown: without a coordinator the fence decision stands
// and the line says the report failed.
func TestRunCoordinatorDown(t *testing.T) {
	dir := t.TempDir()
	f := writeConfig(t, dir, "198.18.0.100", filepath.Join(dir, "nobody.sock"))
	if err := keepalived.WriteTrackFile(filepath.Join(dir, "writer.track"), true); err != nil {
		t.Fatal(err)
	}
	code, out, _ := call(t, nil, "--config", f, "--host", "db1", "INSTANCE", "mmm_writer", "BACKUP", "150")
	if code != exitOK || !strings.Contains(out, "not reported (best effort)") {
		t.Errorf("exit %d, %q", code, out)
	}
}

// writeConfig writes a cluster whose db1 runs its VRRP instance on lo
// with the given writer VIP, a MySQL socket nobody listens on, and the
// given API socket.
func writeConfig(t *testing.T, dir, vip, apiSocket string) string {
	t.Helper()
	apiLine := ""
	if apiSocket != "" {
		apiLine = "    api_socket " + apiSocket + "\n"
	}
	body := fmt.Sprintf(`active_master_role writer
<host default>
    cluster_interface lo
    agent_user mmm_agent
    agent_password agent-secret
</host>
<host db1>
    ip 198.18.0.11
    mode master
    peer db2
    mysql_socket %[1]s/mysqld.sock
    track_file %[1]s/writer.track
%[2]s</host>
<host db2>
    ip 198.18.0.12
    mode master
    peer db1
</host>
<host db3>
    ip 198.18.0.13
    mode slave
</host>
<role writer>
    hosts db1, db2
    ips %[3]s
    mode exclusive
</role>
<keepalived>
    virtual_router_id 51
    notify_log %[1]s/notify.log
</keepalived>
`, dir, apiLine, vip)
	f := filepath.Join(dir, "mmm_common.conf")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestOpenLogs: notify_log gets one timestamped line per call, appended.
func TestOpenLogs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.log")
	for i, line := range []string{"mmm-notify: first", "mmm-notify: second"} {
		l := openLogs(path)
		l.WriteLine(i == 1, line)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "] mmm-notify: first") || !strings.HasSuffix(lines[1], "] mmm-notify: second") {
		t.Errorf("notify_log:\n%s", b)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", strings.Fields(lines[0])[0]); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	// No notify_log, no syslog: nothing to write to, nothing fails.
	l := openLogs("")
	l.WriteLine(false, "x")
	if err := l.Close(); err != nil {
		t.Error(err)
	}
}

// TestRunUsage goes through run itself (the real logs).
func TestRunUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"INSTANCE"}, &out, &errOut); code != exitUsage || out.Len() > 0 {
		t.Errorf("exit %d, stdout %q", code, out.String())
	}
	oneLineOn(t, "stderr", errOut.String(), "mmm-notify: usage: ")
}

// TestCluster: --cluster NAME reads cluster NAME's file, found next to
// the default one (a temporary directory here).
func TestCluster(t *testing.T) {
	dir := t.TempDir()
	saved := config.DefaultPaths
	config.DefaultPaths = []string{filepath.Join(dir, "mmm.conf")}
	t.Cleanup(func() { config.DefaultPaths = saved })
	if err := os.Rename(writeConfig(t, dir, "198.18.0.100", ""), filepath.Join(dir, "mmm_c2.conf")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		// db3 is in c2's file, and not a writer: the file was read.
		{"read", []string{"--cluster", "c2", "--host", "db3"}, "host db3 is not in the writer role writer (db1, db2)"},
		{"absent", []string{"--cluster", "c3", "--host", "db1"}, filepath.Join(dir, "mmm_c3.conf") + `: cannot read`},
		{"bad name", []string{"--cluster", "c.3"}, `mmm-notify: usage: --cluster: cluster name "c.3"`},
		{"with --config", []string{"--config", filepath.Join(dir, "mmm_c2.conf"), "--cluster", "c2"},
			"mmm-notify: usage: --config and --cluster both name the configuration: give one"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(t, nil, append(tt.args, "INSTANCE", "mmm_writer", "FAULT", "150")...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q", code, out, errOut, exitUsage, tt.want)
			}
			oneLineOn(t, "stderr", errOut, "mmm-notify: ")
		})
	}
}
