//go:build integration

package failover_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestFenceWriter: the fence kills the application's connection to the
// writer and its writes are refused with 1290 afterwards.
// promoteDB2 catches db2 up (db1 was the writer, seen as prev; db3 the
// other replica) and promotes it, logging both results.
func promoteDB2(t *testing.T, e *env, prev failover.Node) {
	t.Helper()
	cres, err := e.r.CatchUp(ctxFor(t, time.Minute), failover.CatchUpRequest{
		Candidate: e.node("db2"), Previous: prev, Others: []failover.Node{e.node("db3")}})
	t.Logf("%s", cres)
	if err != nil {
		t.Fatal(err)
	}
	pres, err := e.r.Promote(ctxFor(t, time.Minute), e.node("db2"))
	t.Logf("%s", pres)
	if err != nil {
		t.Fatal(err)
	}
}

func TestFenceWriter(t *testing.T) {
	e := newEnv(t, failover.Options{})
	e.createAcks()
	app := e.app("db1")
	conn, err := app.Conn(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctxFor(t, 5*time.Second), "INSERT INTO acks (id) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	db1 := e.node("db1").DB.(*dbctl.Server)
	res, err := fence.Fence(ctxFor(t, 5*time.Second), db1, fence.Options{MaxKillRetries: 10})
	t.Logf("fence: %s", res)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Killed, func(c dbctl.Client) bool { return c.User == lab.AppUser.Name }) {
		t.Errorf("the app's connection was not killed: %+v", res.Killed)
	}
	if _, err := conn.ExecContext(ctxFor(t, 5*time.Second), "INSERT INTO acks (id) VALUES (2)"); err == nil {
		t.Error("the killed connection still writes")
	}
	_, err = app.ExecContext(ctxFor(t, 5*time.Second), "INSERT INTO acks (id) VALUES (3)")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1290 {
		t.Errorf("write after the fence: %v, want error 1290", err)
	}
	if ro := e.root("db1", "SELECT @@read_only"); ro != "1" {
		t.Errorf("read_only = %s", ro)
	}
	// Idempotent: again, on a fenced server.
	res, err = fence.Fence(ctxFor(t, 5*time.Second), db1, fence.Options{MaxKillRetries: 10})
	if err != nil || !res.WasReadOnly {
		t.Errorf("second fence: %v, %s", err, res)
	}
}

// TestManualFailover: db1 -> db2 by the package's steps while a client
// writes every 10 ms through db1's address, then db2's (as through the
// writer VIP): no acknowledged row is lost.
func TestManualFailover(t *testing.T) {
	e := newEnv(t, failover.Options{})
	e.createAcks()
	w := e.startWriter("db1", "db2")
	w.waitAcks(100)

	start := time.Now()
	fres, err := fence.Fence(ctxFor(t, 5*time.Second), e.node("db1").DB.(*dbctl.Server), fence.Options{MaxKillRetries: 10})
	t.Logf("fence: %s", fres)
	if err != nil {
		t.Fatal(err)
	}
	fenced := time.Now()
	promoteDB2(t, e, e.node("db1"))
	w.target.Store("db2") // keepalived moves the VIP
	promoted := time.Now()
	rres, err := e.r.Repoint(ctxFor(t, time.Minute), e.node("db3"), e.node("db2"))
	t.Logf("%s", rres)
	if err != nil {
		t.Fatal(err)
	}
	repointed := time.Now()
	w.waitAcks(100)
	w.halt()

	ids, gap, window, from, to := w.report()
	t.Logf("steps: fence %v, catch-up+promote %v, repoint %v",
		fenced.Sub(start).Round(time.Millisecond), promoted.Sub(fenced).Round(time.Millisecond),
		repointed.Sub(promoted).Round(time.Millisecond))
	t.Logf("writer: %d acknowledged, errors %v; unavailable %v (last ack id %d via %s, first id %d via %s); longest gap %v",
		len(ids), w.errs, window.Round(time.Millisecond), from.id, from.via, to.id, to.via, gap.Round(time.Millisecond))
	if from.via != "db1" || to.via != "db2" {
		t.Errorf("no switch from db1 to db2 seen by the writer")
	}
	e.waitSame("db2", "db3")
	for _, h := range []string{"db2", "db3"} {
		if miss := e.missingOn(h, ids); len(miss) > 0 {
			t.Errorf("%s lacks %d acknowledged rows: %v", h, len(miss), miss)
		}
	}
	if ro := e.root("db1", "SELECT @@read_only"); ro != "1" {
		t.Errorf("db1 read_only = %s", ro)
	}
	if m := e.root("db3", "SELECT @@gtid_slave_pos"); m == "" {
		t.Error("db3 has no gtid_slave_pos")
	}
}

