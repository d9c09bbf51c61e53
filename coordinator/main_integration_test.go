//go:build integration

package coordinator_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// The coordinator's lab suite: a lab of its own (prefix labPrefix, so
// that it never meets the demo's or another suite's) whose db hosts run
// the mmm-coordinator binary built from this tree.
const labPrefix = "mmmk"

var theLab *lab.Lab

// TestMain brings the lab up with mmm-coordinator built from this tree
// (the lab starts the coordinators and waits for a leader), runs the tests
// and always takes the lab down (lab.RunSuite).
func TestMain(m *testing.M) {
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "coordinator", Prefix: labPrefix, Build: []string{"cmd/mmm-coordinator"},
		LogLevel: slog.LevelWarn, OnFailure: dumpLogs,
	}, &theLab))
}

// dumpLogs prints the tail of every coordinator's log after a failure.
func dumpLogs(l *lab.Lab) {
	for _, h := range lab.DBHosts() {
		b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, "coordinator.log"))
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		fmt.Fprintf(os.Stderr, "---- %s coordinator.log (tail of %d bytes)\n%s\n", h.Name, len(b), b)
	}
}
