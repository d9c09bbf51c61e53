package dbctl_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// The package's integration tests share one primary and one replica,
// started by TestMain and killed when it ends. Tests leave them as they
// found them: the replica replicating from the primary by GTID, both
// writable, semisync off. Nothing is ever written on the replica: with
// gtid_strict_mode an errant write there breaks replication (1950).
var (
	primary, replica *mariadbd.Server
	P, R             *dbctl.Server // root over the socket
	// unavailable says why the servers are missing: a skip when MariaDB or
	// root is missing, a failure when they did not start.
	unavailable string
	setupFailed bool
)

const (
	replUser = "repl"
	replPass = "repl-Pw'1\\"
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	switch {
	case mariadbd.Binaries() != nil:
		unavailable = fmt.Sprintf("needs MariaDB (.ci/run installs it): %v", mariadbd.Binaries())
		return m.Run()
	case os.Geteuid() != 0:
		unavailable = "needs root: the test servers run mariadbd --user=root"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "dbctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer stopServers()
	if err := startServers(dir); err != nil {
		unavailable, setupFailed = "test servers did not start: "+err.Error(), true
	}
	return m.Run()
}

func startServers(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// setpriv --pdeathsig: the servers die with the test binary even when
	// it panics (a test timeout) and TestMain's cleanup never runs.
	var wrap []string
	if p, err := exec.LookPath("setpriv"); err == nil {
		wrap = []string{p, "--pdeathsig", "KILL", "--"}
	}
	var wg sync.WaitGroup
	servers := make([]*mariadbd.Server, 2)
	errs := make([]error, 2)
	for i, name := range []string{"primary", "replica"} {
		port, err := mariadbd.FreePort()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = mariadbd.Start(ctx, mariadbd.Options{
				Dir: dir + "/" + name, Name: name, BindAddress: "127.0.0.1", Port: port,
				ServerID: i + 1, Wrap: wrap, Extra: []string{"slave_net_timeout=10"},
			})
		}()
	}
	wg.Wait()
	primary, replica = servers[0], servers[1]
	if err := errors.Join(errs...); err != nil {
		return err
	}
	err := primary.Exec(ctx,
		"CREATE USER '"+replUser+"'@'127.0.0.1' IDENTIFIED BY 'x'",
		"GRANT REPLICATION SLAVE ON *.* TO '"+replUser+"'@'127.0.0.1'",
		"CREATE DATABASE t",
		"CREATE TABLE t.x (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")
	if err != nil {
		return err
	}
	// The password has a quote and a backslash: hash it by placeholder
	// (the hash is hex) so that ChangeSource's quoting is what the test
	// checks.
	if err := setPassword(ctx, primary, replUser, replPass); err != nil {
		return err
	}
	if P, err = dbctl.Open(ctx, primary.Config("")); err != nil {
		return err
	}
	if R, err = dbctl.Open(ctx, replica.Config("")); err != nil {
		return err
	}
	return startReplication(ctx)
}

func stopServers() {
	for _, s := range []*dbctl.Server{P, R} {
		if s != nil {
			s.Close()
		}
	}
	for _, s := range []*mariadbd.Server{primary, replica} {
		if s != nil {
			if err := s.Kill(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
	}
}

// needServers skips or fails a test that needs the servers.
func needServers(t *testing.T) context.Context {
	t.Helper()
	if setupFailed {
		t.Fatal(unavailable)
	}
	if unavailable != "" {
		t.Skip(unavailable)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// gtidSource is the replica's normal source: the primary, by GTID.
func gtidSource() dbctl.Source {
	return dbctl.Source{Host: "127.0.0.1", Port: primary.Port, User: replUser, Password: replPass,
		ConnectRetry: time.Second, HeartbeatPeriod: 500 * time.Millisecond, AutoPosition: true}
}

// startReplication (re)points the replica at the primary by GTID and
// waits until it has caught up.
func startReplication(ctx context.Context) error {
	if err := R.StopReplication(ctx, dbctl.BothThreads); err != nil && !errors.Is(err, dbctl.ErrNotReplica) {
		return err
	}
	if err := R.ChangeSource(ctx, gtidSource()); err != nil {
		return err
	}
	if err := R.StartReplication(ctx, dbctl.BothThreads); err != nil {
		return err
	}
	return caughtUp(ctx)
}

// caughtUp waits until the replica has applied all of the primary's binlog.
func caughtUp(ctx context.Context) error {
	bs, err := P.BinlogStatus(ctx)
	if err != nil {
		return err
	}
	return R.WaitForGTID(ctx, bs.GTID, 10*time.Second)
}

// replicating is the per-test form of startReplication: it restores the
// replica if a test left it otherwise.
func replicating(t *testing.T, ctx context.Context) {
	t.Helper()
	rs, err := R.ReplicaStatus(ctx)
	if err == nil && rs.Running() && rs.AutoPosition && rs.SourcePort == primary.Port {
		err = caughtUp(ctx)
	} else {
		err = startReplication(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// insert writes a row on the primary and returns the primary's binlog
// status after it.
func insert(t *testing.T, ctx context.Context, v string) dbctl.BinlogStatus {
	t.Helper()
	if err := execOn(ctx, primary, "INSERT INTO t.x (v) VALUES (?)", v); err != nil {
		t.Fatal(err)
	}
	bs, err := P.BinlogStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// rowsOn counts the rows with value v on a server.
func rowsOn(t *testing.T, ctx context.Context, s *mariadbd.Server, v string) int {
	t.Helper()
	db, err := s.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM t.x WHERE v = ?", v).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func setPassword(ctx context.Context, s *mariadbd.Server, user, pass string) error {
	db, err := s.Open("")
	if err != nil {
		return err
	}
	defer db.Close()
	var hash string
	if err := db.QueryRowContext(ctx, "SELECT PASSWORD(?)", pass).Scan(&hash); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "ALTER USER '"+user+"'@'127.0.0.1' IDENTIFIED BY PASSWORD '"+hash+"'")
	return err
}

func execOn(ctx context.Context, s *mariadbd.Server, q string, args ...any) error {
	db, err := s.Open("")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, q, args...)
	return err
}

// eventually polls cond every 20 ms until it holds or ctx's deadline (at
// most d) passes, then fails with cond's last description.
func eventually(t *testing.T, ctx context.Context, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		ok, desc := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not within %v: %s", d, desc)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tcpConfig is a driver configuration for an account over 127.0.0.1.
func tcpConfig(s *mariadbd.Server, user, pass string) *mysql.Config {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = user, pass, "tcp", "127.0.0.1:"+strconv.Itoa(s.Port)
	c.Timeout = 2 * time.Second
	return c
}

// openTCP opens a plain pool for an account, closed with the test.
func openTCP(t *testing.T, s *mariadbd.Server, user, pass string) *sql.DB {
	t.Helper()
	conn, err := mysql.NewConnector(tcpConfig(s, user, pass))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}
