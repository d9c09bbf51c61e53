//go:build integration

package checks_test

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

// The integration suite of the checks and of mmm-check: one lab of its
// own (prefix labPrefix, so that it never meets the demo's or test/lab's)
// and the mmm-check binary built from this tree.
const labPrefix = "mmmc"

var (
	theLab   *lab.Lab
	checkBin string // the mmm-check binary under test
)

// TestMain brings the lab up, builds mmm-check, runs the tests and always
// takes the lab down: after the tests, on failure, and shortly before
// `go test -timeout` would panic (a panic runs no deferred call).
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "checks: the integration tests need root (network namespaces)")
		return 1
	}
	if err := mariadbd.Binaries(); err != nil {
		fmt.Fprintln(os.Stderr, "checks:", err, "(make deps installs it)")
		return 1
	}
	tmp, err := os.MkdirTemp("", "mmmc-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	checkBin = filepath.Join(tmp, "mmm-check")
	build := exec.Command("go", "build", "-trimpath", "-o", checkBin, "../cmd/mmm-check")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "checks: building mmm-check: %v\n%s", err, out)
		return 1
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := lab.New(lab.Options{Prefix: labPrefix, Logger: log})
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
			fmt.Fprintln(os.Stderr, "checks: lab down:", err)
			return 1
		}
		if left, err := l.Leftovers(); err != nil || len(left) > 0 {
			fmt.Fprintln(os.Stderr, "checks: left behind after Down:", left, err)
			return 1
		}
		return 0
	}
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			guard := time.AfterFunc(d-min(time.Minute, d/5), func() {
				fmt.Fprintln(os.Stderr, "checks: the go test timeout is near: tearing the lab down")
				down()
				os.Exit(2)
			})
			defer guard.Stop()
		}
	}
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "checks: lab up:", err)
		down()
		return 1
	}
	fmt.Fprintf(os.Stderr, "checks: lab %s up in %v\n", labPrefix, time.Since(start).Round(time.Millisecond))
	theLab = l
	code := m.Run()
	if down() != 0 && code == 0 {
		code = 1
	}
	return code
}
