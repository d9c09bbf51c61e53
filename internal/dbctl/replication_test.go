package dbctl_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

func TestReplicationByGTID(t *testing.T) {
	ctx := needServers(t)
	if err := R.StopReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replicating(t, context.Background()) })
	if err := R.ChangeSource(ctx, gtidSource()); err != nil {
		t.Fatal(err)
	}
	if err := R.StartReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	bs := insert(t, ctx, "gtid")
	if err := R.WaitForGTID(ctx, bs.GTID, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := rowsOn(t, ctx, replica, "gtid"); n != 1 {
		t.Fatalf("replica has %d rows 'gtid', want 1", n)
	}
	// The SQL thread records the GTID at commit and moves
	// Exec_Master_Log_Pos a moment later: poll (bounded) until the
	// position has caught up, then compare everything.
	var rs *dbctl.ReplicaStatus
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		if rs, err = R.ReplicaStatus(ctx); err != nil {
			t.Fatal(err)
		}
		if rs.ExecSourceLogPos >= bs.Position || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := dbctl.ReplicaStatus{
		IO: dbctl.ThreadRunning, SQL: dbctl.ThreadRunning,
		SecondsBehind: sql.NullInt64{Int64: 0, Valid: true},
		SourceHost:    "127.0.0.1", SourcePort: primary.Port, SourceUser: replUser, SourceServerID: 1,
		SourceLogFile: bs.File, ReadSourceLogPos: bs.Position,
		RelaySourceLogFile: bs.File, ExecSourceLogPos: bs.Position,
		UsingGTID: "Slave_Pos", AutoPosition: true,
		RetrievedGTID: bs.GTID, ExecutedGTID: bs.GTID,
	}
	rs.IOState, rs.SQLState = "", "" // free text
	if *rs != want {
		t.Errorf("ReplicaStatus:\n got %+v\nwant %+v", *rs, want)
	}
	if err := R.ChangeSource(ctx, gtidSource()); !errors.Is(err, dbctl.ErrReplicaRunning) {
		t.Errorf("ChangeSource on a running replica = %v, want ErrReplicaRunning", err)
	}
}

