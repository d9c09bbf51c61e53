//go:build integration

package lab

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// MariaDB error numbers the privilege table expects.
const (
	errAccessDenied = 1227 // ER_SPECIFIC_ACCESS_DENIED_ERROR: a privilege is missing
	errReadOnly     = 1290 // ER_OPTION_PREVENTS_STATEMENT: --read-only
)

// TestPrivileges proves the README's privilege table: each account can do what its job
// needs, over TCP from the app host as '198.18.0.%', and is refused what
// it must not do.
func TestPrivileges(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	if _, err := openApp(t, "db1").ExecContext(ctx, "CREATE TABLE IF NOT EXISTS priv (id INT AUTO_INCREMENT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	waitRow(t, "db2", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='priv'", "1")
	// A failed row must not leave db3's replica stopped.
	t.Cleanup(func() { _ = theLab.StartReplication(context.Background(), "db3", ThreadBoth) })

	tests := []struct {
		user  User
		host  string
		what  string
		stmts []string
		want  uint16 // 0: allowed; else the error number
	}{
		{AgentUser, "db3", "fence: read_only (READ_ONLY ADMIN)", []string{"SET GLOBAL read_only=ON"}, 0},
		{AgentUser, "db3", "replica status (SLAVE MONITOR)", []string{"SHOW SLAVE STATUS"}, 0},
		{AgentUser, "db1", "binlog position (BINLOG MONITOR)", []string{"SHOW MASTER STATUS", "SHOW BINARY LOGS"}, 0},
		{AgentUser, "db1", "replicas of a master (REPLICATION MASTER ADMIN)", []string{"SHOW SLAVE HOSTS"}, 0},
		{AgentUser, "db1", "semisync master side (REPLICATION MASTER ADMIN)", []string{
			"SET GLOBAL rpl_semi_sync_master_enabled=ON", "SET GLOBAL rpl_semi_sync_master_timeout=2000"}, 0},
		{AgentUser, "db3", "repoint a replica (REPLICATION SLAVE ADMIN)", []string{
			"STOP SLAVE", "CHANGE MASTER TO MASTER_CONNECT_RETRY=1", "SET GLOBAL gtid_slave_pos=@@gtid_slave_pos",
			"SET GLOBAL rpl_semi_sync_slave_enabled=ON", "START SLAVE"}, 0},
		{AgentUser, "db3", "catch up (no privilege)", []string{"SELECT MASTER_GTID_WAIT(@@gtid_slave_pos, 1)"}, 0},
		{AgentUser, "db3", "no global read lock (no RELOAD)", []string{"FLUSH TABLES WITH READ LOCK"}, errAccessDenied},
		{MonitorUser, "db3", "mysql check", []string{"SELECT NOW()"}, 0},
		{MonitorUser, "db3", "rep_threads and rep_backlog checks (SLAVE MONITOR)", []string{"SHOW SLAVE STATUS"}, 0},
		{MonitorUser, "db3", "cannot fence", []string{"SET GLOBAL read_only=ON"}, errAccessDenied},
		{MonitorUser, "db3", "cannot stop replication", []string{"STOP SLAVE"}, errAccessDenied},
		{MonitorUser, "db1", "no binlog status", []string{"SHOW MASTER STATUS"}, errAccessDenied},
		{AppUser, "db1", "writes on the writer", []string{"INSERT INTO app.priv VALUES ()"}, 0},
		{AppUser, "db2", "read_only stops it (no READ_ONLY ADMIN)", []string{"INSERT INTO app.priv VALUES ()"}, errReadOnly},
		{AppUser, "db1", "cannot open or fence", []string{"SET GLOBAL read_only=OFF"}, errAccessDenied},
		{AppUser, "db1", "no replication status", []string{"SHOW SLAVE STATUS"}, errAccessDenied},
		{ReplUser, "db1", "connects", []string{"SELECT 1"}, 0},
		{ReplUser, "db1", "nothing but replication", []string{"SHOW SLAVE STATUS"}, errAccessDenied},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s on %s: %s", tt.user.Name, tt.host, tt.what), func(t *testing.T) {
			err := execAs(ctx, tt.user, tt.host, tt.stmts...)
			switch {
			case tt.want == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != 0 && mysqlErrno(err) != tt.want:
				t.Fatalf("got %v, want error %d", err, tt.want)
			}
		})
	}

	// PROCESS shows other accounts' sessions, CONNECTION ADMIN kills them.
	app := openApp(t, "db3")
	conn, err := app.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	agent, err := theLab.OpenFrom("app", hostAddr(t, "db3"), AgentUser, "")
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	var n int
	if err := agent.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("agent sees app's session: %d, %v (PROCESS)", n, err)
	}
	if _, err := agent.ExecContext(ctx, fmt.Sprintf("KILL %d", id)); err != nil {
		t.Fatalf("agent kills app's session: %v (CONNECTION ADMIN)", err)
	}
	if err := conn.PingContext(ctx); err == nil {
		t.Fatal("app's session survived KILL")
	}
	waitHealthy(t)
}

// execAs runs statements in order on one connection as u, over TCP from
// the app host.
func execAs(ctx context.Context, u User, host string, stmts ...string) error {
	h, err := LookupHost(host)
	if err != nil {
		return err
	}
	db, err := theLab.OpenFrom("app", h.Addr, u, "")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range stmts {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		rows.Close()
	}
	return nil
}
