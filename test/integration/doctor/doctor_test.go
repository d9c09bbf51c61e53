//go:build integration

package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/doctor"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// exitDoctor is mmmctl doctor's exit code for "an error was found"
// (app.ExitDoctor).
const exitDoctor = 9

// result is one run of mmmctl doctor.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
	report         doctor.Report
}

func (r result) String() string {
	return fmt.Sprintf("exit %d in %v\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// keepalivedConf is db1's installed keepalived.conf (the lab renders it).
func keepalivedConf() string {
	return filepath.Join(theLab.StateDir(), "db1", "keepalived", "keepalived.conf")
}

// runDoctor runs mmmctl doctor as an operator on db1 would: in db1's
// namespace, with db1's configuration (`this db1`, so keepalived is
// checked too).
func runDoctor(t *testing.T, jsonOut bool) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"ip", "netns", "exec", theLab.Namespace("db1"), mmmctlBin(),
		"--config", theLab.HostConfigPath("db1"), "--timeout", "30s"}
	if jsonOut {
		args = append(args, "--json")
	}
	args = append(args, "doctor", "--keepalived-conf", keepalivedConf())
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("mmmctl doctor: %v", err)
	}
	if jsonOut {
		if err := json.Unmarshal(out.Bytes(), &r.report); err != nil {
			t.Fatalf("mmmctl --json doctor: %v\n%s", err, r)
		}
	}
	// One progress line per server, and keepalived's.
	for _, h := range []string{"db1", "db2", "db3"} {
		if !strings.Contains(r.stderr, "doctor: "+h+" (") {
			t.Errorf("no progress line for %s on stderr:\n%s", h, r.stderr)
		}
	}
	return r
}

// wantClean runs doctor until it reports no error and no warning (an
// undone fault may take a moment to settle: replication restarting),
// within limit.
func wantClean(t *testing.T, limit time.Duration) result {
	t.Helper()
	var r result
	ok := lab.WaitFor(limit, func() bool {
		r = runDoctor(t, true)
		return r.code == 0 && r.report.Errors == 0 && r.report.Warnings == 0
	})
	if !ok {
		t.Fatalf("doctor is not clean within %v:\n%s", limit, r)
	}
	return r
}

// exec runs statements as root on host, on one connection.
func execOn(t *testing.T, host string, stmts ...string) {
	t.Helper()
	s, err := theLab.Server(host)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Exec(ctx, stmts...); err != nil {
		t.Fatal(err)
	}
}

