package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// Daemon is a long-running process the lab starts inside a host's
// namespace (keepalived, a coordinator) and can kill and start again. The
// lab records it in the manifest, so that another process (mmm-lab fault)
// can kill or restart it and Down can remove it.
type Daemon struct {
	Name string // unique per host: "keepalived", "coordinator"
	Host string
	Argv []string // run as `ip netns exec <ns> Argv...`, in the foreground
	// PidFiles lists pid files the daemon writes itself, e.g. keepalived's
	// VRRP and checker children. The lab also writes the pid it started to
	// <state>/<host>/<name>.pid.
	PidFiles []string
}

func (l *Lab) daemonPidFile(d Daemon) string {
	return filepath.Join(l.hostDir(d.Host), d.Name+".pid")
}

// StartDaemon records d in the manifest and starts it in its host's
// namespace, its output appended to <state>/<host>/<name>.log. With
// Options.Detach it gets its own session and outlives the caller.
func (l *Lab) StartDaemon(ctx context.Context, d Daemon) error {
	if _, err := LookupHost(d.Host); err != nil {
		return err
	}
	if len(d.Argv) == 0 {
		return fmt.Errorf("lab: daemon %s on %s: no command", d.Name, d.Host)
	}
	if err := l.record(func(m *Manifest) {
		if old := m.daemon(d.Host, d.Name); old != nil {
			*old = d
		} else {
			m.Daemons = append(m.Daemons, d)
		}
	}); err != nil {
		return err
	}
	if err := os.MkdirAll(l.hostDir(d.Host), 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(l.hostDir(d.Host), d.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer logf.Close()
	argv := append(l.wrap(d.Host), d.Argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if l.opts.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lab: start %s on %s: %w", d.Name, d.Host, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }() // reap it while we live
	pid := cmd.Process.Pid
	if err := os.WriteFile(l.daemonPidFile(d), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("lab: %w", err)
	}
	// Started means running inside the host: ip netns exec switches
	// namespace only after it was started.
	err = poll(ctx, 5*time.Second, func() (bool, error) {
		select {
		case <-exited:
			return false, fmt.Errorf("lab: %s on %s exited at once (see %s)", d.Name, d.Host, logf.Name())
		default:
		}
		return slices.Contains(l.daemonPids(d), pid), nil
	})
	if err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	l.log.Info("daemon started", "host", d.Host, "daemon", d.Name, "pid", pid)
	return nil
}

// daemon returns a recorded daemon.
func (l *Lab) daemon(host, name string) (Daemon, error) {
	m, err := l.Manifest()
	if err != nil {
		return Daemon{}, err
	}
	d := m.daemon(host, name)
	if d == nil {
		return Daemon{}, fmt.Errorf("%w: %s on %s", ErrNoDaemon, name, host)
	}
	return *d, nil
}

// daemonPids returns the live pids of d's pid files that belong to d's
// host namespace (a stale pid file never names an unrelated process).
func (l *Lab) daemonPids(d Daemon) []int {
	ns, err := os.Stat(filepath.Join(netnsDir, l.Namespace(d.Host)))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range append([]string{l.daemonPidFile(d)}, d.PidFiles...) {
		pid, err := mariadbd.ReadPidFile(f)
		if err != nil || !mariadbd.ProcessAlive(pid) {
			continue
		}
		fi, err := os.Stat(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err == nil && os.SameFile(fi, ns) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// DaemonRunning reports whether any process of a recorded daemon is alive.
func (l *Lab) DaemonRunning(host, name string) (bool, error) {
	d, err := l.daemon(host, name)
	if err != nil {
		return false, err
	}
	return len(l.daemonPids(d)) > 0, nil
}

// killDaemon SIGKILLs every process of d at once (parent and children, as
// a crash would) and waits until they are gone.
func (l *Lab) killDaemon(ctx context.Context, d Daemon) error {
	pids := l.daemonPids(d)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return waitGone(ctx, pids...)
}

// hostDaemons returns the recorded daemons of a host.
func (l *Lab) hostDaemons(host string) ([]Daemon, error) {
	m, err := l.Manifest()
	if err != nil {
		return nil, err
	}
	var out []Daemon
	for _, d := range m.Daemons {
		if d.Host == host {
			out = append(out, d)
		}
	}
	return out, nil
}
