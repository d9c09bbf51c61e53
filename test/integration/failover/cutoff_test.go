//go:build integration

package failover

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
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
// off from its replicas and its cluster but not from its clients, and the
// two masters are never writable at once. The old writer may keep a
// transaction that was never acknowledged (its session was killed while
// it waited for a semisync ACK): its rejoin is then refused, and the
// runbook's repair (lab.RebuildFrom) brings it back.
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
		watch := watchWritable(t, w, p)
		cutAt := time.Now()
		undo, err := theLab.CutOff(ctx, w)
		if err != nil {
			app.Stop()
			t.Fatal(err)
		}
		waitState(t, 30*time.Second, p+" writer", func(s api.Snapshot) bool { return writerOf(s) == p })
		decided := time.Since(cutAt)
		// The old writer fences itself when its lease ends, before the
		// leader takes it as lost: the two are never writable at once.
		waitFor(10*time.Second, func() bool { return watch.bothSeen() || time.Since(cutAt) > decided+3*time.Second })
		both, samples := watch.stop()
		if both > 0 {
			t.Errorf("trial %d: %s and %s both writable for %v (%d samples)", trial, w, p, both.Round(time.Millisecond), samples)
		}
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
		// The client waits up to 10 s for an answer: it must hear of
		// the failover (a reset while the old writer still has the VIP,
		// a tickle once it has moved), not wait its timeout out (then
		// the gap is the timeout and a reconnect: 10.9-11.1 s seen).
		if gap >= cutoffAttempt*9/10 {
			t.Errorf("trial %d: the app was without its writer for %v: a client waiting up to %v was not told that the VIP moved",
				trial, gap.Round(time.Millisecond), cutoffAttempt)
			explainGap(t, rep, cutAt, w, p)
		}
		if ro := readOnly(t, w); !ro {
			t.Errorf("trial %d: %s writable after the cut-off ended", trial, w)
		}
		rejoin(t, w, p, cutAt)
	}
}

// explainGap logs what a client left waiting needs explaining: the
// app's failed attempts since the cut and what the old writer's
// coordinator did about its sessions (self-fence, tickles, keepalived)
// and when the new one's keepalived took the VIP.
func explainGap(t *testing.T, rep lab.AppWriterReport, cutAt time.Time, old, new string) {
	t.Helper()
	for _, f := range rep.FailuresSince(cutAt.Add(-cutoffAttempt)) {
		t.Logf("app: failed attempt %s", f)
	}
	if gap, end := rep.Gap(cutAt); gap > 0 {
		t.Logf("app: no acknowledgement from %s to %s", end.Add(-gap).Format("15:04:05.000"), end.Format("15:04:05.000"))
	}
	// The client may also have waited on the new writer: a first commit
	// there waits for a semisync acknowledgement until a replica of it
	// gives one.
	for _, h := range dbHosts {
		lines, err := theLab.CoordinatorLogSince(h, cutAt.Add(-time.Second),
			"self-fence", "tickl", "keepalived reports", "eligibility", "session", "promote", "replicating", "semisync")
		if err != nil {
			t.Log(err)
		}
		for _, l := range lines {
			t.Logf("%s: %s", h, l)
		}
	}
	if s, err := theLab.Server(new); err == nil {
		if b, err := os.ReadFile(s.ErrLog); err == nil {
			var semi []string
			for l := range strings.Lines(string(b)) {
				if strings.Contains(l, "emi-sync") || strings.Contains(l, "Timeout") {
					semi = append(semi, strings.TrimSpace(l))
				}
			}
			for _, l := range semi[max(0, len(semi)-30):] {
				t.Logf("%s mysqld: %s", new, l)
			}
		}
	}
}

// writableWatch samples read_only of two servers every 10 ms, as root
// over their sockets (a cut at L3 leaves them), and adds up the time
// both were writable.
type writableWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	both   time.Duration
	n      int
}

func watchWritable(t *testing.T, a, b string) *writableWatch {
	t.Helper()
	dbs := []*sql.DB{root(t, a), root(t, b)}
	ctx, cancel := context.WithCancel(context.Background())
	w := &writableWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer func() {
			for _, db := range dbs {
				db.Close()
			}
		}()
		var since time.Time // both writable since (zero: not now)
		for ctx.Err() == nil {
			at := time.Now()
			writable := 0
			for _, db := range dbs {
				qctx, qcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				var ro bool
				if err := db.QueryRowContext(qctx, "SELECT @@read_only").Scan(&ro); err == nil && !ro {
					writable++
				}
				qcancel()
			}
			w.mu.Lock()
			switch {
			case writable == 2 && since.IsZero():
				since = at
				w.n++
			case writable == 2:
				w.n++
			case !since.IsZero():
				w.both += at.Sub(since)
				since = time.Time{}
			}
			w.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
		w.mu.Lock()
		if !since.IsZero() {
			w.both += time.Since(since)
		}
		w.mu.Unlock()
	}()
	return w
}

// bothSeen reports whether a sample saw both writable.
func (w *writableWatch) bothSeen() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n > 0
}

// stop ends the sampling and returns the time both were writable and
// how many samples saw it.
func (w *writableWatch) stop() (time.Duration, int) {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.both, w.n
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
// errant transactions since `since`, it is rebuilt from the writer first,
// and the refusal returned.
func rejoin(t *testing.T, host, writer string, since time.Time) string {
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
	return refused
}
