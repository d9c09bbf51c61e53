package dbctl_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

func TestConnectionLost(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("dbctl: kill clients: %w", mysql.ErrInvalidConn), true},
		{fmt.Errorf("dbctl: read read_only: %w", driver.ErrBadConn), true},
		{fmt.Errorf("dbctl: kill client 18 (app@localhost): %w", sql.ErrConnDone), true},
		{&mysql.MySQLError{Number: 1927, Message: "Connection was killed"}, true},
		{&mysql.MySQLError{Number: 2013, Message: "Lost connection to server during query"}, true},
		{&mysql.MySQLError{Number: 1317, Message: "Query execution was interrupted"}, false},
		{&mysql.MySQLError{Number: 1227, Message: "Access denied"}, false},
		{context.DeadlineExceeded, false},
		{errors.New("dial tcp 198.18.0.11:3306: connect: connection refused"), false},
	}
	for _, tt := range tests {
		if got := dbctl.ConnectionLost(tt.err); got != tt.want {
			t.Errorf("ConnectionLost(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestKillReplicaIOFrozenSource: with the primary's mysqld stopped
// (SIGSTOP) the replica's IO thread waits for an event that never comes.
// KillReplicaIO stops it (the duration is logged, not asserted: 2 s for
// STOP SLAVE IO_THREAD alone in the lab), nothing is left pending, and
// the replica starts again afterwards.
func TestKillReplicaIOFrozenSource(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() { replicating(t, context.Background()) })
	if err := R.StopReplication(ctx, dbctl.SQLThread); err != nil {
		t.Fatal(err)
	}
	if err := primary.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			if err := primary.Signal(syscall.SIGCONT); err != nil {
				t.Error(err)
			}
		}
	}
	defer thaw()

	start := time.Now()
	found, err := R.KillReplicaIO(ctx)
	if err != nil || !found {
		t.Fatalf("KillReplicaIO = %v, %v; want the IO thread found and killed", found, err)
	}
	t.Logf("KillReplicaIO returned after %v (source frozen)", time.Since(start).Round(time.Millisecond))
	if rs, err := R.ReplicaStatus(ctx); err != nil || rs.IO != dbctl.ThreadStopped || rs.SQL != dbctl.ThreadStopped {
		t.Fatalf("after KillReplicaIO: %+v, %v; want both threads stopped", rs, err)
	}
	// Nothing pending holds the replica: a STOP SLAVE returns at once.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st := time.Now()
	if err := R.StopReplication(sctx, dbctl.BothThreads); err != nil {
		t.Fatal(err)
	}
	t.Logf("STOP SLAVE afterwards: %v", time.Since(st).Round(time.Millisecond))
	if found, err := R.KillReplicaIO(ctx); err != nil || found {
		t.Errorf("KillReplicaIO without an IO thread = %v, %v; want false, nil", found, err)
	}
	thaw()
}

// TestKillDumpThreads: the primary ends its dump thread for the replica's
// address (the replica's IO thread reconnects by itself afterwards); an
// address with no replica finds nothing.
func TestKillDumpThreads(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() { replicating(t, context.Background()) })
	if n, err := P.KillDumpThreads(ctx, "198.18.0.99"); err != nil || n != 0 {
		t.Fatalf("no replica there: killed %d, %v", n, err)
	}
	n, err := P.KillDumpThreads(ctx, "127.0.0.1")
	if err != nil || n != 1 {
		t.Fatalf("KillDumpThreads = %d, %v; want the replica's dump thread", n, err)
	}
}
