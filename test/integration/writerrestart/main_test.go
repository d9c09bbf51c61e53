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
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// prefix names this package's lab.
const prefix = "mmmr"

var theLab *lab.Lab

// TestMain brings the lab up with keepalived, mmm-check, mmm-notify and
// the coordinators built from this tree, runs the tests and always takes
// the lab down (lab.RunSuite).
func TestMain(m *testing.M) {
	// Killed sessions are part of the test: the driver's log is noise.
	_ = mysql.SetLogger(&mysql.NopLogger{})
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "test/integration/writerrestart", Prefix: prefix,
		Build:   []string{"cmd/mmm-check", "cmd/mmm-notify", "cmd/mmm-coordinator"},
		Require: []string{"keepalived"}, LogLevel: slog.LevelWarn, Setup: setup, OnFailure: dumpLogs,
	}, &theLab))
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
