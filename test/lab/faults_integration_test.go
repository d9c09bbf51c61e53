//go:build integration

package lab

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// reverse takes a fault's result, fails the test on error and registers
// the undo as a cleanup too, so that a failing assertion never leaves the
// fault in place for the next test.
func reverse(t *testing.T) func(Undo, error) Undo {
	return func(undo Undo, err error) Undo {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = undo(context.Background()) })
		return undo
	}
}

// mustConnect and mustNotConnect open one connection as app from the app
// host.
func mustConnect(t *testing.T, host string) {
	t.Helper()
	if err := connect(testCtx(t, 10*time.Second), "app", hostAddr(t, host), AppUser); err != nil {
		t.Fatalf("app cannot reach %s: %v", host, err)
	}
}

func mustNotConnect(t *testing.T, host string, d time.Duration) error {
	t.Helper()
	err := connect(testCtx(t, d), "app", hostAddr(t, host), AppUser)
	if err == nil {
		t.Fatalf("app reached %s", host)
	}
	return err
}

// isTimeout: the peer stayed silent (as opposed to refusing).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func TestMySQLStop(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	mustConnect(t, "db2")
	undo := reverse(t)(theLab.StopMySQL(ctx, "db2"))
	if err := mustNotConnect(t, "db2", 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("stopped mysqld: %v, want connection refused", err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, "db2")
	// A master starts with skip_slave_start: its coordinator starts its
	// replication after the rejoin's checks; this lab runs none.
	if err := theLab.StartReplication(ctx, "db2", ThreadBoth); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t)
}

// TestMySQLKill kills the writer: connections are refused, the replicas'
// IO threads leave Yes; started again it comes back read-only, and the
// test reopens it as the lab's writer and starts its replication.
func TestMySQLKill(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	mustConnect(t, "db1")
	undo := reverse(t)(theLab.KillMySQL(ctx, "db1"))
	t.Cleanup(func() { _ = theLab.servers["db1"].Exec(context.Background(), "SET GLOBAL read_only=OFF") })
	if err := mustNotConnect(t, "db1", 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("killed mysqld: %v, want connection refused", err)
	}
	for _, h := range []string{"db2", "db3"} {
		r := rootOn(t, h)
		if err := poll(ctx, 15*time.Second, func() (bool, error) {
			return replicaStatus(t, r)["Slave_IO_Running"] != "Yes", nil
		}); err != nil {
			t.Errorf("%s: IO thread still Yes after the master died", h)
		}
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, "db1")
	if ro, _ := rootOn(t, "db1").queryString(ctx, "SELECT @@read_only"); ro != "1" {
		t.Errorf("db1 came back with read_only=%s, want 1", ro)
	}
	if err := theLab.servers["db1"].Exec(ctx, "SET GLOBAL read_only=OFF"); err != nil {
		t.Fatal(err)
	}
	// skip_slave_start, as in TestMySQLStop.
	if err := theLab.StartReplication(ctx, "db1", ThreadBoth); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t)
	if err := theLab.waitSemisyncClients(ctx, 2); err != nil {
		t.Fatalf("semisync clients after restart: %v", err)
	}
}

// TestMySQLFreeze: a frozen mysqld makes connections hang (time out), not
// fail; thawed it answers again.
func TestMySQLFreeze(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	undo := reverse(t)(theLab.FreezeMySQL(ctx, "db2"))
	if err := mustNotConnect(t, "db2", 2*time.Second); !isTimeout(err) {
		t.Errorf("frozen mysqld: %v, want a timeout", err)
	}
	st, err := theLab.Status(ctx)
	if err != nil || st.Hosts[1].MySQL != "frozen" {
		t.Errorf("status says %q, %v; want frozen", st.Hosts[1].MySQL, err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, "db2")
	// A master starts with skip_slave_start: its coordinator starts its
	// replication after the rejoin's checks; this lab runs none.
	if err := theLab.StartReplication(ctx, "db2", ThreadBoth); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t)
}

// TestHostDeath: no process is left in the namespace, the host is
// silent; revived, mysqld and the lab's daemons there run again.
func TestHostDeath(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	probe := Daemon{Name: "probe", Host: "db3", Argv: []string{"sleep", "3600"}}
	if err := theLab.StartDaemon(ctx, probe); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = theLab.killDaemon(context.Background(), probe) })
	undo := reverse(t)(theLab.KillHost(ctx, "db3"))
	if pids, err := NamespaceProcesses(theLab.Namespace("db3")); err != nil || len(pids) > 0 {
		t.Fatalf("processes left in db3: %v, %v", pids, err)
	}
	if running, _ := theLab.DaemonRunning("db3", "probe"); running {
		t.Error("daemon survived host death")
	}
	if err := mustNotConnect(t, "db3", 2*time.Second); errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dead host refused (sent a RST): %v", err)
	}
	if st, err := theLab.Status(ctx); err != nil || st.Hosts[2].Link != "unplugged" {
		t.Errorf("status: %v", err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, "db3")
	if running, _ := theLab.DaemonRunning("db3", "probe"); !running {
		t.Error("daemon not restarted on revival")
	}
	waitHealthy(t)
}