// TestSemisyncFailover: with db2's IO thread stopped, db3 alone
// acknowledges a transaction; db1 dies; CatchUp pulls it from db3 and
// it survives the promotion of db2. Then db1 restarts and rejoins with
// replication running and caught up.
func TestSemisyncFailover(t *testing.T) {
	e := newEnv(t, failover.Options{})
	e.createAcks()
	if _, err := e.l.StopReplication(ctxFor(t, 10*time.Second), "db2", lab.ThreadIO); err != nil {
		t.Fatal(err)
	}
	app1 := e.app("db1")
	begin := time.Now()
	if _, err := app1.ExecContext(ctxFor(t, 10*time.Second), "INSERT INTO acks (id, via) VALUES (42, 'db1')"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Fatalf("the insert took %v: semisync switched off instead of db3 acknowledging", d)
	}
	if yes := e.root("db1", "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_YES_TX'"); yes == "0" {
		t.Fatal("no transaction acknowledged by semisync")
	}
	if _, err := e.l.KillMySQL(ctxFor(t, 10*time.Second), "db1"); err != nil {
		t.Fatal(err)
	}
	e.forget("db1")
	if n := e.root("db2", "SELECT COUNT(*) FROM app.acks WHERE id = 42"); n != "0" {
		t.Fatalf("db2 has the row already (%s): the test proves nothing", n)
	}

	cres, err := e.r.CatchUp(ctxFor(t, time.Minute), failover.CatchUpRequest{
		Candidate: e.node("db2"), Previous: e.node("db1"), Others: []failover.Node{e.node("db3")}})
	t.Logf("%s", cres)
	if err != nil {
		t.Fatal(err)
	}
	if len(cres.Pulls) != 1 || cres.Pulls[0].From != "db3" || cres.Pulls[0].Err != "" {
		t.Errorf("pulls %+v, want one from db3", cres.Pulls)
	}
	pres, err := e.r.Promote(ctxFor(t, time.Minute), e.node("db2"))
	t.Logf("%s", pres)
	if err != nil {
		t.Fatal(err)
	}
	app2 := e.app("db2")
	var n int
	if err := app2.QueryRowContext(ctxFor(t, 5*time.Second), "SELECT COUNT(*) FROM acks WHERE id = 42").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the acknowledged row on db2: %d, %v", n, err)
	}
	rres, err := e.r.Repoint(ctxFor(t, time.Minute), e.node("db3"), e.node("db2"))
	t.Logf("%s", rres)
	if err != nil {
		t.Fatal(err)
	}
	for id := 43; id < 53; id++ {
		if _, err := app2.ExecContext(ctxFor(t, 5*time.Second), "INSERT INTO acks (id, via) VALUES (?, 'db2')", id); err != nil {
			t.Fatal(err)
		}
	}

	// db1 comes back: read-only, replicating from db2 by itself.
	if err := e.l.StartMySQL(ctxFor(t, time.Minute), "db1"); err != nil {
		t.Fatal(err)
	}
	jres, err := e.r.Rejoin(ctxFor(t, time.Minute), e.node("db1"), e.node("db2"))
	t.Logf("%s", jres)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.node("db1").DB.ReplicaStatus(ctxFor(t, 5*time.Second))
	if err != nil || !st.Running() || st.SourceHost != "198.18.0.12" {
		t.Fatalf("db1 replication after rejoin: %+v, %v", st, err)
	}
	e.waitSame("db2", "db1", "db3")
	for _, h := range []string{"db1", "db3"} {
		if miss := e.missingOn(h, []int64{42, 43, 52}); len(miss) > 0 {
			t.Errorf("%s lacks %v", h, miss)
		}
	}
	if ro := e.root("db1", "SELECT @@read_only"); ro != "1" {
		t.Errorf("db1 read_only = %s after rejoin", ro)
	}
}

