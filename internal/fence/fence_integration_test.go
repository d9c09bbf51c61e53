//go:build integration

package fence_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// TestTwoFencesAtOnce: mmm-notify and the coordinator fence the same
// server at the same moment (a switchover) and kill each other's
// sessions. Both must end verified, with every application session
// gone, in every trial; durations and retried statements are logged
// (speed is not asserted).
func TestTwoFencesAtOnce(t *testing.T) {
	switch {
	case mariadbd.Binaries() != nil:
		t.Skipf("needs MariaDB: %v", mariadbd.Binaries())
	case os.Geteuid() != 0:
		t.Skip("needs root: the test server runs mariadbd --user=root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	port, err := mariadbd.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var wrap []string // the server dies with the test binary
	if p, err := exec.LookPath("setpriv"); err == nil {
		wrap = []string{p, "--pdeathsig", "KILL", "--"}
	}
	srv, err := mariadbd.Start(ctx, mariadbd.Options{Dir: t.TempDir() + "/fence", Name: "fence",
		BindAddress: "127.0.0.1", Port: port, ServerID: 1, Wrap: wrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Kill() })
	cfg := srv.Config("")
	cfg.Logger = &mysql.NopLogger{} // killed sessions are the point here
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := sql.OpenDB(conn)
	defer root.Close()

	const trials = 30
	var lost, failed int
	var slowest time.Duration
	for trial := range trials {
		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 0"); err != nil {
			t.Fatal(err)
		}
		apps := make([]*sql.Conn, 5)
		for i := range apps {
			if apps[i], err = root.Conn(ctx); err != nil {
				t.Fatal(err)
			}
			if err := apps[i].PingContext(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Each fencer has its own pool, as mmm-notify and the
		// coordinator do, opened before the fence starts.
		var fencers [2]*dbctl.Server
		for i := range fencers {
			if fencers[i], err = dbctl.Open(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var res [2]fence.Result
		var errs [2]error
		for i := range fencers {
			wg.Go(func() {
				fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				res[i], errs[i] = fence.Fence(fctx, fencers[i], fence.Options{MaxKillRetries: 10})
			})
		}
		wg.Wait()
		for i := range fencers {
			lost += res[i].Lost
			slowest = max(slowest, res[i].Took)
			if errs[i] != nil {
				failed++
				t.Errorf("trial %d, fence %d: %v (%s)", trial, i, errs[i], res[i])
			}
			fencers[i].Close()
		}
		for i, c := range apps {
			if err := c.PingContext(ctx); err == nil {
				t.Errorf("trial %d: application session %d survived both fences", trial, i)
			}
			c.Close()
		}
	}
	t.Logf("%d trials of two fences at once: %d failed, %d statements retried after their connection was killed, slowest fence %v",
		trials, failed, lost, slowest.Round(time.Millisecond))
}
