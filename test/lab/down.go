package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// Down removes everything of the lab: every process in its namespaces
// (found by namespace, not by name), any process that escaped them but
// still names the state directory in its command line and sits in one of
// its pid files, the namespaces (and with them every interface and
// mount), and the state directory. It works from the names alone when the
// manifest is missing or partial (a crashed Up), and on a lab that does
// not exist. Idempotent.
func (l *Lab) Down(ctx context.Context) error {
	if err := checkRoot(); err != nil {
		return err
	}
	unlock, err := l.lockOnce(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	start := time.Now()

	names := l.namespaces()
	if m, err := l.Manifest(); err == nil {
		for _, ns := range m.Namespaces {
			if !slices.Contains(names, ns) && strings.HasPrefix(ns, l.opts.Prefix+"-") {
				names = append(names, ns)
			}
		}
	}
	var errs []error
	kctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, ns := range names {
		if namespaceExists(ns) {
			errs = append(errs, killNamespace(kctx, ns))
		}
	}
	errs = append(errs, l.killPidFiles(kctx))
	for _, ns := range names {
		errs = append(errs, delNamespace(ctx, ns))
	}
	if err := os.RemoveAll(l.opts.StateDir); err != nil {
		errs = append(errs, fmt.Errorf("lab: %w", err))
	}
	for _, ns := range names {
		if namespaceExists(ns) {
			errs = append(errs, fmt.Errorf("lab: namespace %s still exists", ns))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.log.Info("lab down", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// killPidFiles SIGKILLs the live processes named by any pid file under the
// state directory that are still the lab's (labPidFile).
func (l *Lab) killPidFiles(ctx context.Context) error {
	var pids []int
	err := filepath.WalkDir(l.opts.StateDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".pid") {
			if pid, ok := l.labPidFile(p); ok {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return waitGone(ctx, pids...)
}

// Leftovers lists what of the lab still exists on the machine: namespaces
// of its prefix, the state directory, and processes that look like the
// lab's (labProcess). Empty after a successful Down.
func (l *Lab) Leftovers() ([]string, error) {
	var out []string
	entries, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), l.opts.Prefix+"-") {
			out = append(out, "namespace "+e.Name())
		}
	}
	if _, err := os.Stat(l.opts.StateDir); err == nil {
		out = append(out, "state directory "+l.opts.StateDir)
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !mariadbd.ProcessAlive(pid) || !l.labProcess(pid) {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, "process "+e.Name()+": "+strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "))
	}
	return out, nil
}