// TestNetworkDown: with eth0 down the host is unreachable and reaches
// nobody; after the given time it is back by itself.
func TestNetworkDown(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	reverse(t)(theLab.NetworkDown(ctx, "db2", 3*time.Second))
	mustNotConnect(t, "db2", time.Second)
	if err := dial(testCtx(t, time.Second), "db2", hostAddr(t, "db1")); !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("db2 -> db1 with eth0 down: %v, want network unreachable", err)
	}
	if err := poll(ctx, 20*time.Second, func() (bool, error) {
		return connect(testCtx(t, time.Second), "app", hostAddr(t, "db2"), AppUser) == nil, nil
	}); err != nil {
		t.Fatal("db2 not reachable again after 3 s down")
	}
	waitHealthy(t)
}

// TestPartition: db1 and db2 lose each other silently; both still reach
// db3, app reaches both.
func TestPartition(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	undo := reverse(t)(theLab.Partition(ctx, "db1", "db2"))
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"db1", "db2", false}, {"db2", "db1", false},
		{"db1", "db3", true}, {"db2", "db3", true}, {"app", "db1", true}, {"app", "db2", true},
	} {
		err := dial(testCtx(t, time.Second), c.from, hostAddr(t, c.to))
		switch {
		case c.ok && err != nil:
			t.Errorf("%s -> %s: %v", c.from, c.to, err)
		case !c.ok && !isTimeout(err):
			t.Errorf("%s -> %s: %v, want a silent drop (timeout)", c.from, c.to, err)
		}
	}
	if got, err := theLab.Partitioned(); err != nil || !slices.Equal(got, []string{"db1", "db2"}) {
		t.Errorf("Partitioned = %v, %v", got, err)
	}
	if _, err := theLab.Partition(ctx, "db1", "db3"); !errors.Is(err, ErrPartition) {
		t.Errorf("second partition: %v, want ErrPartition", err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := dial(testCtx(t, 2*time.Second), "db1", hostAddr(t, "db2")); err != nil {
		t.Errorf("db1 -> db2 after heal: %v", err)
	}
	waitHealthy(t)
}

func TestReplicationThreadStopped(t *testing.T) {
	for _, tt := range []struct {
		thread  Thread
		io, sql string
	}{
		{ThreadIO, "No", "Yes"},
		{ThreadSQL, "Yes", "No"},
		{ThreadBoth, "No", "No"},
	} {
		t.Run(tt.thread.String(), func(t *testing.T) {
			ctx := testCtx(t, time.Minute)
			undo := reverse(t)(theLab.StopReplication(ctx, "db3", tt.thread))
			st := replicaStatus(t, rootOn(t, "db3"))
			if st["Slave_IO_Running"] != tt.io || st["Slave_SQL_Running"] != tt.sql {
				t.Errorf("io %s sql %s, want %s %s", st["Slave_IO_Running"], st["Slave_SQL_Running"], tt.io, tt.sql)
			}
			if err := undo(ctx); err != nil {
				t.Fatal(err)
			}
			waitHealthy(t)
		})
	}
}

// TestReplicationDelay: with MASTER_DELAY the replica's
// Seconds_Behind_Master climbs past a threshold and the row waits;
// undelayed, it arrives at once.
func TestReplicationDelay(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	const threshold = 3 // seconds; the lab's max_backlog is 10
	undo := reverse(t)(theLab.DelayReplication(ctx, "db3", 60*time.Second))
	app := openApp(t, "db1")
	if _, err := app.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS lagging (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	db3 := rootOn(t, "db3")
	var behind int
	if err := poll(ctx, 20*time.Second, func() (bool, error) {
		behind, _ = strconv.Atoi(replicaStatus(t, db3)["Seconds_Behind_Master"])
		return behind > threshold, nil
	}); err != nil {
		t.Fatalf("Seconds_Behind_Master = %d, want > %d", behind, threshold)
	}
	n, err := db3.queryString(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='lagging'")
	if err != nil || n != "0" {
		t.Errorf("lagging table already on db3: %s, %v", n, err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	waitRow(t, "db3", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='lagging'", "1")
	if st := replicaStatus(t, db3); st["SQL_Delay"] != "0" {
		t.Errorf("SQL_Delay = %s after undo", st["SQL_Delay"])
	}
	waitHealthy(t)
}

// TestDaemonKill: a lab daemon dies by its pid file and starts again with
// the same command.
func TestDaemonKill(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	d := Daemon{Name: "probe", Host: "mon", Argv: []string{"sleep", "3600"}}
	if err := theLab.StartDaemon(ctx, d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = theLab.killDaemon(context.Background(), d) })
	before := theLab.daemonPids(d)
	if len(before) != 1 {
		t.Fatalf("pids %v", before)
	}
	undo := reverse(t)(theLab.KillDaemon(ctx, "mon", "probe"))
	if running, err := theLab.DaemonRunning("mon", "probe"); err != nil || running {
		t.Fatalf("running after kill: %v, %v", running, err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	after := theLab.daemonPids(d)
	if len(after) != 1 || after[0] == before[0] {
		t.Fatalf("pids after restart %v (before %v)", after, before)
	}
	if _, err := theLab.KillDaemon(ctx, "mon", "nothing"); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("unknown daemon: %v", err)
	}
}
