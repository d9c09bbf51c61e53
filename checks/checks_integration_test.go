//go:build integration

package checks_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

func TestHealthy(t *testing.T) {
	// keepalived's call on db1, and every check of the replica db3.
	mmmCheck(t, "--config", hostConfig("db1"), "--host", "db1").expect(t, 0, 0, "db1 mysql: OK\n")
	mmmCheck(t, "--config", hostConfig("db3"), "mysql", "rep_threads", "rep_backlog").
		expect(t, 0, 0, "db3 mysql: OK\ndb3 rep_threads: OK\ndb3 rep_backlog: OK: Backlog is null\n")
	mmmCheck(t, "--config", hostConfig("db1"), "semisync").expect(t, 0, 0, "db1 semisync: OK: Semisync is on with 2 clients\n")

	// From inside the lab: ICMP to another host, and MySQL over TCP.
	const slack = 500 * time.Millisecond // ip netns exec around the binary
	mmmCheckIn(t, "db1", "--config", hostConfig("db1"), "--host", "db2", "ping").expect(t, 0, slack, "db2 ping: OK\n")
	tcp := derivedConfig(t, "db1", overTCP)
	mmmCheckIn(t, "app", "--config", tcp, "--host", "db2", "mysql", "rep_threads").
		expect(t, 0, slack, "db2 mysql: OK\ndb2 rep_threads: OK\n")
	tcpPing := derivedConfig(t, "db1", func(s string) string { return s + "\n<check ping>\n    ping_method tcp\n</check>\n" })
	mmmCheckIn(t, "app", "--config", tcpPing, "--host", "db3", "ping").expect(t, 0, slack, "db3 ping: OK\n")

	// The coordinator's read_only check: db1 is the writer.
	for host, want := range map[string]bool{"db1": false, "db2": true, "db3": true} {
		_, tgt := target(t, host)
		ro := checks.ReadOnly{Server: checks.NewServer(tgt.MySQLConfig()), Timeout: time.Second, Want: want}
		runCheck(t, ro, checks.StatusOK, "")
		ro.Want = !want
		runCheck(t, ro, checks.StatusFailed, "read_only is ...")
	}
}

func TestMySQLDown(t *testing.T) {
	fault(t)(theLab.StopMySQL(ctxT(t), "db3"))
	o := mmmCheck(t, "--config", hostConfig("db3"))
	sock := "/run/mmm-lab/" + labPrefix + "/db3/mysql/mysqld.sock"
	o.expect(t, 1, 0, "db3 mysql: ERROR: Connect error (host = "+sock+", user = mmm_monitor)! dial unix "+sock,
		"mmm-check: db3: mysql: ERROR: Connect error")
	// The replication checks say UNKNOWN, as MMM's did: exit 0, said so.
	mmmCheck(t, "--config", hostConfig("db3"), "rep_threads").
		expect(t, 0, 0, "db3 rep_threads: UNKNOWN: Connect error", "UNKNOWN is not a failure")
	runCheck(t, check(t, "db3", "rep_backlog"), checks.StatusUnknown, "Connect error (host = "+sock+"...")
	// ping still answers: the host is up.
	mmmCheckIn(t, "db1", "--config", hostConfig("db1"), "--host", "db3", "ping").expect(t, 0, 500*time.Millisecond, "db3 ping: OK")
}

func TestFrozenMySQL(t *testing.T) {
	fault(t)(theLab.FreezeMySQL(ctxT(t), "db3"))
	// Over the socket: connect() succeeds into the backlog, nothing answers.
	mmmCheck(t, "--config", hostConfig("db3")).
		expect(t, 1, 0, "db3 mysql: ERROR: Connect error", "timed out after")
	runCheck(t, check(t, "db3", "mysql"), checks.StatusFailed, "Connect error (host = /run/mmm-lab/...")
	runCheck(t, check(t, "db3", "rep_threads"), checks.StatusUnknown, "Connect error (host = /run/mmm-lab/...")
	// Over TCP from the app host: the kernel completes the handshake.
	tcp := derivedConfig(t, "db3", overTCP)
	mmmCheckIn(t, "app", "--config", tcp, "--host", "db3", "mysql", "rep_backlog").
		expect(t, 1, 500*time.Millisecond, "db3 mysql: ERROR: Connect error (host = 198.18.0.13:3306", "timed out after")
}

func TestSilentListener(t *testing.T) {
	// A listener that accepts and never answers, on 127.0.0.1, run by the
	// real binary (the unit tests cover it in-process).
	port := checkstest.Start(t, checkstest.Options{Silent: true}).Port()
	conf := derivedConfig(t, "db1", func(s string) string {
		s = overTCP(s)
		s = regexp.MustCompile(`ip\s+198\.18\.0\.11\n`).ReplaceAllString(s, "ip 127.0.0.1\n")
		return strings.Replace(s, "<host db1>", fmt.Sprintf("<host db1>\n    mysql_port %d", port), 1)
	})
	mmmCheck(t, "--config", conf).expect(t, 1, 0, "db1 mysql: ERROR: Connect error (host = 127.0.0.1:", "timed out after")
}

