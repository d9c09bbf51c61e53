//go:build integration

// Package integration tests the suite's processes together in the lab:
// real MariaDB and keepalived in network namespaces, the real binaries.
// Its lab has the prefix "mmmn" (namespaces mmmn-db1 …) and no
// coordinators: these tests play the coordinator's part by hand
// (lab.MoveWriter writes the track files and opens writes), so that they
// see what keepalived, mmm-check and mmm-notify do on their own.
package integration

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
const prefix = "mmmn"

// theLab is the one lab of this package run; every test leaves it with
// db1 the writer, holding the writer VIP.
var (
	theLab *lab.Lab
	binDir string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/integration: the lab needs root (network namespaces); .ci/run runs as root")
		return 1
	}
	if err := mariadbd.Binaries(); err != nil {
		fmt.Fprintln(os.Stderr, "test/integration:", err, "(make deps installs it)")
		return 1
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		fmt.Fprintln(os.Stderr, "test/integration: keepalived is not installed (make deps installs it)")
		return 1
	}
	// Only mmm-check and mmm-notify, built now from this tree: without
	// mmm-coordinator in BinDir the lab starts no coordinator. keepalived
	// runs scripts only from paths no one but root can write (0700 here).
	dir, err := os.MkdirTemp("", "mmmn-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", dir+"/", "../../cmd/mmm-check", "../../cmd/mmm-notify")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "test/integration: go build: %v\n%s", err, out)
		return 1
	}
	binDir = dir
	// Killed sessions are the point of these tests: the driver's own log
	// lines about them are noise.
	_ = mysql.SetLogger(&mysql.NopLogger{})

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l, err := lab.New(lab.Options{Prefix: prefix, BinDir: dir, Logger: log})
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
			fmt.Fprintln(os.Stderr, "test/integration: down:", err)
			return 1
		}
		if left, err := l.Leftovers(); err != nil || len(left) > 0 {
			fmt.Fprintln(os.Stderr, "test/integration: left behind after Down:", left, err)
			return 1
		}
		return 0
	}
	if t := testTimeout(); t > 0 {
		guard := time.AfterFunc(t-min(time.Minute, t/5), func() {
			fmt.Fprintln(os.Stderr, "test/integration: the go test timeout is near: tearing the lab down")
			down()
			os.Exit(2)
		})
		defer guard.Stop()
	}
	if err := l.Up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "test/integration: up:", err)
		down()
		return 1
	}
	m2, err := l.Manifest()
	if err != nil || m2.Components["keepalived"] != "up" {
		fmt.Fprintf(os.Stderr, "test/integration: keepalived is not up in the lab: %v %v\n", m2.Components, err)
		down()
		return 1
	}
	w, err := l.Server(lab.Writer)
	if err == nil {
		err = w.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+lab.AppDatabase+".t (id BIGINT AUTO_INCREMENT PRIMARY KEY, "+
			"host VARCHAR(64) NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/integration: table:", err)
		down()
		return 1
	}
	theLab = l
	code := m.Run()
	if down() != 0 && code == 0 {
		code = 1
	}
	return code
}

// testTimeout is go test's -timeout (0 = none).
func testTimeout() time.Duration {
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil {
			return d
		}
	}
	return 0
}

// notifyBin is the mmm-notify keepalived runs.
func notifyBin() string { return filepath.Join(binDir, "mmm-notify") }
