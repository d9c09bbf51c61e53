//go:build integration

package failover_test

import (
	"context"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// TestRepointFromDeadMaster: db1 (the writer) dies while a client writes
// every 10 ms; db2 is caught up and promoted, then db3, whose IO thread
// still waits on db1, is repointed to db2 — the step on a host death's
// critical path (db2's commits wait for db3's semisync ACK until it
// follows). A plain STOP SLAVE waits 2.0 s there; the repoint ends the IO
// thread instead. Asserted: it completes, both threads run from db2 and
// no acknowledged row is missing; the durations are logged (speed is a
// benchmark's business, not an assertion's).
func TestRepointFromDeadMaster(t *testing.T) {
	tests := []struct {
		name  string
		fault func(l *lab.Lab, ctx context.Context) (lab.Undo, error)
	}{
		{"host killed", func(l *lab.Lab, ctx context.Context) (lab.Undo, error) { return l.KillHost(ctx, "db1") }},
		{"mysqld frozen", func(l *lab.Lab, ctx context.Context) (lab.Undo, error) { return l.FreezeMySQL(ctx, "db1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, failover.Options{})
			e.createAcks()
			w := e.startWriter("db1", "db2")
			w.waitAcks(50)
			undo, err := tt.fault(e.l, ctxFor(t, 20*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			// Registered after the lab's teardown, so it runs first: a
			// frozen mysqld must be thawed before the lab goes down.
			t.Cleanup(func() { _ = undo(context.Background()) })
			e.forget("db1")
			dead := failover.Node{Name: "db1"} // as the leader sees a host it may not dial

			promoteDB2(t, e, dead)
			w.target.Store("db2")

			start := time.Now()
			rres, err := e.r.Repoint(ctxFor(t, time.Minute), e.node("db3"), e.node("db2"))
			took := time.Since(start)
			t.Logf("%s", rres)
			t.Logf("repoint of db3 from the dead db1 to db2 returned after %v", took.Round(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			st, err := e.node("db3").DB.ReplicaStatus(ctxFor(t, 5*time.Second))
			if err != nil || !st.Running() || st.SourceHost != "198.18.0.12" {
				t.Fatalf("db3 after the repoint: %+v, %v", st, err)
			}
			w.waitAcks(20)
			w.halt()
			ids, gap, window, from, to := w.report()
			t.Logf("writer: %d acknowledged, longest gap %v, switch window %v (last via %s, first via %s), errors %v",
				len(ids), gap.Round(time.Millisecond), window.Round(time.Millisecond), from.via, to.via, w.errs)
			e.waitSame("db2", "db3")
			for _, h := range []string{"db2", "db3"} {
				if miss := e.missingOn(h, ids); len(miss) > 0 {
					t.Errorf("%s lacks %d acknowledged rows: %v", h, len(miss), miss)
				}
			}
		})
	}
}
