//go:build integration

package checks_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// The integration suite of the checks and of mmm-check: one lab of its
// own (prefix labPrefix, so that it never meets the demo's or test/lab's)
// and the mmm-check binary built from this tree.
const labPrefix = "mmmc"

var theLab *lab.Lab

// TestMain brings the lab up with mmm-check built from this tree, runs the
// tests and always takes the lab down (lab.RunSuite).
func TestMain(m *testing.M) {
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "checks", Prefix: labPrefix, Build: []string{"cmd/mmm-check"}, LogLevel: slog.LevelWarn,
	}, &theLab))
}

// checkBin is the mmm-check binary under test.
func checkBin() string { return filepath.Join(theLab.BinDir(), "mmm-check") }
