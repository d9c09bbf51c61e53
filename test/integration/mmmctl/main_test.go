//go:build integration

// Package mmmctl proves issue 9 in the lab: the real mmmctl binary, built
// from this tree, against the real coordinators (with keepalived, mmm-check
// and mmm-notify) of a lab of its own, prefix "mmmm". It runs MMM's show,
// set_offline/set_online, move_role and the switchover under a client on
// app inserting through the writer VIP every 10 ms, and checks the replies
// and exit codes of the error paths (ERROR replies, wrong token,
// unreachable coordinator).
//
// The tests share one lab and run in file order; each starts from a
// steady cluster (every host ONLINE, a writer holding the writer VIP) and
// works with whichever master holds the writer role.
package mmmctl

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
const prefix = "mmmm"

var (
	theLab    *lab.Lab
	mmmctlBin string // the binary under test
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "test/integration/mmmctl: "+format+"\n", args...)
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
	bin, err := os.MkdirTemp("", "mmmm-bin-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(bin)
	build := exec.Command("go", "build", "-trimpath", "-o", bin+"/",
		"../../../cmd/mmm-check", "../../../cmd/mmm-notify", "../../../cmd/mmm-coordinator", "../../../cmd/mmmctl")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fail("go build: %v\n%s", err, out)
	}
	mmmctlBin = filepath.Join(bin, "mmmctl")

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
				fmt.Fprintln(os.Stderr, "test/integration/mmmctl: the go test timeout is near: tearing the lab down")
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
	fmt.Fprintf(os.Stderr, "test/integration/mmmctl: lab %s up in %v\n", prefix, time.Since(start).Round(time.Millisecond))
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
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		fmt.Fprintf(os.Stderr, "--- %s coordinator.log (tail) ---\n%s\n", h.Name, b)
	}
}
