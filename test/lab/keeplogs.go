package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// KeepLogs copies what a failure needs explaining into dir (created when
// missing): every database host's coordinator.log, keepalived.log and
// mysqld error log as HOST-NAME, mmm-notify's log, and the lab's status
// as status.txt. Missing files are skipped: not every suite runs every
// daemon.
func (l *Lab) KeepLogs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lab: keep logs: %w", err)
	}
	copyTo := func(src, name string) {
		if b, err := os.ReadFile(src); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
	for _, h := range DBHosts() {
		for _, name := range []string{"coordinator.log", "keepalived.log"} {
			copyTo(filepath.Join(l.StateDir(), h.Name, name), h.Name+"-"+name)
		}
		if s, err := l.Server(h.Name); err == nil {
			copyTo(s.ErrLog, h.Name+"-mysqld.err")
		}
	}
	copyTo(l.NotifyLogPath(), "mmm-notify.log")
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if st, err := l.Status(sctx); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "status.txt"), []byte(st.String()), 0o644)
	}
	return nil
}

// ReportFailure is the suites' OnFailure: it keeps the logs (KeepLogs)
// in a new directory under the system's temporary directory, writes to w
// the tail (tail bytes) of every coordinator's log and the lab's status,
// and names the directory.
func (l *Lab) ReportFailure(w io.Writer, suite string, tail int) {
	keep, err := os.MkdirTemp("", l.opts.Prefix+"-logs-")
	if err == nil {
		err = l.KeepLogs(context.Background(), keep)
	}
	for _, h := range DBHosts() {
		b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, "coordinator.log"))
		if err != nil {
			continue
		}
		if len(b) > tail {
			b = b[len(b)-tail:]
		}
		fmt.Fprintf(w, "--- %s coordinator.log (tail) ---\n%s\n", h.Name, b)
	}
	if b, rerr := os.ReadFile(filepath.Join(keep, "status.txt")); rerr == nil {
		fmt.Fprintf(w, "--- lab status ---\n%s\n", b)
	}
	if err != nil {
		fmt.Fprintf(w, "%s: the logs could not be kept: %v\n", suite, err)
		return
	}
	fmt.Fprintf(w, "%s: the daemons' logs (coordinators, keepalived, mysqld, mmm-notify) are in %s\n", suite, keep)
}

// CoordinatorLogSince returns the lines of host's coordinator log stamped
// at or after since (its time= field) that contain any of match (every
// line when match is empty): what explains a failure in the test's own
// output, where a kept log directory of the CI machine is out of reach.
func (l *Lab) CoordinatorLogSince(host string, since time.Time, match ...string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(l.StateDir(), host, "coordinator.log"))
	if err != nil {
		return nil, fmt.Errorf("lab: coordinator log of %s: %w", host, err)
	}
	var out []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\n")
		stamp, ok := strings.CutPrefix(line, "time=")
		if !ok {
			continue
		}
		stamp, _, _ = strings.Cut(stamp, " ")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil || at.Before(since) {
			continue
		}
		if len(match) == 0 || slices.ContainsFunc(match, func(m string) bool { return strings.Contains(line, m) }) {
			out = append(out, line)
		}
	}
	return out, nil
}
