//go:build integration

// Package failover proves issue 7 end to end in the lab: real MariaDB,
// keepalived, mmm-check, mmm-notify and mmm-coordinator (built from this
// tree) in network namespaces, a client on app inserting a sequence
// number through the writer VIP every 10 ms, the seed scenarios injected
// one after the other, and afterwards every acknowledged row looked up on
// the final writer and on every replica. Its lab has the prefix "mmme".
//
// The scenarios share one lab and run in order (each starts from the
// state the previous one left: the writer alternates between db1 and
// db2); a scenario that fails stops the rest.
package failover

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// prefix names this package's lab.
const prefix = "mmme"

var theLab *lab.Lab

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "test/integration/failover: "+format+"\n", args...)
		return 1
	}
	if os.Geteuid() != 0 {
		return fail("the lab needs root (network namespaces); .ci/run runs as root")
	}
	if err := mariadbd.Binaries(); err != nil {
		return fail("%v (make deps installs it)", err)
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		return fail("keepalived is not installed (make deps installs it)")
	}
	// keepalived runs scripts only from paths no one but root can write:
	// MkdirTemp makes the directory 0700.
	bin, err := os.MkdirTemp("", "mmme-bin-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(bin)
	build := exec.Command("go", "build", "-trimpath", "-o", bin+"/",
		"../../../cmd/mmm-check", "../../../cmd/mmm-notify", "../../../cmd/mmm-coordinator")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fail("go build: %v\n%s", err, out)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := lab.New(lab.Options{Prefix: prefix, BinDir: bin, Logger: log})
	if err != nil {
		return fail("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := l.Lock(ctx); err != nil {
		return fail("%v", err)
	}
	defer l.Unlock()
	down := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := l.Down(ctx); err != nil {
			return fail("down: %v", err)
		}
		if left, err := l.Leftovers(); err != nil || len(left) > 0 {
			return fail("left behind after Down: %v %v", left, err)
		}
		return 0
	}
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			guard := time.AfterFunc(d-min(time.Minute, d/5), func() {
				fmt.Fprintln(os.Stderr, "test/integration/failover: the go test timeout is near: tearing the lab down")
				down()
				os.Exit(2)
			})
			defer guard.Stop()
		}
	}
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		down()
		return fail("up: %v", err)
	}
	mf, err := l.Manifest()
	if err != nil || mf.Components["coordinator"] != "up" || mf.Components["keepalived"] != "up" {
		down()
		return fail("the lab runs without coordinators or keepalived: %v %v", mf.Components, err)
	}
	fmt.Fprintf(os.Stderr, "test/integration/failover: lab %s up in %v\n", prefix, time.Since(start).Round(time.Millisecond))
	theLab = l
	code := m.Run()
	if code != 0 {
		dumpLogs(l)
	}
	if down() != 0 && code == 0 {
		code = 1
	}
	return code
}

// dumpLogs prints the tail of every coordinator's log and the lab's
// status after a failure, and keeps the whole logs in a directory under
// the system's temporary directory (named in the output).
func dumpLogs(l *lab.Lab) {
	keep, _ := os.MkdirTemp("", "mmme-logs-")
	for _, h := range lab.DBHosts() {
		for _, name := range []string{"coordinator.log", "keepalived.log"} {
			b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, name))
			if err != nil {
				continue
			}
			if keep != "" {
				_ = os.WriteFile(filepath.Join(keep, h.Name+"-"+name), b, 0o644)
			}
			if name != "coordinator.log" {
				continue
			}
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			fmt.Fprintf(os.Stderr, "--- %s %s (tail) ---\n%s\n", h.Name, name, b)
		}
	}
	if b, err := os.ReadFile(l.NotifyLogPath()); err == nil && keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "mmm-notify.log"), b, 0o644)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if st, err := l.Status(ctx); err == nil {
		fmt.Fprintf(os.Stderr, "--- lab status ---\n%s\n", st)
	}
	if keep != "" {
		fmt.Fprintf(os.Stderr, "test/integration/failover: the whole logs are in %s\n", keep)
	}
}
