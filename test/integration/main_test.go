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
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// prefix names this package's lab.
const prefix = "mmmn"

// theLab is the one lab of this package run; every test leaves it with
// db1 the writer, holding the writer VIP.
var theLab *lab.Lab

// TestMain brings the lab up with mmm-check and mmm-notify built from this
// tree — without mmm-coordinator the lab starts no coordinator — runs the
// tests and always takes the lab down (lab.RunSuite).
func TestMain(m *testing.M) {
	// Killed sessions are the point of these tests: the driver's own log
	// lines about them are noise.
	_ = mysql.SetLogger(&mysql.NopLogger{})
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "test/integration", Prefix: prefix, Build: []string{"cmd/mmm-check", "cmd/mmm-notify"},
		Require: []string{"keepalived"}, LogLevel: slog.LevelInfo, Setup: setup,
	}, &theLab))
}

// setup checks that keepalived runs and creates the clients' table.
func setup(ctx context.Context, l *lab.Lab) error {
	m, err := l.Manifest()
	if err != nil {
		return err
	}
	if m.Components["keepalived"] != "up" {
		return fmt.Errorf("keepalived is not up in the lab: %v", m.Components)
	}
	w, err := l.Server(lab.Writer)
	if err != nil {
		return err
	}
	return w.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+lab.AppDatabase+".t (id BIGINT AUTO_INCREMENT PRIMARY KEY, "+
		"host VARCHAR(64) NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))")
}

// notifyBin is the mmm-notify keepalived runs.
func notifyBin() string { return filepath.Join(theLab.BinDir(), "mmm-notify") }
