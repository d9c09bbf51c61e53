//go:build integration

package coordinator_test

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

// The coordinator's lab suite: a lab of its own (prefix labPrefix, so
// that it never meets the demo's or another suite's) whose db hosts run
// the mmm-coordinator binary built from this tree.
const labPrefix = "mmmk"

var theLab *lab.Lab

// TestMain builds mmm-coordinator, brings the lab up (which starts the
// coordinators and waits for a leader), runs the tests and always takes
// the lab down: after the tests, on failure, and shortly before `go test
// -timeout` would panic.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "coordinator: the lab tests need root (network namespaces)")
		return 1
	}
	if err := mariadbd.Binaries(); err != nil {
		fmt.Fprintln(os.Stderr, "coordinator:", err, "(make deps installs it)")
		return 1
	}
	bin, err := os.MkdirTemp("", "mmmk-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(bin)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, "mmm-coordinator"), "../cmd/mmm-coordinator")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "coordinator: building mmm-coordinator: %v\n%s", err, out)
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := lab.New(lab.Options{Prefix: labPrefix, BinDir: bin, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := l.Lock(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer l.Unlock()
	down := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := l.Down(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "coordinator: lab down:", err)
			return 1
		}
		if left, err := l.Leftovers(); err != nil || len(left) > 0 {
			fmt.Fprintln(os.Stderr, "coordinator: left behind after Down:", left, err)
			return 1
		}
		return 0
	}
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			guard := time.AfterFunc(d-min(time.Minute, d/5), func() {
				fmt.Fprintln(os.Stderr, "coordinator: the go test timeout is near: tearing the lab down")
				down()
				os.Exit(2)
			})
			defer guard.Stop()
		}
	}
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "coordinator: lab up:", err)
		down()
		return 1
	}
	fmt.Fprintf(os.Stderr, "coordinator: lab %s up in %v\n", labPrefix, time.Since(start).Round(time.Millisecond))
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

// dumpLogs prints the tail of every coordinator's log after a failure.
func dumpLogs(l *lab.Lab) {
	for _, h := range lab.DBHosts() {
		b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, "coordinator.log"))
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		fmt.Fprintf(os.Stderr, "---- %s coordinator.log (tail of %d bytes)\n%s\n", h.Name, len(b), b)
	}
}