// TestDoctor: clean on the lab as it comes up, then each fault named.
func TestDoctor(t *testing.T) {
	start := time.Now()
	r := wantClean(t, 60*time.Second)
	if r.report.Writer != "db1" || r.report.Local != "db1" || len(r.report.Hosts) != 3 {
		t.Errorf("the lab's writer is db1 and doctor runs on db1: %+v", r.report)
	}
	text := runDoctor(t, false)
	if text.code != 0 || !strings.Contains(text.stdout, "OK: no errors; 0 warnings") {
		t.Errorf("text output of the clean lab:\n%s", text)
	}
	t.Logf("clean lab (%v):\n%s", text.took.Round(time.Millisecond), text.stdout)

	orig, err := os.ReadFile(keepalivedConf())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name         string
		inject, undo func(t *testing.T)
		host, check  string
		msg          string // in the problem's message
		fix          string // in its fix
	}{
		{
			name: "agent-lacks-slave-monitor",
			// Without binary logging: the grant goes on db3 alone.
			inject: func(t *testing.T) {
				execOn(t, "db3", "SET SESSION sql_log_bin=0", "REVOKE SLAVE MONITOR ON *.* FROM 'mmm_agent'@'198.18.0.%'")
			},
			undo: func(t *testing.T) {
				execOn(t, "db3", "SET SESSION sql_log_bin=0", "GRANT SLAVE MONITOR ON *.* TO 'mmm_agent'@'198.18.0.%'")
			},
			host: "db3", check: "grants", msg: "agent_user 'mmm_agent'@'198.18.0.%' lacks SLAVE MONITOR",
			fix: "GRANT SLAVE MONITOR ON *.* TO 'mmm_agent'@'198.18.0.%';",
		},
		{
			name:   "writer-semisync-timeout-short",
			inject: func(t *testing.T) { execOn(t, "db1", "SET GLOBAL rpl_semi_sync_master_timeout=500") },
			undo: func(t *testing.T) {
				execOn(t, "db1", fmt.Sprintf("SET GLOBAL rpl_semi_sync_master_timeout=%d", semisyncTimeout.Milliseconds()))
			},
			host: "db1", check: "semisync", msg: "rpl_semi_sync_master_timeout is 500ms, shorter than lease + fence_timeout + 1s = " + semisyncTimeout.String(),
			fix: fmt.Sprintf("SET GLOBAL rpl_semi_sync_master_timeout=%d;", semisyncTimeout.Milliseconds()),
		},
		{
			name:   "passive-master-writable",
			inject: func(t *testing.T) { execOn(t, "db2", "SET GLOBAL read_only=OFF") },
			undo:   func(t *testing.T) { execOn(t, "db2", "SET GLOBAL read_only=ON") },
			host:   "db2", check: "read_only", msg: "db2 is writable (read_only=OFF) but is not the writer (db1 is)",
			fix: "SET GLOBAL read_only=ON;",
		},
		{
			name:   "replication-stopped-on-db3",
			inject: func(t *testing.T) { execOn(t, "db3", "STOP SLAVE") },
			undo:   func(t *testing.T) { execOn(t, "db3", "START SLAVE") },
			host:   "db3", check: "replication", msg: "replication threads are not running (IO No, SQL No)",
			fix: "START SLAVE;",
		},
		{
			name:   "binlog-format-statement",
			inject: func(t *testing.T) { execOn(t, "db2", "SET GLOBAL binlog_format=STATEMENT") },
			undo:   func(t *testing.T) { execOn(t, "db2", "SET GLOBAL binlog_format=ROW") },
			host:   "db2", check: "binlog", msg: "binlog_format is STATEMENT",
			fix: "SET GLOBAL binlog_format=ROW;",
		},
		{
			name:   "gtid-strict-mode-off",
			inject: func(t *testing.T) { execOn(t, "db3", "SET GLOBAL gtid_strict_mode=OFF") },
			undo:   func(t *testing.T) { execOn(t, "db3", "SET GLOBAL gtid_strict_mode=ON") },
			host:   "db3", check: "gtid", msg: "gtid_strict_mode is off",
			fix: "SET GLOBAL gtid_strict_mode=ON;",
		},
		{
			name: "keepalived-conf-edited",
			inject: func(t *testing.T) {
				if err := os.WriteFile(keepalivedConf(), append(append([]byte{}, orig...), "# edited by hand\n"...), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			undo: func(t *testing.T) {
				if err := os.WriteFile(keepalivedConf(), orig, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			host: "db1", check: "keepalived", msg: "differs from what mmmctl keepalived render produces for db1",
			fix: "mmmctl keepalived render --host db1 --config " + theLab.HostConfigPath("db1"),
		},
	} {
		ok := t.Run(f.name, func(t *testing.T) {
			f.inject(t)
			undone := false
			undo := func() {
				if !undone {
					undone = true
					f.undo(t)
				}
			}
			defer undo()
			r := runDoctor(t, true)
			found := false
			for _, p := range r.report.Problems {
				if p.Severity == doctor.Error && p.Host == f.host && p.Check == f.check &&
					strings.Contains(p.Message, f.msg) && strings.Contains(p.Fix, f.fix) {
					found = true
				}
			}
			if r.code != exitDoctor || !found {
				t.Errorf("want exit %d and an error on %s (%s) saying %q with fix %q; got\n%s", exitDoctor, f.host, f.check, f.msg, f.fix, r)
			}
			t.Logf("%s: doctor exit %d in %v, %d error(s)", f.name, r.code, r.took.Round(time.Millisecond), r.report.Errors)
			undo()
			wantClean(t, 60*time.Second)
		})
		if !ok {
			t.Logf("%s failed: the faults after it are not injected (the lab may not be clean)", f.name)
			return
		}
	}
	t.Logf("doctor suite: %v", time.Since(start).Round(time.Millisecond))
}
