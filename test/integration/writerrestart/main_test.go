//go:build integration

// Package writerrestart tests, in a lab of its own (prefix "mmmr"), that
// restarting the writer host's coordinator costs a bounded write outage
// and never leaves the cluster without a writable server (issue 6): the
// restarted coordinator keeps the track file closed until it hears a
// leader, keepalived goes FAULT, mmm-notify fences the writer; the leader
// must enable its writes again.
package writerrestart

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

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// prefix names this package's lab.
const prefix = "mmmr"

var theLab *lab.Lab

func TestMain(m *testing.M) {
	flag.Parse()
	// Killed sessions are part of the test: the driver's log is noise.
	_ = mysql.SetLogger(&mysql.NopLogger{})
	os.Exit(runMain(m))
}

// runMain brings the lab up with keepalived, mmm-check, mmm-notify and
// the coordinators built from this tree, runs the tests and always takes
// the lab down.
func runMain(m *testing.M) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "test/integration/writerrestart: "+format+"\n", args...)
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
	bin, err := os.MkdirTemp("", "mmmr-bin-")
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
				fmt.Fprintln(os.Stderr, "test/integration/writerrestart: the go test timeout is near: tearing the lab down")
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
	if err := setup(ctx, l); err != nil {
		down()
		return fail("setup: %v", err)
	}
	fmt.Fprintf(os.Stderr, "test/integration/writerrestart: lab %s up in %v\n", prefix, time.Since(start).Round(time.Millisecond))
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

// setup checks that keepalived and the coordinators run and creates the
// clients' table.
func setup(ctx context.Context, l *lab.Lab) error {
	m, err := l.Manifest()
	if err != nil {
		return err
	}
	if m.Components["keepalived"] != "up" || m.Components["coordinator"] != "up" {
		return fmt.Errorf("the lab runs without keepalived or coordinators: %v", m.Components)
	}
	w, err := l.Server(lab.Writer)
	if err != nil {
		return err
	}
	return w.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+lab.AppDatabase+".t (id BIGINT AUTO_INCREMENT PRIMARY KEY, "+
		"host VARCHAR(64) NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))")
}

// dumpLogs prints the tail of every coordinator's log and of mmm-notify's
// after a failure.
func dumpLogs(l *lab.Lab) {
	paths := []string{l.NotifyLogPath()}
	for _, h := range lab.DBHosts() {
		paths = append(paths, filepath.Join(l.StateDir(), h.Name, "coordinator.log"))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		fmt.Fprintf(os.Stderr, "---- %s (tail of %d bytes)\n%s\n", p, len(b), b)
	}
}