// TestErrantRejoin: db1 is cut off, db2 takes over, and db1 (never
// fenced: its network was down) takes a write. When it comes back, Rejoin
// finds the errant GTID and refuses.
func TestErrantRejoin(t *testing.T) {
	e := newEnv(t, failover.Options{CatchupTimeout: 10 * time.Second})
	e.createAcks()
	db1 := e.node("db1")
	if _, err := e.l.NetworkDown(ctxFor(t, 10*time.Second), "db1", 0); err != nil {
		t.Fatal(err)
	}
	e.forget("db1")
	cres, err := e.r.CatchUp(ctxFor(t, time.Minute), failover.CatchUpRequest{
		Candidate: e.node("db2"), Previous: failover.Node{Name: "db1", Source: db1.Source}, Others: []failover.Node{e.node("db3")}})
	t.Logf("%s", cres)
	if err != nil {
		t.Fatal(err)
	}
	pres, err := e.r.Promote(ctxFor(t, time.Minute), e.node("db2"))
	t.Logf("%s", pres)
	if err != nil {
		t.Fatal(err)
	}
	rres, err := e.r.Repoint(ctxFor(t, time.Minute), e.node("db3"), e.node("db2"))
	t.Logf("%s", rres)
	if err != nil {
		t.Fatal(err)
	}
	app2 := e.app("db2")
	for id := 1; id <= 20; id++ {
		if _, err := app2.ExecContext(ctxFor(t, 5*time.Second), "INSERT INTO acks (id, via) VALUES (?, 'db2')", id); err != nil {
			t.Fatal(err)
		}
	}
	// The split-brain write on the isolated db1 (root, sql_log_bin on).
	s1, _ := e.l.Server("db1")
	if err := s1.Exec(ctxFor(t, 10*time.Second), "INSERT INTO app.acks (id, via) VALUES (1000, 'db1')"); err != nil {
		t.Fatal(err)
	}
	errantGTID := e.root("db1", "SELECT @@gtid_binlog_pos")
	t.Logf("errant write on db1: %s; db2 at %s", errantGTID, e.root("db2", "SELECT @@gtid_binlog_pos"))
	if err := e.l.NetworkUp(ctxFor(t, 10*time.Second), "db1"); err != nil {
		t.Fatal(err)
	}
	jres, err := e.r.Rejoin(ctxFor(t, time.Minute), e.node("db1"), e.node("db2"))
	t.Logf("%s", jres)
	if !errors.Is(err, failover.ErrErrant) {
		t.Fatalf("rejoin: %v, want ErrErrant", err)
	}
	if !slices.Contains(jres.Errant, errantGTID) || !strings.Contains(err.Error(), errantGTID) {
		t.Errorf("errant %v / %v: want %s listed", jres.Errant, err, errantGTID)
	}
	if ro := e.root("db1", "SELECT @@read_only"); ro != "1" {
		t.Errorf("db1 read_only = %s: a refused rejoin must still fence", ro)
	}
	if n := e.root("db2", "SELECT COUNT(*) FROM app.acks WHERE id = 1000"); n != "0" {
		t.Errorf("the errant row reached db2")
	}
}
