// Package mycnf reads what the local mysqld was started with (its my.cnf
// groups, as my_print_defaults --mysqld prints them, and its command
// line), for the settings a master of this cluster must or must not have
// at its next start: see Check.
package mycnf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ReadPid reads mysqld's pid from its pid file (mysql_pidfile).
func ReadPid(pidfile string) (int, error) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0, fmt.Errorf("mycnf: mysql_pidfile: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 2 {
		return 0, fmt.Errorf("mycnf: mysql_pidfile %s: no pid in %q", pidfile, strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// Options returns the options of the running mysqld whose pid is pid,
// as mysqld reads them: my_print_defaults --mysqld with the defaults
// files of mysqld's command line, then the command line itself (later
// options win).
func Options(ctx context.Context, pid int) ([]string, error) {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, fmt.Errorf("mycnf: mysqld's command line: %w", err)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	var files, opts []string
	for _, a := range args[min(1, len(args)):] {
		switch {
		case strings.HasPrefix(a, "--defaults-file="), strings.HasPrefix(a, "--defaults-extra-file="),
			strings.HasPrefix(a, "--defaults-group-suffix="), a == "--no-defaults":
			files = append(files, a)
		default:
			opts = append(opts, a)
		}
	}
	out, err := exec.CommandContext(ctx, "my_print_defaults", append(files, "--mysqld")...).Output()
	if err != nil {
		return nil, fmt.Errorf("mycnf: my_print_defaults: %w", err)
	}
	return append(strings.Split(string(bytes.TrimSpace(out)), "\n"), opts...), nil
}

// Check returns what is wrong, for a master of this cluster, with mysqld
// options (--name[=value], the later one winning); nil when nothing is:
//
//   - skip_slave_start missing: a master restarted after a crash starts
//     replicating at once, before its coordinator checked it for errant
//     transactions, and its IO thread met the dump thread its previous
//     life left on the writer, where the writer's mysqld stalled;
//   - init_rpl_role = SLAVE present: crash recovery then drops the
//     binlog's uncommitted tail — transactions that replicas may already
//     have — and a master that writes again reuses their GTIDs, which
//     the replicas then skip as already applied: they silently miss
//     acknowledged writes.
func Check(opts []string) []string {
	role, skip := "", false
	for _, o := range opts {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimSpace(o), "--"), "=")
		switch strings.ReplaceAll(strings.ToLower(name), "_", "-") {
		case "init-rpl-role":
			role = strings.ToUpper(value)
		case "skip-slave-start":
			skip = !hasValue || isTrue(value)
		case "slave-start", "disable-skip-slave-start":
			skip = false
		}
	}
	var probs []string
	if !skip {
		probs = append(probs, "skip_slave_start is not set: a master restarted after a crash replicates before its coordinator checked it for errant transactions, and its replica thread can stall the writer")
	}
	if role == "SLAVE" {
		probs = append(probs, "init_rpl_role = SLAVE is set: a master restarted after a crash drops transactions its replicas may already have and, writing again, reuses their GTIDs, which the replicas then skip (acknowledged writes silently missing)")
	}
	return probs
}

func isTrue(v string) bool {
	switch strings.ToUpper(v) {
	case "1", "ON", "TRUE", "YES":
		return true
	}
	return false
}
