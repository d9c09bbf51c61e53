//go:build integration

// Package failover proves writer failover end to end in the lab: real
// MariaDB, keepalived, mmm-check, mmm-notify and mmm-coordinator (built from this
// tree) in network namespaces, a client on app inserting a sequence
// number through the writer VIP every 10 ms, the seed scenarios injected
// one after the other, and afterwards every acknowledged row looked up on
// the final writer and on every replica. Its lab has the prefix "mmme".
//
// The scenarios share one lab and run in order (each starts from the
// state the previous one left: the writer alternates between db1 and
// db2); a scenario that fails stops the rest.
package failover

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// prefix names this package's lab.
const prefix = "mmme"

var theLab *lab.Lab

// TestMain brings the lab up with the whole stack built from this tree —
// keepalived, mmm-check, mmm-notify, the coordinators — runs the scenarios
// and always takes the lab down (lab.RunSuite).
func TestMain(m *testing.M) {
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "test/integration/failover", Prefix: prefix,
		Build:   []string{"cmd/mmm-check", "cmd/mmm-notify", "cmd/mmm-coordinator"},
		Require: []string{"keepalived"}, Components: []string{"coordinator", "keepalived"},
		LogLevel: slog.LevelWarn, OnFailure: func(l *lab.Lab) { l.ReportFailure(os.Stderr, "test/integration/failover", 6000) },
		// The seed's users have short semisync timeouts in my.cnf; the
		// coordinator must not depend on a long one (TestCutOffWriter).
		SemisyncTimeout: 500 * time.Millisecond,
	}, &theLab))
}
