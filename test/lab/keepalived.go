package lab

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// keepalived on db1 and db2: the configuration keepalived.Render
// makes from each host's own view of the cluster, run in the host's
// namespace in the foreground (it loses its log otherwise),
// with mmm-check and mmm-notify from Options.BinDir.
//
// The track files. keepalived reads a missing track file as 0 (eligible),
// and drops the track_file for good when its directory is missing at its
// start, so both exist before keepalived starts. When the coordinators
// run (they start first), they own the files: upKeepalived waits until
// they made db1 eligible, so that keepalived starts the instance with the
// coordinator's decision in place. Without coordinators nothing else
// writes them: upKeepalived makes db1 (the lab's writer) eligible and db2
// not, and tests and benchmarks move the writer with MoveWriter, as the
// coordinator would.
//
// Why the order matters: a coordinator closes its host's track file until
// it has a leader and a committed writer, so one that starts (or
// restarts) beside a running keepalived puts the writer's instance in
// FAULT for a moment, and mmm-notify fences the writer; when the file
// opens again the VIP comes back to a read-only server, which only the
// coordinator's promotion reopens.

// keepalivedName is the Daemon name of keepalived on a host.
const keepalivedName = "keepalived"

// skipKeepalived says why keepalived is not started on db1 and db2.
func (l *Lab) skipKeepalived() string {
	for _, b := range []string{"mmm-check", "mmm-notify"} {
		if l.binary(b) == "" {
			return b + " is not built"
		}
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		return "keepalived is not installed (make deps)"
	}
	return ""
}

// masters are the hosts that run keepalived: the writer role's.
func masters() []string {
	var out []string
	for _, h := range DBHosts() {
		if h.Mode == "master" {
			out = append(out, h.Name)
		}
	}
	return out
}

// TrackFilePath is host's keepalived track_file (renderConfig's).
func (l *Lab) TrackFilePath(host string) string {
	return filepath.Join(l.hostDir(host), "writer.track")
}

// NotifyLogPath is the file every mmm-notify of the lab appends its line
// to (<keepalived> notify_log).
func (l *Lab) NotifyLogPath() string { return filepath.Join(l.opts.StateDir, "mmm-notify.log") }

// KeepalivedLogPath is keepalived's own log on host.
func (l *Lab) KeepalivedLogPath(host string) string {
	return filepath.Join(l.hostDir(host), keepalivedName+".log")
}

// SetWriterEligible writes host's track file as the coordinator does: 0
// (eligible for the writer VIP) or 1. keepalived acts on it within
// milliseconds (inotify).
func (l *Lab) SetWriterEligible(host string, eligible bool) error {
	if _, err := LookupHost(host); err != nil {
		return err
	}
	return keepalived.WriteTrackFile(l.TrackFilePath(host), eligible)
}

// VIPHolders returns the hosts that have vip on their eth0 now.
func (l *Lab) VIPHolders(vip netip.Addr) ([]string, error) {
	var out []string
	for _, h := range Hosts {
		addrs, err := l.addrsOn(h.Name)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok && ip == vip {
				out = append(out, h.Name)
			}
		}
	}
	return out, nil
}

