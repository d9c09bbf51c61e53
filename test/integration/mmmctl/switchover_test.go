//go:build integration

package mmmctl

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// table is where the app writer inserts (in the app database).
const table = "acked"

// window is the writer's unavailable window around a switchover started
// at from: the longest time between two consecutive acknowledged inserts
// from the last one before from on.
func window(acks []lab.Ack, from time.Time) (gap time.Duration, lastBefore, firstAfter time.Time) {
	i, _ := slices.BinarySearchFunc(acks, from, func(a lab.Ack, t time.Time) int { return a.At.Compare(t) })
	if i > 0 {
		i--
	}
	for j := i + 1; j < len(acks); j++ {
		if d := acks[j].At.Sub(acks[j-1].At); d > gap {
			gap, lastBefore, firstAfter = d, acks[j-1].At, acks[j].At
		}
	}
	return gap, lastBefore, firstAfter
}

// testSwitchoverUnderLoad: `mmmctl switchover` while the app writes
// through the writer VIP every 10 ms: the writer moves to its peer, no
// acknowledged row is missing on the new writer or any replica, and the
// unavailable window is logged.
func testSwitchoverUnderLoad(t *testing.T, firstID int64) {
	w, p := steady(t)
	app, err := theLab.StartAppWriter(t.Context(), lab.AppWriterOptions{Table: table, FirstID: firstID, MaxTime: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Stop()
	warm := time.Now()
	if !waitFor(10*time.Second, func() bool { return app.AckedSince(warm) >= 50 }) {
		r := app.Snapshot()
		t.Fatalf("the app writer does not write through the VIP: %d tries, %d errors, last %v", r.Tries, r.Errors, r.LastError)
	}

	start := time.Now()
	// switchover waits: the reply, each step of the handover, then the
	// target writable.
	r := ctl(t, "db3", "switchover")
	moved := fmt.Sprintf("OK: Role 'writer' has been moved from '%s' to '%s'. Now you can wait some time and check new roles info!\n", w, p)
	done := regexp.MustCompile(fmt.Sprintf(`(?m)^  ok +promote %s previous %s .*\n(.*\n)*OK: '%s' is the writer, its MySQL writable, \S+ after the move\.\n$`, p, w, p))
	if r.code != 0 || !strings.HasPrefix(r.stdout, moved) || !done.MatchString(r.stdout) {
		t.Errorf("switchover: %s\nwant exit 0, %q, the handover's steps and the target writable", r, moved)
	}
	s := waitState(t, 30*time.Second, p+" writer with the writer VIP", func(s api.Snapshot) bool {
		h, err := theLab.VIPHolders(lab.WriterVIP)
		return writerOf(s) == p && err == nil && len(h) == 1 && h[0] == p
	})
	vipAt := time.Since(start)
	if !waitFor(30*time.Second, func() bool { return app.AckedSince(start.Add(vipAt)) >= 50 }) {
		rep := app.Snapshot()
		t.Fatalf("no writes through the VIP after the switchover: %d errors, last %v\nactions:\n%s", rep.Errors, rep.LastError, actions(history(start)))
	}
	waitReplicates(t, "db3", p, 30*time.Second)
	waitReplicates(t, w, p, 45*time.Second)
	rejoined := time.Since(start)
	rep := app.Stop()

	gap, lastBefore, firstAfter := window(rep.Acks, start)
	ids := rep.IDs()
	for _, h := range append([]string{p}, w, "db3") {
		if lost := lostRows(t, h, p, table, ids); len(lost) > 0 {
			t.Errorf("%s lacks %d acknowledged rows: %v", h, len(lost), lost[:min(len(lost), 20)])
		}
	}
	t.Logf("switchover %s -> %s: mmmctl returned after %v, the writer VIP on %s after %v, the old writer replicating from it after %v",
		w, p, r.took.Round(time.Millisecond), p, vipAt.Round(time.Millisecond), rejoined.Round(time.Millisecond))
	t.Logf("app writer: %d tries, %d acknowledged, %d errors (last: %v); rows lost: 0 of %d checked on %s, %s, db3 (unless reported above)",
		rep.Tries, len(rep.Acks), rep.Errors, rep.LastError, len(ids), p, w)
	t.Logf("UNAVAILABLE WINDOW %v: last ack before %s, first after %s (switchover started %s)",
		gap.Round(time.Millisecond), lastBefore.Format("15:04:05.000"), firstAfter.Format("15:04:05.000"), start.Format("15:04:05.000"))
	t.Logf("state:\n%sactions:\n%s\nhandover in the coordinators' logs:\n%s", show(s), actions(history(start)), handoverLog(start))
}

// testSwitchoverAborts: a switchover that cannot happen is refused before
// anything is touched: a clear ERROR line, a non-zero exit, the writer
// where it was and no action run.
func testSwitchoverAborts(t *testing.T) {
	w, p := steady(t)
	start := time.Now()
	want(t, ctl(t, "db1", "switchover", "--to", "db3"), 5,
		"ERROR: Host 'db3' can't handle role 'writer'. Only following hosts could: db1, db2\n")
	want(t, ctl(t, "db1", "switchover", "--to", "db9"), 6, "ERROR: Unknown host name 'db9'!\n")
	want(t, ctl(t, "db1", "switchover", "--to", w), 0, fmt.Sprintf("OK: Role is on '%s' already. Skipping command.\n", w))

	// The peer cannot catch up: its replication runs 30 s late (the app
	// writes, so its backlog grows beyond max_backlog, 10 s) and it is
	// REPLICATION_DELAY; no host can take over.
	app, err := theLab.StartAppWriter(t.Context(), lab.AppWriterOptions{Table: table, FirstID: 1_000_000, MaxTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Stop()
	undo, err := theLab.DelayReplication(t.Context(), p, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer undo(t.Context())
	// MMM's peer grace: replication failures count only once the peer
	// (the writer) has been ONLINE for 60 s.
	delayed := time.Now()
	waitState(t, 75*time.Second, p+" REPLICATION_DELAY", func(s api.Snapshot) bool { return stateOf(s, p) == fsm.StateReplicationDelay })
	t.Logf("%s REPLICATION_DELAY %v after its replication was delayed by 30 s", p, time.Since(delayed).Round(time.Millisecond))
	want(t, ctl(t, "db3", "switchover"), 5, fmt.Sprintf("ERROR: No host can take over role 'writer': '%s' is 'REPLICATION_DELAY'.\n", p))
	want(t, ctl(t, "db3", "switchover", "--to", p), 5, "ERROR: Can't move role to host with state REPLICATION_DELAY.\n")
	// A writer touched by a refused switchover (fenced, its sessions
	// killed, its VIP moved) fails the app's inserts; a slow one under a
	// loaded machine does not, so the pause is logged, not bounded.
	rep := app.Stop()
	gap, _, _ := window(rep.Acks, start)
	if rep.Errors > 0 {
		t.Errorf("the app saw %d errors during the refused switchovers (last: %v; longest pause %v)", rep.Errors, rep.LastError, gap.Round(time.Millisecond))
	}
	t.Logf("the app during the refused switchovers: %d acknowledged, 0 errors, longest pause %v", len(rep.Acks), gap.Round(time.Millisecond))

	s, _ := leaderSnapshot()
	if writerOf(s) != w {
		t.Errorf("the writer moved to %q", writerOf(s))
	}
	if h, err := theLab.VIPHolders(lab.WriterVIP); err != nil || len(h) != 1 || h[0] != w {
		t.Errorf("the writer VIP is on %v (%v), want %s", h, err, w)
	}
	if readOnly(t, w) {
		t.Errorf("the writer %s went read_only", w)
	}
	for _, e := range history(start) {
		if e.Kind == "action" && (strings.Contains(e.Text, "writer") || strings.Contains(e.Text, "promote") || strings.Contains(e.Text, "fence")) {
			t.Errorf("a refused switchover ran %q", e.Text)
		}
	}
	if err := undo(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitState(t, 30*time.Second, p+" ONLINE again without its delay", func(s api.Snapshot) bool { return stateOf(s, p) == fsm.StateOnline })
	steady(t)
}
