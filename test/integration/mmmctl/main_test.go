//go:build integration

// Package mmmctl proves mmmctl in the lab: the real mmmctl binary, built
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
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// prefix names this package's lab.
const prefix = "mmmm"

var theLab *lab.Lab

func TestMain(m *testing.M) {
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "test/integration/mmmctl", Prefix: prefix,
		Build:   []string{"cmd/mmm-check", "cmd/mmm-notify", "cmd/mmm-coordinator", "cmd/mmmctl"},
		Require: []string{"keepalived"}, Components: []string{"coordinator", "keepalived"},
		LogLevel: slog.LevelWarn, OnFailure: func(l *lab.Lab) { l.ReportFailure(os.Stderr, "test/integration/mmmctl", 6000) },
	}, &theLab))
}

// mmmctlBin is the binary under test.
func mmmctlBin() string { return filepath.Join(theLab.BinDir(), "mmmctl") }
