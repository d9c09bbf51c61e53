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
// alive and still looks like the lab's (labProcess), so that a pid reused
// by an unrelated process after a crash is never signalled.
func (l *Lab) labPidFile(path string) (int, bool) {
	pid, err := mariadbd.ReadPidFile(path)
	if err != nil || !mariadbd.ProcessAlive(pid) || !l.labProcess(pid) {
		return 0, false
	}
	return pid, true
}

// labProcess reports whether pid looks like a process of this lab that
// escaped its namespaces: it runs outside our own network namespace (the
// lab starts everything with ip netns exec; a shell or grep naming the
// state directory runs in ours) and its command line names the lab's
// state directory.
func (l *Lab) labProcess(pid int) bool {
	own, err := os.Stat("/proc/self/ns/net")
	if err != nil {
		return false
	}
	theirs, err := os.Stat(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil || os.SameFile(own, theirs) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(cmdline, []byte(l.opts.StateDir+"/"))
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