func TestReplicationByFilePosition(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() { replicating(t, context.Background()) })
	if err := R.StopReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	at, err := P.BinlogStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src := gtidSource()
	src.AutoPosition, src.LogFile, src.LogPos = false, at.File, at.Position
	if err := R.ChangeSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := R.StartReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	bs := insert(t, ctx, "filepos")
	if err := R.WaitForPosition(ctx, bs.File, bs.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := rowsOn(t, ctx, replica, "filepos"); n != 1 {
		t.Fatalf("replica has %d rows 'filepos', want 1", n)
	}
	rs, err := R.ReplicaStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rs.UsingGTID != "No" || rs.AutoPosition || rs.ExecSourceLogPos != bs.Position || rs.RelaySourceLogFile != bs.File {
		t.Errorf("ReplicaStatus = %+v", rs)
	}
	if err := R.WaitForPosition(ctx, bs.File, bs.Position+1_000_000, time.Second); !errors.Is(err, dbctl.ErrWaitTimeout) {
		t.Errorf("WaitForPosition beyond the end = %v, want ErrWaitTimeout", err)
	}
	// MariaDB keeps gtid_slave_pos up to date without GTID positioning, so
	// switching back to GTID resumes exactly (Cleanup, then a new row).
	replicating(t, ctx)
	bs = insert(t, ctx, "back-to-gtid")
	if err := R.WaitForGTID(ctx, bs.GTID, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := rowsOn(t, ctx, replica, "filepos"); n != 1 {
		t.Fatalf("after switching back: %d rows 'filepos', want 1", n)
	}
}

func TestStopOneThread(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() { replicating(t, context.Background()) })
	status := func() *dbctl.ReplicaStatus {
		rs, err := R.ReplicaStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	if err := R.StopReplication(ctx, dbctl.IOThread); err != nil {
		t.Fatal(err)
	}
	if rs := status(); rs.IO != dbctl.ThreadStopped || rs.SQL != dbctl.ThreadRunning || rs.SecondsBehind.Valid {
		t.Errorf("after stopping IO: IO %s, SQL %s, behind %v", rs.IO, rs.SQL, rs.SecondsBehind)
	}
	if err := R.StartReplication(ctx, dbctl.IOThread); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 10*time.Second, func() (bool, string) {
		rs := status()
		return rs.Running(), fmt.Sprintf("IO %s, SQL %s", rs.IO, rs.SQL)
	})

	if err := R.StopReplication(ctx, dbctl.SQLThread); err != nil {
		t.Fatal(err)
	}
	bs := insert(t, ctx, "sql-stopped")
	eventually(t, ctx, 10*time.Second, func() (bool, string) { // received, not applied
		rs := status()
		return rs.RetrievedGTID == bs.GTID, "received " + rs.RetrievedGTID
	})
	rs := status()
	if rs.IO != dbctl.ThreadRunning || rs.SQL != dbctl.ThreadStopped || rs.ExecutedGTID == bs.GTID {
		t.Errorf("after stopping SQL: IO %s, SQL %s, executed %s", rs.IO, rs.SQL, rs.ExecutedGTID)
	}
	// MASTER_GTID_WAIT waits for the applied position: it times out;
	// MASTER_POS_WAIT answers NULL at once.
	if err := R.WaitForGTID(ctx, bs.GTID, 300*time.Millisecond); !errors.Is(err, dbctl.ErrWaitTimeout) {
		t.Errorf("WaitForGTID with SQL stopped = %v, want ErrWaitTimeout", err)
	}
	if err := R.WaitForPosition(ctx, bs.File, bs.Position, 5*time.Second); !errors.Is(err, dbctl.ErrReplicaStopped) {
		t.Errorf("WaitForPosition with SQL stopped = %v, want ErrReplicaStopped", err)
	}
	if err := R.StartReplication(ctx, dbctl.SQLThread); err != nil {
		t.Fatal(err)
	}
	if err := R.WaitForGTID(ctx, bs.GTID, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestWaitForGTID(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	st, err := P.GTIDState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := st.BinlogPos.Domain(0)
	g.Seq += 1000
	future, err := gtid.NewMariaDBPos(g)
	if err != nil {
		t.Fatal(err)
	}

	if err := R.WaitForGTID(ctx, st.BinlogPos.String(), time.Second); err != nil {
		t.Errorf("applied position: %v", err)
	}
	if err := R.WaitForGTID(ctx, future.String(), 200*time.Millisecond); !errors.Is(err, dbctl.ErrWaitTimeout) {
		t.Errorf("future position = %v, want ErrWaitTimeout", err)
	}
	for _, bad := range []string{"0-1", "x", "0-1-1,0-2-2"} {
		if err := R.WaitForGTID(ctx, bad, time.Second); !errors.Is(err, dbctl.ErrInvalid) {
			t.Errorf("WaitForGTID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, dbctl.DefaultIOTimeout} {
		if err := R.WaitForGTID(ctx, future.String(), d); !errors.Is(err, dbctl.ErrInvalid) {
			t.Errorf("timeout %v = %v, want ErrInvalid", d, err)
		}
	}

	// The context ends before the server-side timeout: the call returns,
	// and the wait does not live on in the server.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := R.WaitForGTID(short, future.String(), 20*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForGTID past ctx = %v, want DeadlineExceeded", err)
	}
	db, err := replica.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventually(t, ctx, 5*time.Second, func() (bool, string) {
		var n int
		err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%MASTER_GTID_WAIT%' AND ID <> CONNECTION_ID()").Scan(&n)
		return err == nil && n == 0, fmt.Sprintf("%d MASTER_GTID_WAIT still running (%v)", n, err)
	})
}

// TestChangeSourceQuoting: the replication password has a quote and a
// backslash, and the replica connects with it in both sql_modes.
func TestChangeSourceQuoting(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() { replicating(t, context.Background()) })
	if !strings.ContainsAny(replPass, `'\`) {
		t.Fatal("the test password must need quoting")
	}
	if err := replica.Exec(ctx, "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')"); err != nil {
		t.Fatal(err)
	}
	defer replica.Exec(context.Background(), "SET GLOBAL sql_mode = REPLACE(@@GLOBAL.sql_mode, 'NO_BACKSLASH_ESCAPES', '')")
	noBS, err := dbctl.Open(ctx, replica.Config("")) // new connections take the global sql_mode
	if err != nil {
		t.Fatal(err)
	}
	defer noBS.Close()
	if err := noBS.StopReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	if err := noBS.ChangeSource(ctx, gtidSource()); err != nil {
		t.Fatal(err)
	}
	if err := noBS.StartReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 10*time.Second, func() (bool, string) {
		rs, err := R.ReplicaStatus(ctx)
		if err != nil {
			return false, err.Error()
		}
		return rs.Running(), fmt.Sprintf("IO %s (%d %s)", rs.IO, rs.LastIOErrno, rs.LastIOError)
	})

	// A wrong password fails to connect; nothing in errors or status
	// shows a password.
	if err := R.StopReplication(ctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	src := gtidSource()
	src.Password = "wrong-secret"
	if err := R.ChangeSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := R.StartReplication(ctx, dbctl.IOThread); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 10*time.Second, func() (bool, string) {
		rs, err := R.ReplicaStatus(ctx)
		if err != nil {
			return false, err.Error()
		}
		if strings.Contains(fmt.Sprintf("%+v", rs), "wrong-secret") {
			t.Fatalf("password in replica status: %+v", rs)
		}
		return rs.LastIOErrno == 1045, fmt.Sprintf("IO %s (%d %s)", rs.IO, rs.LastIOErrno, rs.LastIOError)
	})
}

// TestStopReplicationDeadline: STOP SLAVE waits for the SQL thread, which
// here waits for a table lock held on the replica. StopReplication
// returns at its deadline; KILL QUERY does not interrupt a STOP SLAVE, so
// the server finishes it once the thread ends.
func TestStopReplicationDeadline(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() {
		replicating(t, context.Background())
		_ = primary.Exec(context.Background(), "DROP TABLE IF EXISTS t.m")
	})
	if err := primary.Exec(ctx, "CREATE TABLE t.m (i INT) ENGINE=MyISAM"); err != nil {
		t.Fatal(err)
	}
	if err := caughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	db := openRoot(t, replica)
	locker, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.ExecContext(ctx, "LOCK TABLES t.m WRITE"); err != nil {
		t.Fatal(err)
	}
	unlocked := false
	defer func() {
		if !unlocked {
			_, _ = locker.ExecContext(context.Background(), "UNLOCK TABLES")
		}
	}()
	if err := primary.Exec(ctx, "INSERT INTO t.m VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 10*time.Second, func() (bool, string) {
		var n int
		err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Slave_SQL' AND STATE LIKE 'Waiting for table%lock'").Scan(&n)
		return err == nil && n == 1, fmt.Sprintf("SQL thread not blocked yet (%v)", err)
	})

	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := R.StopReplication(short, dbctl.BothThreads); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StopReplication against a blocked SQL thread = %v, want DeadlineExceeded", err)
	}
	if rs, err := R.ReplicaStatus(ctx); err != nil || rs.SQL != dbctl.ThreadRunning {
		t.Fatalf("at the deadline: %+v, %v; want the SQL thread still running", rs, err)
	}
	if _, err := locker.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	unlocked = true
	eventually(t, ctx, 10*time.Second, func() (bool, string) {
		rs, err := R.ReplicaStatus(ctx)
		if err != nil {
			return false, err.Error()
		}
		return rs.Stopped(), fmt.Sprintf("the STOP did not finish: IO %s, SQL %s", rs.IO, rs.SQL)
	})
}
