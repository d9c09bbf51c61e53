//go:build integration

// Package writerrestart tests, in a lab of its own (prefix "mmmr"), that
// restarting the writer host's coordinator costs a bounded write outage
// and never leaves the cluster without a writable server: the
// restarted coordinator keeps the track file closed until it hears a
// leader, keepalived goes FAULT, mmm-notify fences the writer; the leader
// must enable its writes again.
package writerrestart

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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
		Require: []string{"keepalived"}, LogLevel: slog.LevelWarn, Setup: setup, OnFailure: func(l *lab.Lab) { l.ReportFailure(os.Stderr, "test/integration/writerrestart", 6000) },
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