// upKeepalived renders and starts keepalived on db1 and db2, waits until
// db1 holds the writer VIP and no mmm-notify runs any more, and leaves db1
// writable: keepalived may start the instance in FAULT (init_fail) and
// mmm-notify then fences db1, which the lab undoes as the coordinator's
// promotion would (db1 is the writer the coordinators chose, if they run).
func (l *Lab) upKeepalived(ctx context.Context) error {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		return fmt.Errorf("lab: keepalived: %w", err)
	}
	coordinated := false
	for _, host := range masters() {
		running, _ := l.DaemonRunning(host, "coordinator")
		coordinated = coordinated || running
	}
	if coordinated {
		err := poll(ctx, 30*time.Second, func() (bool, error) {
			eligible, err := keepalived.ReadTrackFile(l.TrackFilePath(Writer))
			return err == nil && eligible, nil
		})
		if err != nil {
			return fmt.Errorf("lab: keepalived: the coordinators did not make %s eligible: %w", Writer, err)
		}
	}
	for _, host := range masters() {
		d, err := l.prepareKeepalived(bin, host, coordinated)
		if err != nil {
			return err
		}
		if err := l.StartDaemon(ctx, d); err != nil {
			return err
		}
	}
	err = poll(ctx, 30*time.Second, func() (bool, error) {
		holders, err := l.VIPHolders(WriterVIP)
		return err == nil && len(holders) == 1 && holders[0] == Writer, err
	})
	if err != nil {
		return fmt.Errorf("lab: keepalived: the writer VIP did not come up on %s: %w (see %s)", Writer, err, l.KeepalivedLogPath(Writer))
	}
	// Both checks passed (rise times after init_fail): until then an
	// eligible db2 would wait for its check, and a failover would measure
	// keepalived's start.
	for _, host := range masters() {
		err := poll(ctx, 30*time.Second, func() (bool, error) {
			b, err := os.ReadFile(l.KeepalivedLogPath(host))
			return bytes.Contains(b, []byte("VRRP_Script("+keepalived.ScriptName+") succeeded")), err
		})
		if err != nil {
			return fmt.Errorf("lab: keepalived on %s: mmm-check never passed: %w (see %s)", host, err, l.KeepalivedLogPath(host))
		}
	}
	if err := l.WaitNotifyIdle(ctx); err != nil {
		return err
	}
	return l.servers[Writer].Exec(ctx, "SET GLOBAL read_only=OFF")
}

// prepareKeepalived renders host's keepalived.conf, creates its track
// file unless the coordinators own it, and returns its Daemon.
func (l *Lab) prepareKeepalived(bin, host string, coordinated bool) (Daemon, error) {
	cfg, err := config.Load(l.HostConfigPath(host))
	if err != nil {
		return Daemon{}, fmt.Errorf("lab: keepalived: %w", err)
	}
	conf, err := keepalived.Render(cfg, host)
	if err != nil {
		return Daemon{}, fmt.Errorf("lab: keepalived: %w", err)
	}
	dir := filepath.Join(l.hostDir(host), keepalivedName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Daemon{}, fmt.Errorf("lab: %w", err)
	}
	confFile := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		return Daemon{}, fmt.Errorf("lab: %w", err)
	}
	if track := cfg.Host(host).TrackFile; track != l.TrackFilePath(host) {
		return Daemon{}, fmt.Errorf("lab: keepalived: %s's track_file is %s, want %s", host, track, l.TrackFilePath(host))
	}
	if !coordinated {
		if err := l.SetWriterEligible(host, host == Writer); err != nil {
			return Daemon{}, err
		}
	}
	// keepalived's own pid files, apart from the lab's <host>/keepalived.pid
	// (keepalived refuses to start when its pid file names a live process).
	pids := []string{"keepalived.pid", "vrrp.pid", "checkers.pid", "bfd.pid"}
	for i, p := range pids {
		pids[i] = filepath.Join(dir, p)
	}
	// A crashed keepalived leaves its pid files, and its VRRP child stays
	// a zombie until init reaps it, which keepalived's check (kill 0) takes
	// for a running daemon: "daemon is already running". The lab starts
	// keepalived only when none of its processes runs (StartDaemon,
	// ReviveHost, RestartDaemon), so the files are stale then: sh removes
	// them and execs keepalived (same pid, still in the foreground).
	script := `rm -f -- "$3" "$4" "$5" "$6" && exec "$1" --dont-fork --log-console --log-detail --vrrp ` +
		`-f "$2" -p "$3" -r "$4" -c "$5" -b "$6"`
	return Daemon{Name: keepalivedName, Host: host, PidFiles: pids,
		Argv: append([]string{"/bin/sh", "-c", script, "keepalived", bin, confFile}, pids...)}, nil
}

// WaitNotifyIdle waits until no mmm-notify runs on the masters: each
// notification is done, fence included.
func (l *Lab) WaitNotifyIdle(ctx context.Context) error {
	notifyBin := []byte(l.binary("mmm-notify"))
	return poll(ctx, 10*time.Second, func() (bool, error) {
		for _, host := range masters() {
			pids, err := NamespaceProcesses(l.Namespace(host))
			if err != nil {
				return false, err
			}
			for _, pid := range pids {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				if bytes.Contains(b, notifyBin) {
					return false, nil
				}
			}
		}
		return true, nil
	})
}
