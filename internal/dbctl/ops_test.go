package dbctl_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

func TestFlavorDetected(t *testing.T) {
	needServers(t)
	if P.Flavor() != dbctl.MariaDB || !P.Version().AtLeast(10, 6, 0) {
		t.Fatalf("detected %s %s", P.Flavor(), P.Version())
	}
	t.Logf("MariaDB %s", P.Version())
}

// createUser makes an account on the primary (it replicates) and waits
// until the replica has it too.
func createUser(t *testing.T, ctx context.Context, user, pass, privs, extra string) {
	t.Helper()
	stmts := []string{fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s' %s", user, pass, extra)}
	if privs != "" {
		stmts = append(stmts, fmt.Sprintf("GRANT %s TO '%s'@'127.0.0.1'", privs, user))
	}
	if err := primary.Exec(ctx, stmts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Exec(context.Background(), "DROP USER IF EXISTS '"+user+"'@'127.0.0.1'") })
	if err := caughtUp(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnly(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	createUser(t, ctx, "app_ro", "app", "INSERT, SELECT ON t.*", "")
	app := openTCP(t, primary, "app_ro", "app")
	t.Cleanup(func() { _ = P.SetReadOnly(context.Background(), false) })

	for _, on := range []bool{true, true, false} { // idempotent
		if err := P.SetReadOnly(ctx, on); err != nil {
			t.Fatal(err)
		}
		got, err := P.ReadOnly(ctx)
		if err != nil || got != (dbctl.ReadOnlyState{ReadOnly: on}) {
			t.Fatalf("ReadOnly after SetReadOnly(%v) = %+v, %v", on, got, err)
		}
		_, err = app.ExecContext(ctx, "INSERT INTO t.x (v) VALUES ('app')")
		var me *mysql.MySQLError
		if on && (!errors.As(err, &me) || me.Number != 1290) {
			t.Errorf("application write with read_only=ON: %v, want 1290", err)
		}
		if !on && err != nil {
			t.Errorf("application write with read_only=OFF: %v", err)
		}
	}
	if err := caughtUp(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestKillClients(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	createUser(t, ctx, "app_kill", "app", "SELECT ON t.*", "")

	for _, tc := range []struct {
		name   string
		target *mariadbd.Server
	}{
		{"primary", primary}, // has the replica's Binlog Dump
		{"replica", replica}, // has Slave_IO and Slave_SQL
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			// A sleeping client and a busy one.
			sleeper := openTCP(t, target, "app_kill", "app")
			sleepConn, err := sleeper.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer sleepConn.Close()
			var sleepID uint64
			if err := sleepConn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&sleepID); err != nil {
				t.Fatal(err)
			}
			busy := openTCP(t, target, "app_kill", "app")
			busyDone := make(chan error, 1)
			go func() { _, err := busy.ExecContext(ctx, "SELECT SLEEP(30)"); busyDone <- err }()

			// Our own pool holds one connection: KillClients runs on it and
			// must leave it alive.
			own := openRoot(t, target)
			own.SetMaxOpenConns(1)
			s, err := dbctl.New(ctx, own)
			if err != nil {
				t.Fatal(err)
			}
			var ownID uint64
			if err := own.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&ownID); err != nil {
				t.Fatal(err)
			}
			eventually(t, ctx, 5*time.Second, func() (bool, string) {
				var n int
				err := own.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(30)'").Scan(&n)
				return err == nil && n == 1, "busy client not running yet"
			})

			killed, err := s.KillClients(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[uint64]dbctl.Client{}
			for _, c := range killed {
				ids[c.ID] = c
				if c.User == "system user" || strings.HasPrefix(c.Command, "Binlog Dump") || strings.HasPrefix(c.Command, "Slave_") {
					t.Errorf("killed a replication thread: %+v", c)
				}
			}
			if _, ok := ids[sleepID]; !ok {
				t.Errorf("sleeping client %d not killed; killed %+v", sleepID, killed)
			}
			if _, ok := ids[ownID]; ok {
				t.Errorf("killed its own connection %d", ownID)
			}
			if !slices.ContainsFunc(killed, func(c dbctl.Client) bool { return c.Info == "SELECT SLEEP(30)" && c.User == "app_kill" }) {
				t.Errorf("busy client not among the killed: %+v", killed)
			}
			if err := <-busyDone; err == nil {
				t.Error("busy client's query survived")
			}
			if err := sleepConn.PingContext(ctx); err == nil {
				t.Error("sleeping client survived")
			}
			var after uint64
			if err := own.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&after); err != nil || after != ownID {
				t.Errorf("own connection: id %d after, %d before (%v)", after, ownID, err)
			}
			// Replication survived on both ends.
			bs := insert(t, ctx, "after-kill-"+tc.name)
			if err := R.WaitForGTID(ctx, bs.GTID, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if rs, err := R.ReplicaStatus(ctx); err != nil || !rs.Running() {
				t.Fatalf("replication after KillClients: %+v, %v", rs, err)
			}
		})
	}
}

func TestStateReads(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	bs := insert(t, ctx, "state")
	if err := caughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	if bs.File == "" || bs.Position < 4 {
		t.Errorf("BinlogStatus = %+v", bs)
	}
	binlogPos, err := gtid.ParseMariaDB(bs.GTID)
	if err != nil || binlogPos.IsEmpty() {
		t.Fatalf("BinlogStatus GTID %q: %v", bs.GTID, err)
	}
	ps, err := P.GTIDState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rsState, err := R.GTIDState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Steady state with log_slave_updates: all positions agree.
	for name, p := range map[string]gtid.MariaDBPos{
		"primary binlog": ps.BinlogPos, "primary current": ps.CurrentPos,
		"replica binlog": rsState.BinlogPos, "replica slave": rsState.SlavePos, "replica current": rsState.CurrentPos,
	} {
		if !p.Equal(binlogPos) {
			t.Errorf("%s pos = %s, want %s", name, p, binlogPos)
		}
	}
	if !ps.Executed.IsEmpty() {
		t.Errorf("MySQL fields set on MariaDB: %+v", ps)
	}

	for i, s := range []*dbctl.Server{P, R} {
		b, err := s.BinlogSettings(ctx)
		if err != nil || !b.LogBin || !b.LogReplicaUpdates || b.ServerID != uint32(i+1) || b.FailoverTarget() != nil {
			t.Errorf("server %d: BinlogSettings = %+v, %v", i+1, b, err)
		}
		if id, err := s.ServerID(ctx); err != nil || id != uint32(i+1) {
			t.Errorf("ServerID = %d, %v", id, err)
		}
		eventually(t, ctx, 5*time.Second, func() (bool, string) { // whole seconds
			up, err := s.Uptime(ctx)
			return err == nil && up > 0, fmt.Sprintf("Uptime = %v, %v", up, err)
		})
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
	}
	if err := (dbctl.BinlogSettings{LogBin: true}).FailoverTarget(); err == nil {
		t.Error("FailoverTarget accepts log_slave_updates=OFF")
	}

	if _, err := P.ReplicaStatus(ctx); !errors.Is(err, dbctl.ErrNotReplica) {
		t.Errorf("ReplicaStatus on the primary = %v, want ErrNotReplica", err)
	}
	if err := P.WaitForPosition(ctx, bs.File, bs.Position, time.Second); !errors.Is(err, dbctl.ErrReplicaStopped) {
		t.Errorf("WaitForPosition on the primary = %v, want ErrReplicaStopped", err)
	}
}

func TestSemisync(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	restartIO := func(ctx context.Context) error {
		if err := R.StopReplication(ctx, dbctl.IOThread); err != nil {
			return err
		}
		return R.StartReplication(ctx, dbctl.IOThread)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = P.SetSemisyncMaster(ctx, false)
		_ = R.SetSemisyncReplica(ctx, false)
		_ = restartIO(ctx)
		replicating(t, ctx)
	})
	before, err := P.Semisync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.MasterEnabled || before.Clients != 0 || before.MasterTimeout <= 0 {
		t.Fatalf("before: %+v", before)
	}
	if err := P.SetSemisyncMaster(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := R.SetSemisyncReplica(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := restartIO(ctx); err != nil {
		t.Fatal(err)
	}
	var st dbctl.SemisyncStatus
	eventually(t, ctx, 10*time.Second, func() (bool, string) {
		st, err = P.Semisync(ctx)
		return err == nil && st.Clients == 1 && st.MasterActive, fmt.Sprintf("%+v, %v", st, err)
	})
	bs := insert(t, ctx, "semisync")
	after, err := P.Semisync(ctx)
	if err != nil || !after.MasterEnabled || after.YesTx != st.YesTx+1 || after.NoTx != st.NoTx {
		t.Errorf("after a commit: %+v (before %+v), %v", after, st, err)
	}
	if err := R.WaitForGTID(ctx, bs.GTID, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	rst, err := R.Semisync(ctx)
	if err != nil || !rst.ReplicaEnabled || !rst.ReplicaActive || rst.MasterEnabled {
		t.Errorf("replica side: %+v, %v", rst, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := needServers(t)
	createUser(t, ctx, "app_limit", "right-secret", "", "WITH MAX_USER_CONNECTIONS 1")

	_, err := dbctl.Open(ctx, tcpConfig(primary, "app_limit", "wrong-secret"))
	if !errors.Is(err, dbctl.ErrAccessDenied) || strings.Contains(err.Error(), "secret") {
		t.Errorf("wrong password: %v", err)
	}
	holder, err := dbctl.Open(ctx, tcpConfig(primary, "app_limit", "right-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close() // Open keeps its detection connection idle in the pool
	if _, err := dbctl.Open(ctx, tcpConfig(primary, "app_limit", "right-secret")); !errors.Is(err, dbctl.ErrTooManyConnections) {
		t.Errorf("second connection over MAX_USER_CONNECTIONS 1: %v", err)
	}
	cfg := tcpConfig(primary, "app_limit", "right-secret")
	cfg.Addr = "127.0.0.1:1" // nothing listens
	if _, err := dbctl.Open(ctx, cfg); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("closed port: %v", err)
	}
}

// openRoot opens a plain pool for root over the socket.
func openRoot(t *testing.T, s *mariadbd.Server) *sql.DB {
	t.Helper()
	db, err := s.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
