//go:build integration

// Package failover proves issue 7 end to end in the lab: real MariaDB,
// keepalived, mmm-check, mmm-notify and mmm-coordinator (built from this
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
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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
		LogLevel: slog.LevelWarn, OnFailure: dumpLogs,
		// The seed's users have short semisync timeouts in my.cnf; the
		// coordinator must not depend on a long one (TestCutOffWriter).
		SemisyncTimeout: 500 * time.Millisecond,
	}, &theLab))
}

// dumpLogs prints the tail of every coordinator's log and the lab's
// status after a failure, and keeps the whole logs in a directory under
// the system's temporary directory (named in the output).
func dumpLogs(l *lab.Lab) {
	keep, _ := os.MkdirTemp("", "mmme-logs-")
	for _, h := range lab.DBHosts() {
		for _, name := range []string{"coordinator.log", "keepalived.log"} {
			b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, name))
			if err != nil {
				continue
			}
			if keep != "" {
				_ = os.WriteFile(filepath.Join(keep, h.Name+"-"+name), b, 0o644)
			}
			if name != "coordinator.log" {
				continue
			}
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			fmt.Fprintf(os.Stderr, "--- %s %s (tail) ---\n%s\n", h.Name, name, b)
		}
	}
	if b, err := os.ReadFile(l.NotifyLogPath()); err == nil && keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "mmm-notify.log"), b, 0o644)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if st, err := l.Status(ctx); err == nil {
		fmt.Fprintf(os.Stderr, "--- lab status ---\n%s\n", st)
	}
	if keep != "" {
		fmt.Fprintf(os.Stderr, "test/integration/failover: the whole logs are in %s\n", keep)
	}
}
