//go:build integration

// Package chaos runs a short chaos campaign (test/chaos) in the lab: the
// whole stack built from this tree, an application writing through the
// writer VIP all along, a fixed seed's faults one after the other, and
// the campaign's invariants as the test's verdict. Its lab has the
// prefix "mmmy". make chaos runs the long campaign.
package chaos

import (
	"log/slog"
	"os"
	"testing"

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
		LogLevel: slog.LevelWarn, OnFailure: func(l *lab.Lab) { l.ReportFailure(os.Stderr, "test/integration/chaos", 6000) },
	}, &theLab))
}
