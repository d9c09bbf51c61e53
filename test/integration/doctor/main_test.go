//go:build integration

// Package doctor proves `mmmctl doctor` in the lab, prefix "mmmd": the
// real mmmctl binary, run in db1's namespace with db1's configuration,
// finds nothing wrong with the lab as it comes up, and names each of a
// series of broken settings (a missing grant, a short semisync timeout on
// the writer, a writable non-writer, replication stopped, an unsafe
// binlog_format, gtid_strict_mode off, an edited keepalived.conf),
// injected one at a time and undone, with exit 9.
//
// The lab runs keepalived with mmm-check and mmm-notify but no
// coordinators: nothing repairs an injected fault behind doctor's back
// (a coordinator would fence a writable passive master, for one). The
// servers' my.cnf sets rpl_semi_sync_master_timeout to what the lab's
// coordinator section needs (lease 1s + fence_timeout 2s + 1s), as an
// operator following doctor's advice would.
package doctor

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// prefix names this package's lab.
const prefix = "mmmd"

// semisyncTimeout is the lab configuration's lease + fence_timeout + 1s.
const semisyncTimeout = 4 * time.Second

var theLab *lab.Lab

func TestMain(m *testing.M) {
	os.Exit(lab.RunSuite(m, lab.Suite{
		Name: "test/integration/doctor", Prefix: prefix,
		Build:   []string{"cmd/mmm-check", "cmd/mmm-notify", "cmd/mmmctl"},
		Require: []string{"keepalived"}, Components: []string{"keepalived"},
		SemisyncTimeout: semisyncTimeout,
		LogLevel:        slog.LevelWarn,
		OnFailure:       func(l *lab.Lab) { l.ReportFailure(os.Stderr, "test/integration/doctor", 6000) },
	}, &theLab))
}

// mmmctlBin is the binary under test.
func mmmctlBin() string { return filepath.Join(theLab.BinDir(), "mmmctl") }
