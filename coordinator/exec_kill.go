package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// levelFatal is MMM's FATAL (the mains print it as FATAL).
const levelFatal = slog.LevelError + 4

// killHost executes KillHost as MMM's monitor did: it runs
// "<kill_host_bin> <host> <ping 1|0>" once, bounded by the action's
// deadline, and logs MMM's lines. A relative kill_host_bin is under
// <monitor> bin_path/monitor/. Without the binary the action is skipped
// (MMM ran without fencing); a failed run is not retried (MMM did not
// retry; the result never influences role assignment).
type killHost struct {
	bin     string // "" = none configured
	missing string // why bin cannot run ("" = it can)
	log     *slog.Logger
}

func newKillHost(cfg *config.Config, log *slog.Logger) killHost {
	k := killHost{log: log, bin: cfg.Monitor.KillHostBin}
	switch {
	case k.bin == "":
	case !filepath.IsAbs(k.bin) && cfg.Monitor.BinPath == "":
		k.bin = ""
	case !filepath.IsAbs(k.bin):
		k.bin = filepath.Join(cfg.Monitor.BinPath, "monitor", k.bin)
	}
	if k.bin == "" {
		k.missing = "There's no binary configured for killing hosts."
	}
	return k
}

// check reports why the binary cannot run now ("" = it can); it is
// looked at on every use, so installing it later needs no restart.
func (k killHost) check() string {
	if k.missing != "" {
		return k.missing
	}
	fi, err := os.Stat(k.bin)
	switch {
	case err != nil:
		return fmt.Sprintf("No binary found for killing hosts (%s).", k.bin)
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return fmt.Sprintf("Binary for killing hosts (%s) is not executable.", k.bin)
	}
	return ""
}

// Execute runs the kill hook for a KillHost action.
func (k killHost) Execute(ctx context.Context, a fsm.Action) error {
	kh := a.(fsm.KillHost)
	if why := k.check(); why != "" {
		k.log.Log(ctx, levelFatal, fmt.Sprintf("Could not kill host '%s' - there may be some duplicate ips now! (%s)", kh.Host, why),
			"component", "mmm")
		return fmt.Errorf("%w: %s", ErrSkipped, why)
	}
	ping := "0"
	if kh.Ping {
		ping = "1"
	}
	cmd := exec.CommandContext(ctx, k.bin, kh.Host, ping)
	cmd.WaitDelay = time.Second // a child holding the output open must not outlive the deadline
	line := strings.Join(cmd.Args, " ")
	k.log.Info(fmt.Sprintf("Killing host using command '%s'", line), "component", "mmm")
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err == nil {
		if text != "" {
			k.log.Info("Output of kill host command was: "+text, "component", "mmm")
		}
		return nil
	}
	rc := -1
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		rc = ee.ExitCode()
	}
	k.log.Log(ctx, levelFatal, fmt.Sprintf("Could not kill host '%s' - there may be some duplicate ips now! kill_host binary exited with '%d'. Output was: %s",
		kh.Host, rc, text), "component", "mmm")
	return fmt.Errorf("%w: kill host %s: %s: %w (output: %q)", ErrPermanent, kh.Host, line, err, text)
}
