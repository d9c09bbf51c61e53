package failbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// classic is the setup DBAs deploy by hand: keepalived on db1 and db2
// with the same VRRP timings as ours, a `mariadb-admin ping` check and a
// notify_master script that runs STOP SLAVE; SET GLOBAL read_only=0 and
// nothing else. No coordinator and none of our binaries run.
type classic struct{}

func (classic) name() string { return "classic" }

func (classic) keepsSemisync() bool { return false }

func (classic) describe() string {
	return "keepalived + shell scripts: VRRPv3 advert 0.1 s, both BACKUP with nopreempt, priorities 150/100, " +
		"vrrp_script `mariadb-admin ping` (interval 1 s, timeout 1 s, fall 1, rise 2, weight 0), " +
		"notify_master `mariadb -e 'STOP SLAVE; SET GLOBAL read_only=0'`, nothing else"
}

// binDir is empty: the lab then starts neither our keepalived setup nor
// the coordinators, and ready starts the classic keepalived itself.
func (classic) binDir() string { return "" }

const classicConf = `# The classic setup: keepalived with shell scripts (failbench).
global_defs {
    router_id %[1]s
    script_user root
    enable_script_security
}

vrrp_script chk_mysql {
    script "/usr/bin/mariadb-admin --socket=%[2]s --connect-timeout=1 ping"
    interval 1
    timeout 1
    fall 1
    rise 2
    weight 0
    init_fail
}

vrrp_instance VI_MYSQL {
    state BACKUP
    nopreempt
    interface eth0
    virtual_router_id 51
    priority %[3]d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        %[4]s/32 dev eth0
    }
    track_script {
        chk_mysql
    }
    notify_master "%[5]s"
    garp_master_delay 5
    garp_master_repeat 5
}
`

const classicNotify = `#!/bin/sh
# notify_master of the classic setup: open writes, nothing else.
exec /usr/bin/mariadb --socket=%s -e 'STOP SLAVE; SET GLOBAL read_only=0'
`

// ready starts keepalived on db1, waits until it holds the writer VIP and
// its notify_master opened writes, then starts db2's, and waits until
// db2 is BACKUP with a passing check.
func (classic) ready(ctx context.Context, l *lab.Lab) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		return fmt.Errorf("failbench: %w", err)
	}
	for i, host := range []string{"db1", "db2"} {
		d, err := classicDaemon(l, bin, host, 150-50*i)
		if err != nil {
			return err
		}
		if err := l.StartDaemon(ctx, d); err != nil {
			return err
		}
		if host == "db1" {
			s, _ := l.Server("db1")
			if err := waitUntil(ctx, func() bool {
				hs, _ := l.VIPHolders(lab.WriterVIP)
				return slices.Equal(hs, []string{"db1"}) && readOnly(ctx, s) == 0
			}); err != nil {
				return fmt.Errorf("failbench: classic: db1 not the writable VIP holder: %w", err)
			}
			continue
		}
		log := l.KeepalivedLogPath(host)
		if err := waitUntil(ctx, func() bool {
			b, _ := os.ReadFile(log)
			return bytes.Contains(b, []byte("Entering BACKUP STATE")) && bytes.Contains(b, []byte("VRRP_Script(chk_mysql) succeeded"))
		}); err != nil {
			return fmt.Errorf("failbench: classic: db2 not BACKUP (see %s): %w", log, err)
		}
	}
	hs, err := l.VIPHolders(lab.WriterVIP)
	if err != nil || !slices.Equal(hs, []string{"db1"}) {
		return fmt.Errorf("failbench: classic: writer VIP on %v (%v)", hs, err)
	}
	return nil
}

// heal: the classic setup has nothing to run (no roles, no states).
func (classic) heal(context.Context, *lab.Lab, string) string { return "" }

func (classic) note(context.Context, *lab.Lab) string { return "" }

func (classic) stages(context.Context, *lab.Lab, string, time.Time) []Stage { return nil }

// classicDaemon writes host's keepalived.conf and notify script (root's,
// 0755: keepalived's script security) and returns its Daemon, named
// "keepalived" so that the lab's ReviveHost and Down treat it as theirs.
func classicDaemon(l *lab.Lab, bin, host string, priority int) (lab.Daemon, error) {
	s, err := l.Server(host)
	if err != nil {
		return lab.Daemon{}, err
	}
	dir := filepath.Join(l.StateDir(), host, "classic")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return lab.Daemon{}, fmt.Errorf("failbench: %w", err)
	}
	notify := filepath.Join(dir, "notify_master.sh")
	if err := os.WriteFile(notify, fmt.Appendf(nil, classicNotify, s.Socket), 0o755); err != nil {
		return lab.Daemon{}, fmt.Errorf("failbench: %w", err)
	}
	conf := filepath.Join(dir, "keepalived.conf")
	body := fmt.Sprintf(classicConf, host, s.Socket, priority, lab.WriterVIP, notify)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return lab.Daemon{}, fmt.Errorf("failbench: %w", err)
	}
	var pids []string
	for _, p := range []string{"keepalived.pid", "vrrp.pid", "checkers.pid", "bfd.pid"} {
		pids = append(pids, filepath.Join(dir, p))
	}
	// Stale pid files of a killed keepalived make it refuse to start
	// (the lab's own keepalived does the same).
	script := `rm -f -- "$3" "$4" "$5" "$6" && exec "$1" --dont-fork --log-console --log-detail --vrrp ` +
		`-f "$2" -p "$3" -r "$4" -c "$5" -b "$6"`
	return lab.Daemon{Name: "keepalived", Host: host, PidFiles: pids,
		Argv: append([]string{"/bin/sh", "-c", script, "keepalived", bin, conf}, pids...)}, nil
}

// switchover is the DBA's runbook with the classic setup: db1 read-only,
// keepalived on db1 stopped (SIGTERM: priority 0, db2 takes the VIP and
// its notify_master opens writes), then started again (nopreempt: it
// stays BACKUP).
func (classic) switchover(ctx context.Context, l *lab.Lab) error {
	s, err := l.Server("db1")
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, "SET GLOBAL read_only=1"); err != nil {
		return err
	}
	pidFile := filepath.Join(l.StateDir(), "db1", "keepalived.pid")
	pid, err := mariadbd.ReadPidFile(pidFile)
	if err != nil {
		return fmt.Errorf("failbench: keepalived on db1: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("failbench: stop keepalived on db1: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := waitUntil(wctx, func() bool {
		running, _ := l.DaemonRunning("db1", "keepalived")
		return !running
	}); err != nil {
		return fmt.Errorf("failbench: keepalived on db1 did not stop: %w", err)
	}
	return l.RestartDaemon(ctx, "db1", "keepalived")
}

// waitUntil polls cond every 20 ms until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// readOnly returns s's read_only, or -1 when it does not answer.
func readOnly(ctx context.Context, s *mariadbd.Server) int {
	db, err := s.Open("")
	if err != nil {
		return -1
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var ro int
	if err := db.QueryRowContext(ctx, "SELECT @@read_only").Scan(&ro); err != nil {
		return -1
	}
	return ro
}
