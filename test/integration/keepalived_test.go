//go:build integration

package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// TestWriterVIPOnDB1: after Up, db1 alone holds the writer VIP and app
// writes to db1 through it.
func TestWriterVIPOnDB1(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	if got := holders(t); !slices.Equal(got, []string{"db1"}) {
		t.Fatalf("writer VIP on %v, want db1", got)
	}
	for _, h := range []string{"db1", "db2"} {
		if ok, err := theLab.DaemonRunning(h, "keepalived"); err != nil || !ok {
			t.Errorf("keepalived on %s: running %v, %v", h, ok, err)
		}
	}
	id, err := insert(ctx, appTo(t, "vip"))
	if err != nil || id != 1 {
		t.Fatalf("insert through the VIP: server %d, %v; want db1", id, err)
	}
	if ro := readOnly(t, "db2"); ro != "1" {
		t.Errorf("db2 read_only=%s", ro)
	}
}

// TestTrackFilesMoveWriter: the coordinator's control path without the
// coordinator. Closing db1's track file and opening db2's moves the VIP
// to db2, and mmm-notify fences db1 at once: read_only=1, app's writes
// refused, app's open session killed. mmm-notify never opens db2; the
// test does, as the coordinator would, then moves the writer back in the
// coordinator's order (open db1 for writes first, then its track file:
// keepalived passes BACKUP, which mmm-notify must not fence).
func TestTrackFilesMoveWriter(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	restoreWriter(t)
	sample(t)
	_, off := notifyLog(t, 0)
	held, err := appTo(t, "vip").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	var id int
	if err := held.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil || id != 1 {
		t.Fatalf("session through the VIP on server %d, %v; want db1", id, err)
	}

	start := time.Now()
	if err := theLab.SetWriterEligible("db1", false); err != nil {
		t.Fatal(err)
	}
	if err := theLab.SetWriterEligible("db2", true); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, 5*time.Second, "VIP on db2 alone", func() bool { return slices.Equal(holders(t), []string{"db2"}) })
	waitFor(t, 5*time.Second, "db1 fenced", func() bool { return readOnly(t, "db1") == "1" })
	t.Logf("track files written: VIP on db2 after %v, db1 read_only=1 after %v", d.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	if _, err := appTo(t, "db1").ExecContext(ctx, "INSERT INTO t (host) VALUES ('app')"); mysqlErrno(err) != 1290 {
		t.Errorf("app's write on db1 after the fence: %v, want error 1290 (read-only)", err)
	}
	if err := held.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err == nil {
		t.Errorf("app's session on db1 survived the fence")
	}
	if err := theLab.WaitNotifyIdle(ctx); err != nil {
		t.Fatal(err)
	}
	wants := [][]string{
		{`db1: INSTANCE "mmm_writer" FAULT`, "fence:", "fenced: read_only=1 set (was 0)", "verified"},
		{`db2: INSTANCE "mmm_writer" BACKUP`, "report: BACKUP with the track file eligible"},
		{`db2: INSTANCE "mmm_writer" MASTER`, "report: keepalived holds"},
	}
	// keepalived may spawn the MASTER notify a moment after the VIP is
	// up, after the notifiers were idle: read the log until every line
	// is there (bounded), then check each.
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		lines, _ = notifyLog(t, off)
		if !slices.ContainsFunc(wants, func(w []string) bool { return !hasLine(lines, w...) }) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range wants {
		if !hasLine(lines, want...) {
			t.Errorf("no mmm-notify line with %q in:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if ro := readOnly(t, "db2"); ro != "1" {
		t.Errorf("db2 read_only=%s: mmm-notify must never open writes", ro)
	}

	// The coordinator's promotion, by hand: writes reach db2 through the VIP.
	if _, err := rootDB(t, "db2").ExecContext(ctx, "SET GLOBAL read_only=OFF"); err != nil {
		t.Fatal(err)
	}
	if id, err := insert(ctx, appTo(t, "vip")); err != nil || id != 2 {
		t.Fatalf("insert through the VIP: server %d, %v; want db2", id, err)
	}

	// Back, in the coordinator's order.
	m, err := theLab.MoveWriter(ctx, "db2", "db1")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("moved back: %s", m)
	if ro1, ro2 := readOnly(t, "db1"), readOnly(t, "db2"); ro1 != "0" || ro2 != "1" {
		t.Errorf("after the move back: db1 read_only=%s, db2 read_only=%s; want 0, 1 (db1's BACKUP on the way to MASTER must not fence it)", ro1, ro2)
	}
	if id, err := insert(ctx, appTo(t, "vip")); err != nil || id != 1 {
		t.Fatalf("insert through the VIP: server %d, %v; want db1", id, err)
	}
}

// TestMySQLKillFaultsKeepalived: SIGKILL of db1's mysqld fails mmm-check,
// keepalived goes FAULT and the writer VIP leaves db1 by itself; then
// the writer moves to db2 by hand and app writes there through the VIP.
func TestMySQLKillFaultsKeepalived(t *testing.T) {
	ctx := testCtx(t, 3*time.Minute)
	restoreWriter(t)
	sample(t)
	_, off := notifyLog(t, 0)
	start := time.Now()
	if _, err := theLab.KillMySQL(ctx, "db1"); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, 10*time.Second, "VIP off db1", func() bool { return !slices.Contains(holders(t), "db1") })
	t.Logf("mysqld SIGKILL -> VIP off db1 in %v (mmm-check interval 1 s, fall 1)", d.Round(time.Millisecond))
	waitFor(t, 5*time.Second, "mmm-notify's FAULT line for db1", func() bool {
		lines, _ := notifyLog(t, off)
		return hasLine(lines, `db1: INSTANCE "mmm_writer" FAULT`)
	})
	lines, _ := notifyLog(t, off)
	if !hasLine(lines, `db1: INSTANCE "mmm_writer" FAULT`, "NOT FENCED", "server unreachable") {
		t.Errorf("mmm-notify on db1 with mysqld dead, want an unreachable server:\n%s", strings.Join(lines, "\n"))
	}
	if b, err := os.ReadFile(theLab.KeepalivedLogPath("db1")); err != nil || !bytes.Contains(b, []byte("VRRP_Script(mmm_check) failed")) {
		t.Errorf("keepalived's log on db1 does not say mmm-check failed (%v)", err)
	}

	m, err := theLab.MoveWriter(ctx, "db1", "db2")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("by hand: %s; %v after the kill", m, time.Since(start).Round(time.Millisecond))
	if id, err := insert(ctx, appTo(t, "vip")); err != nil || id != 2 {
		t.Fatalf("insert through the VIP: server %d, %v; want db2", id, err)
	}
	if err := theLab.StartMySQL(ctx, "db1"); err != nil {
		t.Fatal(err)
	}
	if ro := readOnly(t, "db1"); ro != "1" {
		t.Errorf("db1 came back read_only=%s", ro)
	}
	if hs := holders(t); !slices.Equal(hs, []string{"db2"}) {
		t.Errorf("after db1's restart the VIP is on %v, want db2 (nopreempt, db1 ineligible)", hs)
	}
}

// TestStaleNotifications: out-of-order notifications, as keepalived may
// deliver them, change nothing: BACKUP, FAULT or STOP on db1 while db1
// holds the VIP, MASTER on db2 which does not.
func TestStaleNotifications(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	restoreWriter(t)
	sample(t)
	held, err := appTo(t, "vip").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	cases := []struct{ host, state string }{{"db1", "BACKUP"}, {"db1", "FAULT"}, {"db1", "STOP"}, {"db2", "MASTER"}}
	for _, c := range cases {
		out, err := theLab.Exec(ctx, c.host, notifyBin(), "--config", theLab.HostConfigPath(c.host), "--host", c.host,
			"INSTANCE", keepalived.InstanceName, c.state, "100")
		if err != nil {
			t.Fatalf("%s %s: %v: %s", c.host, c.state, err, out)
		}
		if !strings.Contains(string(out), ": ignore: stale") {
			t.Errorf("%s %s: %s", c.host, c.state, out)
		}
	}
	if ro := readOnly(t, "db1"); ro != "0" {
		t.Errorf("db1 read_only=%s after stale notifications", ro)
	}
	var id int
	if err := held.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil || id != 1 {
		t.Errorf("app's session through the VIP: server %d, %v", id, err)
	}
}

// TestNotifyBadInput: keepalived's arguments wrong → exit 2, one line.
func TestNotifyBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"INSTANCE", "mmm_writer", "FAULT"},
		{"--config", theLab.HostConfigPath("db1"), "INSTANCE", "mmm_writer", "SLEEPING", "150"},
	} {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(notifyBin(), args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%q: %v, want exit 2", args, err)
		}
		if s := stderr.String(); strings.Count(s, "\n") != 1 || !strings.HasPrefix(s, "mmm-notify: usage: ") || stdout.Len() > 0 {
			t.Errorf("%q: stdout %q, stderr %q; want one line on stderr", args, stdout.String(), s)
		}
	}
}

// TestRenderWithoutRouterID: the lab's configuration without
// virtual_router_id cannot be rendered, and the error says why and where.
func TestRenderWithoutRouterID(t *testing.T) {
	b, err := os.ReadFile(theLab.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "virtual_router_id") {
			kept = append(kept, line)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mmm_common.conf"), []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := filepath.Join(dir, "mmm_agent.conf")
	if err := os.WriteFile(agent, []byte("include mmm_common.conf\nthis db1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(agent)
	if err != nil {
		t.Fatal(err)
	}
	_, err = keepalived.Render(cfg, "db1")
	want := "<keepalived> virtual_router_id is not set (1-255): needed to render keepalived.conf"
	if !errors.Is(err, keepalived.ErrMissing) || err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), filepath.Join(dir, "mmm_common.conf")+":") {
		t.Errorf("Render = %v, want ErrMissing saying %q and where", err, want)
	}
}
