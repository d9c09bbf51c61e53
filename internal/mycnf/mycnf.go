// Package mycnf reads what the local mysqld was started with (its my.cnf
// groups, as my_print_defaults --mysqld prints them, and its command
// line) and tells whether a restart after a kill is safe for the
// self-fence: see RestartDiscards.
package mycnf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// RestartDiscards reports whether the mysqld whose pid is pid discards,
// when it restarts after a kill, the transactions that were in its binlog
// but not committed in the engine, and does not replicate before its
// coordinator's rejoin — what the self-fence needs before it kills a cut-off
// writer whose commits wait for a semisync acknowledgement:
//
//   - init_rpl_role=SLAVE: MariaDB's crash recovery then truncates the
//     binlog's tail of such transactions (without it, it commits them: an
//     errant transaction on the old writer);
//   - skip_slave_start: otherwise its IO thread connects to the new writer
//     at once, where the dump thread of its previous life is still
//     registered, and the new writer's mysqld was seen to stall.
//
// It reads the options as mysqld does (my_print_defaults --mysqld, with the
// defaults files of mysqld's command line) plus the command line itself.
// When either is missing it says which, for the log.
func RestartDiscards(ctx context.Context, pid int) (bool, string) {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false, fmt.Sprintf("mysqld's command line: %v", err)
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
		return false, fmt.Sprintf("my_print_defaults: %v", err)
	}
	opts = append(strings.Split(string(bytes.TrimSpace(out)), "\n"), opts...)
	return RestartOptions(opts)
}

// RestartOptions checks mysqld options (--name[=value], the later one
// winning) for init_rpl_role=SLAVE and skip_slave_start.
func RestartOptions(opts []string) (bool, string) {
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
	var missing []string
	if role != "SLAVE" {
		missing = append(missing, "init_rpl_role = SLAVE")
	}
	if !skip {
		missing = append(missing, "skip_slave_start")
	}
	if len(missing) > 0 {
		return false, "mysqld's configuration lacks " + strings.Join(missing, " and ")
	}
	return true, ""
}

func isTrue(v string) bool {
	switch strings.ToUpper(v) {
	case "1", "ON", "TRUE", "YES":
		return true
	}
	return false
}
