//go:build integration

package failover

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// cutoffTrials, cutoffHold and cutoffAttempt: the writer is cut off at L3
// from the other database hosts while the application still reaches it,
// three times, each for 20 s, under a client that waits up to 10 s per
// insert as real applications do. The lab's my.cnf has
// rpl_semi_sync_master_timeout=500ms (the suite's SemisyncTimeout), far
// below the self-fence: only the timeout the coordinator owns on the
// writer keeps the cut-off writer from acknowledging inserts alone.
const (
	cutoffTrials  = 3
	cutoffHold    = 20 * time.Second
	cutoffAttempt = 10 * time.Second
)

// TestCutOffWriter: no acknowledged insert is lost when the writer is cut
// off from its replicas and its cluster but not from its clients. The old
// writer may keep a transaction that was never acknowledged (its session
// was killed while it waited for a semisync ACK): its rejoin is then
// refused, and the runbook's repair (lab.RebuildFrom) brings it back.
func TestCutOffWriter(t *testing.T) {
	recoverAll(t)
	for trial := 1; trial <= cutoffTrials; trial++ {
		w, p := steady(t)
		ctx := context.Background()
		app, err := theLab.StartAppWriter(ctx, lab.AppWriterOptions{Table: "cutoff", FirstID: int64(trial) * 10_000_000,
			Attempt: cutoffAttempt, MaxTime: 3 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if !waitFor(10*time.Second, func() bool { return app.AckedSince(start) >= 20 }) {
			app.Stop()
			t.Fatalf("trial %d: the app writer does not write through the VIP", trial)
		}
		cutAt := time.Now()
		undo, err := theLab.CutOff(ctx, w)
		if err != nil {
			app.Stop()
			t.Fatal(err)
		}
		waitState(t, 30*time.Second, p+" writer", func(s api.Snapshot) bool { return writerOf(s) == p })
		decided := time.Since(cutAt)
		if !waitFor(30*time.Second, func() bool { return app.AckedSince(cutAt) >= 20 }) {
			r := app.Snapshot()
			undo(ctx)
			app.Stop()
			t.Fatalf("trial %d: no writes through the VIP after the failover: %d errors, last %v", trial, r.Errors, r.LastError)
		}
		time.Sleep(time.Until(cutAt.Add(cutoffHold)))
		if err := undo(ctx); err != nil {
			t.Fatal(err)
		}
		rep := app.Stop()
		gap, _ := rep.Gap(cutAt)
		lost := 0
		for _, h := range []string{p, "db3"} {
			l := lostRows(t, h, p, "cutoff", rep.IDs())
			lost += len(l)
			if len(l) > 0 {
				t.Errorf("trial %d: %s lacks %d acknowledged rows: %v", trial, h, len(l), l[:min(len(l), 20)])
			}
		}
		t.Logf("trial %d: %s cut off for %v; %s writer after %v; app (10 s attempts): unavailable %v, %d acknowledged, %d errors, %d lost",
			trial, w, cutoffHold, p, decided.Round(time.Millisecond), gap.Round(time.Millisecond), len(rep.Acks), rep.Errors, lost)
		if ro := readOnly(t, w); !ro {
			t.Errorf("trial %d: %s writable after the cut-off ended", trial, w)
		}
		rejoin(t, w, p, cutAt)
	}
}

// recoverAll brings every host that is not ONLINE back: one whose rejoin
// was refused for errant transactions through the runbook's repair, the
// others by set_online.
func recoverAll(t *testing.T) {
	t.Helper()
	s := waitState(t, 60*time.Second, "a writer", func(s api.Snapshot) bool { return writerOf(s) != "" })
	for _, h := range dbHosts {
		if stateOf(s, h) != fsm.StateOnline {
			rejoin(t, h, writerOf(s), time.Now().Add(-10*time.Minute))
		}
	}
}

// rejoin makes host ONLINE again: when its rejoin has been refused for
// errant transactions since `since`, it is rebuilt from the writer first.
func rejoin(t *testing.T, host, writer string, since time.Time) {
	t.Helper()
	waitState(t, 60*time.Second, host+" back", func(s api.Snapshot) bool {
		st := stateOf(s, host)
		return st == fsm.StateAwaitingRecovery || st == fsm.StateOnline || st == fsm.StateReplicationFail
	})
	refused := ""
	waitFor(10*time.Second, func() bool {
		for _, e := range history(since) {
			if e.Kind == "action" && e.Host == host && strings.Contains(e.Error, "errant") {
				refused = e.Error
				return true
			}
		}
		s, _ := leaderSnapshot()
		return stateOf(s, host) == fsm.StateOnline
	})
	if refused != "" {
		t.Logf("%s: rejoin refused (%s); rebuilding it from %s as the runbook says", host, refused, writer)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := theLab.RebuildFrom(ctx, host, writer); err != nil {
			t.Fatal(err)
		}
	}
	setOnline(t, host, 90*time.Second)
	waitReplicates(t, host, writer, 30*time.Second)
}
