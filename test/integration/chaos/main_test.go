//go:build integration

// Package chaos runs a short chaos campaign (test/chaos) in the lab: the
// whole stack built from this tree, an application writing through the
// writer VIP all along, a fixed seed's faults one after the other, and
// the campaign's invariants as the test's verdict. Its lab has the
// prefix "mmmy". make chaos runs the long campaign.
package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// prefix names this package's lab.
const prefix = "mmmy"

var theLab *lab.Lab

// TestMain brings the lab up with keepalived, mmm-check, mmm-notify and the
// coordinators built from this tree, runs the campaign and always takes
// the lab down (lab.RunSuite).
func TestMain(m *testing.M) {
	_ = mysql.SetLogger(&mysql.NopLogger{}) // killed connections are the point
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "test/integration/chaos", Prefix: prefix,
		Build:   []string{"cmd/mmm-check", "cmd/mmm-notify", "cmd/mmm-coordinator"},
		Require: []string{"keepalived"}, Components: []string{"coordinator", "keepalived"},
		LogLevel: slog.LevelWarn, OnFailure: keepLogs,
	}, &theLab))
}

// keepLogs copies the daemons' logs to a directory under the system's
// temporary directory before the lab goes down, and names it.
func keepLogs(l *lab.Lab) {
	keep, err := os.MkdirTemp("", prefix+"-logs-")
	if err != nil {
		return
	}
	for _, h := range lab.DBHosts() {
		for _, name := range []string{"coordinator.log", "keepalived.log"} {
			if b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, name)); err == nil {
				_ = os.WriteFile(filepath.Join(keep, h.Name+"-"+name), b, 0o644)
			}
		}
	}
	if b, err := os.ReadFile(l.NotifyLogPath()); err == nil {
		_ = os.WriteFile(filepath.Join(keep, "mmm-notify.log"), b, 0o644)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if st, err := l.Status(ctx); err == nil {
		fmt.Fprintf(os.Stderr, "--- lab status ---\n%s\n", st)
	}
	fmt.Fprintf(os.Stderr, "test/integration/chaos: the daemons' logs are in %s\n", keep)
}
