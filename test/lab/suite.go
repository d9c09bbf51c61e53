package lab

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// Suite describes an integration suite that runs against one lab of its
// own for the whole package run.
type Suite struct {
	Name   string // for messages, e.g. "checks"
	Prefix string // the lab's prefix: one per suite, so suites never meet
	// Build lists commands of this module (e.g. "cmd/mmm-check") built
	// static into a temporary folder that becomes the lab's BinDir, so the
	// lab runs exactly this tree's binaries; the lab starts keepalived and
	// the coordinators only when their binaries are there.
	Build []string
	// BinDir is used instead when Build is empty ("" = the lab's default).
	BinDir string
	// Bare runs the lab without the project's daemons (an empty BinDir):
	// for tests of the lab itself, whose faults must not meet a
	// coordinator that reacts to them.
	Bare    bool
	Require []string // programs that must be installed, e.g. keepalived
	// Components must be up after Up, e.g. "coordinator", "keepalived":
	// a suite of the whole stack must not run on a lab without it.
	Components []string
	LogLevel   slog.Level
	// Setup runs after the lab is up, before the tests.
	Setup func(ctx context.Context, l *Lab) error
	// OnFailure runs when a test failed, before the lab goes down (to
	// print daemons' logs).
	OnFailure func(l *Lab)
	// SemisyncTimeout goes into the servers' my.cnf (Options).
	SemisyncTimeout time.Duration
}

// RunSuite is an integration package's TestMain body: it brings the lab
// up, runs the tests and always takes the lab down — after the tests, on
// failure, and shortly before `go test -timeout` would panic (a panic runs
// no deferred call; the Makefile's `mmm-lab down` catches a SIGKILL). It
// fails the run when anything of the lab is left behind. *into receives
// the lab while the tests run.
func RunSuite(m *testing.M, s Suite, into **Lab) int {
	flag.Parse()
	if err := s.run(m, into); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 1
	}
	return 0
}

// errTestsFailed marks m.Run's failure, already reported by the tests.
var errTestsFailed = errors.New("tests failed")

func (s Suite) run(m *testing.M, into **Lab) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root (network namespaces); .ci/run runs as root")
	}
	if err := mariadbd.Binaries(); err != nil {
		return fmt.Errorf("%w (make deps installs it)", err)
	}
	for _, p := range s.Require {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%s is not installed (make deps installs it)", p)
		}
	}
	binDir := s.BinDir
	if s.Bare {
		dir, err := os.MkdirTemp("", s.Prefix+"-nobin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		binDir = dir
	}
	if len(s.Build) > 0 {
		dir, err := buildCommands(s.Prefix, s.Build)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		binDir = dir
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: s.LogLevel}))
	l, err := New(Options{Prefix: s.Prefix, BinDir: binDir, Logger: log, SemisyncTimeout: s.SemisyncTimeout})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Another run of the same suite on the machine: wait, never break it.
	if err := l.Lock(ctx); err != nil {
		return err
	}
	defer l.Unlock()
	down := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := l.Down(ctx); err != nil {
			return fmt.Errorf("lab down: %w", err)
		}
		if left, err := l.Leftovers(); err != nil || len(left) > 0 {
			return fmt.Errorf("left behind after down: %v %v", left, err)
		}
		return nil
	}
	if t := testTimeout(); t > 0 {
		guard := time.AfterFunc(t-min(time.Minute, t/5), func() {
			fmt.Fprintf(os.Stderr, "%s: the go test timeout is near: tearing the lab down\n", s.Name)
			if err := down(); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			}
			os.Exit(2)
		})
		defer guard.Stop()
	}
	defer func() { err = errors.Join(err, down()) }()
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		return fmt.Errorf("lab up: %w", err)
	}
	if len(s.Components) > 0 {
		mf, err := l.Manifest()
		if err != nil {
			return err
		}
		for _, c := range s.Components {
			if mf.Components[c] != "up" {
				return fmt.Errorf("the lab runs without %s: %v", c, mf.Components)
			}
		}
	}
	if s.Setup != nil {
		if err := s.Setup(ctx, l); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: lab %s up in %v\n", s.Name, s.Prefix, time.Since(start).Round(time.Millisecond))
	*into = l
	if m.Run() != 0 {
		if s.OnFailure != nil {
			s.OnFailure(l)
		}
		return errTestsFailed
	}
	return nil
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

// buildCommands builds the module's commands static into a new folder
// (0700: keepalived runs scripts only from paths no one else can write).
func buildCommands(prefix string, cmds []string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", prefix+"-bin-")
	if err != nil {
		return "", err
	}
	args := []string{"build", "-trimpath", "-o", dir + "/"}
	for _, c := range cmds {
		args = append(args, "./"+c)
	}
	build := exec.Command("go", args...)
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build %v: %w\n%s", cmds, err, out)
	}
	return dir, nil
}

// moduleRoot is the folder of go.mod, found upwards from the working
// directory (a test runs in its package's folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
