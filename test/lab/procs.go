package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// NamespaceProcesses returns the pids of the live processes whose network
// namespace is ns: /proc/PID/ns/net is the same file as /run/netns/<ns>.
// Names play no part, so nothing outside the lab can match. The calling
// process is never listed (a dialling thread may sit in ns for a moment).
func NamespaceProcesses(ns string) ([]int, error) {
	want, err := os.Stat(filepath.Join(netnsDir, ns))
	if err != nil {
		return nil, fmt.Errorf("lab: namespace %s: %w", ns, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		fi, err := os.Stat(filepath.Join("/proc", e.Name(), "ns", "net"))
		if err != nil {
			continue // gone, a zombie, or a kernel thread we may not look at
		}
		if os.SameFile(fi, want) && mariadbd.ProcessAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// killNamespace SIGKILLs every process of ns, again and again (a dying
// parent may have forked), until none is left or ctx ends.
func killNamespace(ctx context.Context, ns string) error {
	for {
		pids, err := NamespaceProcesses(ns)
		if err != nil || len(pids) == 0 {
			return err
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: processes left in %s: %v: %w", ns, pids, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// labPidFile reads a pid file and returns the pid only if that process is
// alive and still ours: its command line names the lab's state directory
// (every process the lab starts carries a path under it), so a pid reused
// by an unrelated process after a crash is never signalled.
func (l *Lab) labPidFile(path string) (int, bool) {
	pid, err := mariadbd.ReadPidFile(path)
	if err != nil || !mariadbd.ProcessAlive(pid) {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(l.opts.StateDir+"/")) {
		return 0, false
	}
	return pid, true
}

// waitGone waits until none of pids is alive.
func waitGone(ctx context.Context, pids ...int) error {
	for _, pid := range pids {
		for mariadbd.ProcessAlive(pid) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("lab: pid %d still running: %w", pid, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// processState returns the state letter of /proc/PID/stat (R, S, T, Z…).
func processState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) {
		return b[i+2]
	}
	return 0
}
