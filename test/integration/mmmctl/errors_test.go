//go:build integration

package mmmctl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// oneLine checks that a failed run printed nothing on stdout and one
// "mmmctl: " line containing what on stderr.
func oneLine(t *testing.T, r result, code int, what string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.code != code || r.stdout != "" || len(lines) != 1 || !strings.HasPrefix(lines[0], "mmmctl: ") || !strings.Contains(lines[0], what) {
		t.Errorf("%s\nwant exit %d and one stderr line with %q", r, code, what)
	}
}

// testWrongToken: the TCP API refuses a wrong or missing token: exit 4,
// reads and writes alike, and nothing is changed.
func testWrongToken(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.token")
	if err := os.WriteFile(bad, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "mon", "--api", apiURL("db1"), "--token-file", bad, "show")
	oneLine(t, r, 4, "token")
	t.Logf("wrong token: %s", r)
	oneLine(t, run(t, "mon", "--api", apiURL("db2"), "--token-file", bad, "set_offline", "db3"), 4, "token")
	oneLine(t, run(t, "mon", "--api", apiURL("db2"), "--token-file", filepath.Join(t.TempDir(), "none"), "show"), 4, "none")
	s, _ := leaderSnapshot()
	if st := stateOf(s, "db3"); st != fsm.StateOnline {
		t.Errorf("db3 is %s after a refused set_offline", st)
	}
	want(t, run(t, "mon", "--api", apiURL("db2"), "--token-file", tokenFile(), "ping"), 0, "OK: Pinged successfully!\n")
}

// testUnreachable: a stopped coordinator (its socket file left behind,
// its TCP port closed): exit 3, one line naming where mmmctl tried.
func testUnreachable(t *testing.T) {
	restart, err := theLab.KillDaemon(t.Context(), "db3", "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	defer restart(t.Context())
	sock := filepath.Join(theLab.StateDir(), "db3", "mmm.sock")
	r := ctl(t, "db3", "show")
	oneLine(t, r, 3, sock)
	t.Logf("stopped coordinator, socket: %s", r)
	r = run(t, "mon", "--api", apiURL("db3"), "--token-file", tokenFile(), "set_online", "db3")
	oneLine(t, r, 3, "198.18.0.13:9991")
	t.Logf("stopped coordinator, TCP: %s", r)
	// The other two still form a majority: the same command through db1.
	if r := ctl(t, "db1", "show"); r.code != 0 {
		t.Errorf("db1 with db3's coordinator down: %s", r)
	}
	if err := restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := client("db3").Snapshot(ctx)
		return err == nil && s.Leader != ""
	}) {
		t.Fatal("db3's coordinator does not answer with a leader after its restart")
	}
	want(t, ctl(t, "db3", "ping"), 0, "OK: Pinged successfully!\n")
}