func TestReplicationThreadStopped(t *testing.T) {
	for _, tc := range []struct {
		thread lab.Thread
		state  string
	}{
		{lab.ThreadIO, "Slave_IO_Running: No, Slave_SQL_Running: Yes"},
		{lab.ThreadSQL, "Slave_IO_Running: Yes, Slave_SQL_Running: No"},
	} {
		t.Run(tc.thread.String(), func(t *testing.T) {
			fault(t)(theLab.StopReplication(ctxT(t), "db3", tc.thread))
			mmmCheck(t, "--config", hostConfig("db3"), "rep_threads", "rep_backlog").expect(t, 1, 0,
				"db3 rep_threads: ERROR: Replication is broken\ndb3 rep_backlog: ERROR: Backlog is unknown: replication is stopped ("+tc.state+")\n",
				"mmm-check: db3: rep_threads: ERROR: Replication is broken; rep_backlog: ERROR: Backlog is unknown")
			mmmCheck(t, "--config", hostConfig("db3")).expect(t, 0, 0, "db3 mysql: OK")
		})
	}
}

func TestBacklogTooBig(t *testing.T) {
	// The lab's max_backlog is 10 s. Delay db3 by 40 s and write on db1:
	// Seconds_Behind_Master climbs from that write.
	fault(t)(theLab.DelayReplication(ctxT(t), "db3", 40*time.Second))
	db1, err := theLab.Server("db1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db1.Exec(ctxT(t), "CREATE TABLE IF NOT EXISTS app.mmmc_lag (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME)",
		"INSERT INTO app.mmmc_lag (at) VALUES (NOW())"); err != nil {
		t.Fatal(err)
	}
	eventually(t, check(t, "db3", "rep_backlog"), checks.StatusFailed, "Backlog is too big", 30*time.Second)
	mmmCheck(t, "--config", hostConfig("db3"), "rep_backlog", "rep_threads").
		expect(t, 1, 0, "db3 rep_backlog: ERROR: Backlog is too big\ndb3 rep_threads: OK\n", "rep_backlog: ERROR: Backlog is too big")
}

func TestWrongPassword(t *testing.T) {
	conf := derivedConfig(t, "db1", func(s string) string {
		return regexp.MustCompile(`monitor_password\s+\S+`).ReplaceAllString(s, "monitor_password wrong")
	})
	mmmCheck(t, "--config", conf).expect(t, 1, 0, "db1 mysql: ERROR: Connect error",
		"user = mmm_monitor)! access denied: Error 1045 (28000): Access denied for user 'mmm_monitor'@'localhost'")
}

func TestTooManyConnections(t *testing.T) {
	s, err := theLab.Server("db3")
	if err != nil {
		t.Fatal(err)
	}
	db, err := s.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the restore below: cleanups run last first
	ctx := ctxT(t)
	var old int
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.max_connections").Scan(&old); err != nil {
		t.Fatal(err)
	}
	// MariaDB's floor is 10. Root sessions fill them (root has one more,
	// for an administrator), then the monitor gets 1040.
	const limit = 10
	if _, err := db.ExecContext(ctx, fmt.Sprintf("SET GLOBAL max_connections = %d", limit)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), fmt.Sprintf("SET GLOBAL max_connections = %d", old)); err != nil {
			t.Errorf("restoring max_connections: %v", err)
		}
	})
	for range limit {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
	}
	// 1040 is MMM's UNKNOWN: not a reason to move the writer, so exit 0.
	mmmCheck(t, "--config", hostConfig("db3")).expect(t, 0, 0, "db3 mysql: UNKNOWN: Too many connections! Error 1040",
		"mysql: UNKNOWN: Too many connections!", "UNKNOWN is not a failure: exit 0")
	runCheck(t, check(t, "db3", "mysql"), checks.StatusUnknown, "Too many connections! Error 1040 (08004): Too many connections...")
}

func TestHostUnreachable(t *testing.T) {
	// db3's eth0 goes down: ICMP gets no answer, and neither does a TCP
	// connect (ping_method tcp): both fail, before the deadline.
	fault(t)(theLab.NetworkDown(ctxT(t), "db3", 0))
	const slack = 500 * time.Millisecond // ip netns exec around the binary
	mmmCheckIn(t, "db1", "--config", hostConfig("db1"), "--host", "db3", "ping").
		expect(t, 1, slack, "db3 ping: ERROR: Could not ping 198.18.0.13\n", "mmm-check: db3: ping: ERROR: Could not ping 198.18.0.13")
	tcpPing := derivedConfig(t, "db1", func(s string) string { return s + "\n<check ping>\n    ping_method tcp\n</check>\n" })
	mmmCheckIn(t, "app", "--config", tcpPing, "--host", "db3", "ping").
		expect(t, 1, slack, "db3 ping: ERROR: Could not ping 198.18.0.13", "ping: ERROR: Could not ping 198.18.0.13")
}
