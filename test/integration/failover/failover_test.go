//go:build integration

package failover

import (
	"context"
	"fmt"
	"net/netip"
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

// figure is one scenario's result for the summary.
type figure struct {
	scenario string
	gap      time.Duration // writer unavailable: fault → first ack, or the longest pause after it
	acked    int
	errors   int
	lost     map[string]int // host → acknowledged rows it lacks
	note     string
}

func (f figure) String() string {
	var lost []string
	for _, h := range dbHosts {
		if n, ok := f.lost[h]; ok {
			lost = append(lost, fmt.Sprintf("%s %d", h, n))
		}
	}
	return fmt.Sprintf("%-22s unavailable %-8v acked %-5d errors %-4d lost: %s  %s",
		f.scenario, f.gap.Round(time.Millisecond), f.acked, f.errors, strings.Join(lost, ", "), f.note)
}

// TestFailover runs the seed scenarios in order on one lab with the app
// writer on and an ARP watch from app over every VIP the whole time.
func TestFailover(t *testing.T) {
	ready(t)
	watch, err := theLab.WatchARP("app", lab.VIPs(), 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var figures []figure
	defer func() {
		rep := watch.Stop()
		t.Logf("ARP watch from app: %d rounds of 100 ms over %v; MACs seen per VIP: %v", rep.Rounds, lab.VIPs(), rep.Seen)
		if rep.Err != nil {
			t.Errorf("ARP watch ended early: %v", rep.Err)
		}
		for _, c := range rep.Conflicts {
			t.Errorf("two MACs answered for one IP: %s", c)
		}
		var b strings.Builder
		for _, f := range figures {
			b.WriteString("\n  " + f.String())
		}
		t.Logf("figures (check_period 1 s, trap_period 2 s, lease 1 s, VRRPv3 advert 0.1 s):%s", b.String())
	}()
	scenarios := []struct {
		name string
		run  func(t *testing.T, firstID int64) figure
	}{
		{"mysqld-stop", func(t *testing.T, id int64) figure {
			return writerFault(t, id, "mysqld-stop", 0, func(ctx context.Context, w string) (lab.Undo, error) {
				return theLab.StopMySQL(ctx, w)
			})
		}},
		{"host-kill", func(t *testing.T, id int64) figure {
			return writerFault(t, id, "host-kill", 0, func(ctx context.Context, w string) (lab.Undo, error) {
				return theLab.KillHost(ctx, w)
			})
		}},
		{"net-down-20s", func(t *testing.T, id int64) figure {
			return writerFault(t, id, "net-down-20s", 20*time.Second, func(ctx context.Context, w string) (lab.Undo, error) {
				return theLab.NetworkDown(ctx, w, 0)
			})
		}},
		// A frozen writer (an I/O stall, a VM pause): no check can fence
		// it and statements sent before the freeze wait inside it. Its
		// own coordinator must stop it from ever committing again (the
		// self-fence kills it after fence_timeout), so that it rejoins
		// without an errant transaction: set_online succeeds.
		{"mysqld-freeze-15s", func(t *testing.T, id int64) figure {
			return writerFault(t, id, "mysqld-freeze-15s", 15*time.Second, func(ctx context.Context, w string) (lab.Undo, error) {
				return theLab.FreezeMySQL(ctx, w)
			})
		}},
		// The same freeze with a client as applications have them: it
		// waits up to 30 s for an answer. The VIP has moved within
		// seconds, and once it has, nothing the frozen host sends can
		// reach the client: the writer's coordinator tickles the
		// client (an ACK it answers to the VIP's new holder, which
		// resets the session), so it reconnects instead of waiting.
		// The freeze outlasts the bound below: without the tickles the
		// client heard nothing before the thaw (15 s into a 15 s one).
		{"mysqld-freeze-25s-patient-client", func(t *testing.T, id int64) figure {
			f := writerFaultApp(t, id, "mysqld-freeze-25s-patient-client", 25*time.Second, patientAttempt,
				func(ctx context.Context, w string) (lab.Undo, error) { return theLab.FreezeMySQL(ctx, w) })
			if f.gap >= patientAttempt*2/3 {
				t.Errorf("a client waiting up to %v for an answer was without its writer for %v: it was not told that the VIP moved",
					patientAttempt, f.gap.Round(time.Millisecond))
			}
			return f
		}},
		{"semisync", semisync},
		{"io-thread-stop", ioThreadStop},
		{"reader-host-kill", readerHostKill},
		// Last: MMM's peer grace may hold the delay's state change until
		// PeerGrace after the active master's last change to ONLINE.
		{"replication-delay", replicationDelay},
		// Leaves the old master out of ONLINE, by design: the very last.
		{"errant-rejoin", errantRejoin},
	}
	for i, sc := range scenarios {
		var f figure
		ok := t.Run(sc.name, func(t *testing.T) { f = sc.run(t, int64(i+1)*1_000_000) })
		if f.scenario != "" {
			figures = append(figures, f)
		}
		if !ok {
			t.Logf("%s failed: the scenarios after it are not run", sc.name)
			return
		}
	}
}

// ready waits for a leader, sets db2 and db3 ONLINE (they start in
// AWAITING_RECOVERY) and waits for the writer VIP on the writer.
func ready(t *testing.T) {
	t.Helper()
	waitState(t, 60*time.Second, "the state machine started with a writer", func(s api.Snapshot) bool {
		return s.State.Started && writerOf(s) != ""
	})
	for _, h := range dbHosts {
		setOnline(t, h, 60*time.Second)
	}
	steady(t)
}

// steady waits until every host is ONLINE, a writer holds the writer VIP
// alone, nothing is pending, and replication runs as MMM has it: the
// masters from each other, db3 from the writer (read from the servers,
// not the leader's view); it returns the writer and the other master.
func steady(t *testing.T) (writer, peer string) {
	t.Helper()
	s := waitState(t, 60*time.Second, "every host ONLINE, nothing pending", func(s api.Snapshot) bool {
		for _, h := range dbHosts {
			if stateOf(s, h) != fsm.StateOnline {
				return false
			}
		}
		return writerOf(s) != "" && !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "pending") })
	})
	writer = writerOf(s)
	peer = "db1"
	if writer == "db1" {
		peer = "db2"
	}
	if !waitFor(15*time.Second, func() bool {
		h, err := theLab.VIPHolders(lab.WriterVIP)
		return err == nil && len(h) == 1 && h[0] == writer
	}) {
		h, _ := theLab.VIPHolders(lab.WriterVIP)
		t.Fatalf("the writer VIP is on %v, want %s alone", h, writer)
	}
	waitReplicates(t, writer, peer, 30*time.Second)
	waitReplicates(t, peer, writer, 30*time.Second)
	waitReplicates(t, "db3", writer, 30*time.Second)
	// The layout the coordinator keeps, although both masters' my.cnf
	// enable both sides (the seed's): the master side on the writer
	// only. The leader reads semisync every 10 s.
	var lerr error
	if !waitFor(60*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lerr = theLab.CheckSemisync(ctx, writer)
		return lerr == nil
	}) {
		t.Fatalf("semisync layout with %s as the writer not restored within 60 s:\n%v", writer, lerr)
	}
	return writer, peer
}

// startApp starts the app writer through the writer VIP and waits until
// it writes.
func startApp(t *testing.T, firstID int64) *lab.AppWriter {
	t.Helper()
	return startAppAttempt(t, firstID, 0)
}

// patientAttempt is how long a patient client waits for one insert,
// reconnect included.
const patientAttempt = 30 * time.Second

// startAppAttempt is startApp with each insert bounded by attempt (0:
// the app writer's default).
func startAppAttempt(t *testing.T, firstID int64, attempt time.Duration) *lab.AppWriter {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	app, err := theLab.StartAppWriter(ctx, lab.AppWriterOptions{Table: table, FirstID: firstID, Attempt: attempt, MaxTime: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !waitFor(10*time.Second, func() bool { return app.AckedSince(start) >= 20 }) {
		r := app.Stop()
		t.Fatalf("the app writer does not write through the VIP: %d tries, %d errors, last %v", r.Tries, r.Errors, r.LastError)
	}
	return app
}

// finish stops the app writer and checks that every acknowledged row is
// on the writer and on every other host that runs.
func finish(t *testing.T, app *lab.AppWriter, faultAt time.Time, name, writer string, hosts ...string) figure {
	t.Helper()
	rep := app.Stop()
	gap, end := rep.Gap(faultAt)
	f := figure{scenario: name, gap: gap, acked: len(rep.Acks), errors: rep.Errors, lost: map[string]int{}}
	ids := rep.IDs()
	for _, h := range append([]string{writer}, hosts...) {
		lost := lostRows(t, h, writer, table, ids)
		f.lost[h] = len(lost)
		if len(lost) > 0 {
			t.Errorf("%s lacks %d acknowledged rows: %v", h, len(lost), lost[:min(len(lost), 20)])
		}
	}
	t.Logf("app writer: %d tries, %d acknowledged, %d errors (last: %v); unavailable %v (until %s)",
		rep.Tries, len(rep.Acks), rep.Errors, rep.LastError, gap.Round(time.Millisecond), end.Format("15:04:05.000"))
	return f
}

// writerFault is a failover scenario: fault hits the writer with the app
// writer paused for that instant (so no transaction is in flight on the
// server it hits); the peer master must take over, db3 must follow it and
// the writes must flow again; after hold (from the fault) the fault is
// undone, the old master comes back AWAITING_RECOVERY, set_online makes it
// ONLINE replicating from the new writer, and no acknowledged row is
// missing anywhere.
func writerFault(t *testing.T, firstID int64, name string, hold time.Duration,
	fault func(ctx context.Context, w string) (lab.Undo, error)) figure {
	return writerFaultApp(t, firstID, name, hold, 0, fault)
}

// writerFaultApp is writerFault with the app writer's inserts bounded by
// attempt (0: its default).
func writerFaultApp(t *testing.T, firstID int64, name string, hold, attempt time.Duration,
	fault func(ctx context.Context, w string) (lab.Undo, error)) figure {
	ctx := context.Background()
	w, p := steady(t)
	app := startAppAttempt(t, firstID, attempt)
	defer app.Stop()

	resume := app.Pause()
	faultAt := time.Now()
	undo, err := fault(ctx, w)
	resume()
	if err != nil {
		t.Fatalf("%s on %s: %v", name, w, err)
	}
	undone := false
	defer func() {
		if !undone {
			_ = undo(context.Background())
		}
	}()
	t.Logf("%s: fault on the writer %s at %s", name, w, faultAt.Format("15:04:05.000"))

	waitState(t, 30*time.Second, p+" writer", func(s api.Snapshot) bool { return writerOf(s) == p })
	decided := time.Since(faultAt)
	s := waitState(t, 30*time.Second, w+" HARD_OFFLINE", func(s api.Snapshot) bool {
		return stateOf(s, w) == fsm.StateHardOffline
	})
	if !waitFor(30*time.Second, func() bool { return app.AckedSince(faultAt) >= 20 }) {
		r := app.Snapshot()
		t.Fatalf("no writes through the VIP after the failover: %d errors, last %v\nactions:\n%s", r.Errors, r.LastError, actions(history(faultAt)))
	}
	waitReplicates(t, "db3", p, 30*time.Second)
	t.Logf("%s: %s writer %v after the fault; state:\n%s", name, p, decided.Round(time.Millisecond), show(s))

	if wait := time.Until(faultAt.Add(hold)); wait > 0 {
		time.Sleep(wait)
	}
	if err := undo(ctx); err != nil {
		t.Fatalf("undo %s: %v", name, err)
	}
	undone = true
	// The demoted writer takes no write the moment the fault ends: a
	// frozen one resumes with statements that waited inside it.
	if ro := readOnly(t, w); !ro {
		t.Errorf("%s: %s is writable right after the fault ended: its own side did not fence it", name, w)
	}
	waitState(t, 60*time.Second, w+" back (AWAITING_RECOVERY: a former writer never skips it)", func(s api.Snapshot) bool {
		return stateOf(s, w) == fsm.StateAwaitingRecovery
	})
	setOnline(t, w, 60*time.Second)
	waitReplicates(t, w, p, 30*time.Second)
	f := finish(t, app, faultAt, name, p, w, "db3")
	f.note = fmt.Sprintf("%s -> %s decided after %v", w, p, decided.Round(time.Millisecond))
	final, _ := leaderSnapshot()
	h := history(faultAt)
	t.Logf("%s: final state:\n%s\nactions:\n%s", name, show(final), actions(h))
	for _, a := range []string{"catch-up " + p, "promote " + p, "open-writer " + p, "repoint db3 to " + p} {
		if !hasAction(h, a, "ok") {
			t.Errorf("no %q ok in the history", a)
		}
	}
	return f
}

// semisync: db3 alone acknowledges the writer's transactions (the peer's
// IO thread is stopped), then the writer's mysqld is killed: the peer
// must pull them from db3 before it opens for writes.
func semisync(t *testing.T, firstID int64) figure {
	ctx := context.Background()
	w, p := steady(t)
	app := startApp(t, firstID)
	defer app.Stop()
	undoIO, err := theLab.StopReplication(ctx, p, lab.ThreadIO)
	if err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	// Well within trap_period: the peer's rep_threads failure must not
	// be acted on (a restarted IO thread would fetch them itself).
	if !waitFor(5*time.Second, func() bool { return app.AckedSince(stopped) >= 20 }) {
		t.Fatal("no writes acknowledged with the peer's IO thread stopped")
	}
	resume := app.Pause()
	faultAt := time.Now()
	onlyDB3 := app.AckedSince(stopped)
	undo, err := theLab.KillMySQL(ctx, w)
	resume()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("semisync: %s's IO thread stopped; %d inserts acknowledged by db3 alone in %v; %s's mysqld killed",
		p, onlyDB3, faultAt.Sub(stopped).Round(time.Millisecond), w)
	waitState(t, 30*time.Second, p+" writer", func(s api.Snapshot) bool { return writerOf(s) == p })
	decided := time.Since(faultAt)
	s := waitState(t, 30*time.Second, w+" HARD_OFFLINE", func(s api.Snapshot) bool {
		return stateOf(s, w) == fsm.StateHardOffline
	})
	if !waitFor(30*time.Second, func() bool { return app.AckedSince(faultAt) >= 20 }) {
		t.Fatalf("no writes after the failover\nactions:\n%s", actions(history(faultAt)))
	}
	t.Logf("semisync: %s writer after %v:\n%s", p, decided.Round(time.Millisecond), show(s))
	// Rows acknowledged by db3 alone are on the new writer: checked with
	// every other acknowledged row by finish.
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	_ = undoIO // the new writer replicates from nobody: its IO thread stays stopped
	waitState(t, 60*time.Second, w+" AWAITING_RECOVERY", func(s api.Snapshot) bool {
		return stateOf(s, w) == fsm.StateAwaitingRecovery
	})
	setOnline(t, w, 60*time.Second)
	waitReplicates(t, w, p, 30*time.Second)
	waitReplicates(t, "db3", p, 30*time.Second)
	f := finish(t, app, faultAt, "semisync-db3-only", p, w, "db3")
	f.note = fmt.Sprintf("%d rows acked by db3 alone; %s -> %s after %v", onlyDB3, w, p, decided.Round(time.Millisecond))
	t.Logf("semisync: actions:\n%s", actions(history(faultAt)))
	return f
}

// ioThreadStop: db3's IO thread is stopped; the coordinator restarts it
// (REPLICATION_FAIL, then ONLINE again); the writer is not touched.
func ioThreadStop(t *testing.T, firstID int64) figure {
	ctx := context.Background()
	w, p := steady(t)
	app := startApp(t, firstID)
	defer app.Stop()
	faultAt := time.Now()
	if _, err := theLab.StopReplication(ctx, "db3", lab.ThreadIO); err != nil {
		t.Fatal(err)
	}
	// MMM's peer grace: within PeerGrace of the active master's last
	// change to ONLINE a replica's replication failure does not change its
	// state; the repair does not wait for it.
	sawFail := false
	waitState(t, 30*time.Second, "db3 replication restarted by the coordinator and db3 ONLINE", func(s api.Snapshot) bool {
		sawFail = sawFail || stateOf(s, "db3") == fsm.StateReplicationFail
		return stateOf(s, "db3") == fsm.StateOnline && hasAction(history(faultAt), "start-replication db3", "ok")
	})
	repaired := time.Since(faultAt)
	waitReplicates(t, "db3", w, 10*time.Second)
	final, _ := leaderSnapshot()
	if writerOf(final) != w {
		t.Errorf("the writer moved to %s", writerOf(final))
	}
	f := finish(t, app, faultAt, "io-thread-stop-db3", w, p, "db3")
	f.note = fmt.Sprintf("restarted after %v (REPLICATION_FAIL seen: %v)", repaired.Round(time.Millisecond), sawFail)
	t.Logf("io-thread-stop: final state:\n%s\nactions:\n%s", show(final), actions(history(faultAt)))
	return f
}

// replicationDelay: db3 applies 30 s late; beyond max_backlog (10 s) it
// becomes REPLICATION_DELAY and gives its reader IPs away; without the
// delay it is ONLINE again and gets reader IPs back.
func replicationDelay(t *testing.T, firstID int64) figure {
	ctx := context.Background()
	w, p := steady(t)
	app := startApp(t, firstID)
	defer app.Stop()
	faultAt := time.Now()
	undo, err := theLab.DelayReplication(ctx, "db3", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// MMM's peer grace holds the state for PeerGrace after the active
	// master's last change to ONLINE.
	limit := 30 * time.Second
	if st, ok := leaderSnapshot(); ok {
		if h := st.State.Host(w); h != nil {
			limit = max(limit, time.Until(h.OnlineSince.Add(fsm.PeerGrace))+15*time.Second)
		}
	}
	s := waitState(t, limit, "db3 REPLICATION_DELAY without reader roles", func(s api.Snapshot) bool {
		return stateOf(s, "db3") == fsm.StateReplicationDelay && len(s.State.HostRoles("db3")) == 0
	})
	delayed := time.Since(faultAt)
	if !waitFor(5*time.Second, func() bool { return len(theLab.ReaderVIPsOn("db3")) == 0 }) {
		t.Errorf("db3 still holds %v while REPLICATION_DELAY", theLab.ReaderVIPsOn("db3"))
	}
	t.Logf("delay: db3 REPLICATION_DELAY after %v:\n%s", delayed.Round(time.Millisecond), show(s))
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(t, 30*time.Second, "db3 ONLINE with a reader role", func(s api.Snapshot) bool {
		return stateOf(s, "db3") == fsm.StateOnline && len(s.State.HostRoles("db3")) > 0
	})
	if !waitFor(5*time.Second, func() bool { return len(theLab.ReaderVIPsOn("db3")) > 0 }) {
		t.Errorf("db3 holds no reader VIP after it is ONLINE again")
	}
	f := finish(t, app, faultAt, "replication-delay-db3", w, p, "db3")
	f.note = fmt.Sprintf("REPLICATION_DELAY after %v", delayed.Round(time.Millisecond))
	return f
}

// readerHostKill: the host of a reader VIP dies (not the writer, not the
// raft leader); the VIP must answer from another host (a TCP connect to
// MySQL on it from app) within 2 s of the state machine reassigning it;
// after the host returns, balancing moves an IP back to it (a move
// between two live hosts).
func readerHostKill(t *testing.T, firstID int64) figure {
	ctx := context.Background()
	steady(t)
	s, _ := leaderSnapshot()
	// The victim holds a reader IP and is neither the writer nor the raft
	// leader: the leader's death would add an election to the detection.
	var ip netip.Addr
	var host string
	for _, h := range []string{"db3", "db1", "db2"} {
		if h == writerOf(s) || h == s.Leader {
			continue
		}
		for _, r := range s.State.HostRoles(h) {
			if r.Role == "reader" && !ip.IsValid() {
				ip, host = r.IP, h
			}
		}
	}
	if !ip.IsValid() {
		t.Fatalf("no reader IP on a host that is neither writer nor leader (%s):\n%s", s.Leader, show(s))
	}
	if err := connect(ctx, ip); err != nil {
		t.Fatalf("%s (%s) is not reachable from app before the fault: %v", ip, host, err)
	}
	killAt := time.Now()
	undo, err := theLab.KillHost(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	var assignedAt, reachableAt time.Time
	var to string
	ok := waitFor(30*time.Second, func() bool {
		if assignedAt.IsZero() {
			if s, ok := leaderSnapshot(); ok {
				if o := ipOwner(s, ip); o != "" && o != host {
					assignedAt, to = time.Now(), o
				}
			}
		}
		if !assignedAt.IsZero() && connect(ctx, ip) == nil {
			reachableAt = time.Now()
			return true
		}
		return false
	})
	if !ok {
		t.Fatalf("%s not reachable on another host (assigned to %q at %v)", ip, to, assignedAt)
	}
	move := reachableAt.Sub(assignedAt)
	t.Logf("reader VIP %s: %s killed (leader %s); reassigned to %s after %v, reachable from app %v later (%v after the kill)",
		ip, host, s.Leader, to, assignedAt.Sub(killAt).Round(time.Millisecond), move.Round(time.Millisecond), reachableAt.Sub(killAt).Round(time.Millisecond))
	if move > 2*time.Second {
		t.Errorf("reader VIP reachable %v after its reassignment, want within 2 s", move)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	setOnline(t, host, 90*time.Second)
	back := waitState(t, 30*time.Second, host+" holds a reader IP again", func(s api.Snapshot) bool { return len(s.State.HostRoles(host)) > 0 })
	var backIP netip.Addr
	for _, r := range back.State.HostRoles(host) {
		backIP = r.IP
	}
	movedAt := time.Now()
	if !waitFor(10*time.Second, func() bool {
		return slices.Contains(theLab.ReaderVIPsOn(host), backIP.String()) && connect(ctx, backIP) == nil
	}) {
		t.Fatalf("%s assigned back to %s but not reachable there", backIP, host)
	}
	t.Logf("reader VIP %s moved back to %s (between two live hosts): reachable %v after the reassignment was seen",
		backIP, host, time.Since(movedAt).Round(time.Millisecond))
	return figure{scenario: "reader-host-kill-" + host, gap: reachableAt.Sub(killAt), lost: map[string]int{},
		note: fmt.Sprintf("reader %s: reassigned %v after the kill, reachable %v after that", ip,
			assignedAt.Sub(killAt).Round(time.Millisecond), move.Round(time.Millisecond))}
}

// ipOwner returns the host a role IP is assigned to.
func ipOwner(s api.Snapshot, ip netip.Addr) string {
	for _, h := range dbHosts {
		for _, r := range s.State.HostRoles(h) {
			if r.IP == ip {
				return h
			}
		}
	}
	return ""
}

// connect opens a TCP connection from app to MySQL on ip and closes it.
func connect(ctx context.Context, ip netip.Addr) error {
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	c, err := theLab.Dial(ctx, "app", netip.AddrPortFrom(ip, lab.MySQLPort).String())
	if err != nil {
		return err
	}
	return c.Close()
}

// errantRejoin: the writer's mysqld stops, the peer takes over; the old
// master comes back with a transaction nobody else has (written by root
// while read-only, as one that died unshipped would be). Its rejoin must
// refuse: the errant GTID reported in the history, its replication
// stopped; once the rep_threads check stored that, set_online is refused
// and it stays AWAITING_RECOVERY. Acknowledged rows are checked on the
// writer and db3.
func errantRejoin(t *testing.T, firstID int64) figure {
	ctx := context.Background()
	w, p := steady(t)
	app := startApp(t, firstID)
	defer app.Stop()
	resume := app.Pause()
	faultAt := time.Now()
	undo, err := theLab.StopMySQL(ctx, w)
	resume()
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, 30*time.Second, p+" writer", func(s api.Snapshot) bool { return writerOf(s) == p })
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	db := root(t, w)
	var errant string
	_, err = db.ExecContext(ctx, "INSERT INTO "+lab.AppDatabase+"."+table+" (id) VALUES (?)", -firstID)
	if err == nil {
		err = db.QueryRowContext(ctx, "SELECT @@last_gtid").Scan(&errant)
	}
	db.Close()
	if err != nil {
		t.Fatalf("errant write on %s: %v", w, err)
	}
	t.Logf("errant: %s back with %s, which nobody else has", w, errant)
	var refused api.HistoryEntry
	waitState(t, 60*time.Second, "the rejoin of "+w+" refused for "+errant, func(s api.Snapshot) bool {
		for _, e := range history(faultAt) {
			if e.Kind == "action" && e.Outcome == "failed" && strings.Contains(e.Error, errant) && strings.Contains(e.Error, "errant") {
				refused = e
				return true
			}
		}
		return false
	})
	t.Logf("errant: %s %s: %s", refused.Text, refused.Outcome, refused.Error)
	// At once, before any check has seen the stopped replication: the
	// refusal itself holds the host out of ONLINE.
	if reply, err := command("set_online " + w); err == nil {
		t.Errorf("set_online %s right after its refused rejoin accepted: %+v", w, reply)
	} else if !strings.Contains(err.Error(), errant) {
		t.Errorf("set_online %s refused, but not for %s: %v", w, errant, err)
	}
	// The checks see the stopped replication after trap_period.
	learned := waitState(t, 15*time.Second, w+"'s rep_threads failure stored", func(s api.Snapshot) bool {
		h := s.State.Host(w)
		return h != nil && !h.Checks[fsm.CheckRepThreads-1].OK
	})
	t.Logf("errant: the state machine stored %s's replication failure %v after the refusal", w,
		time.Since(refused.Time).Round(time.Millisecond))
	reply, err := command("set_online " + w)
	if err == nil {
		t.Errorf("set_online %s accepted (%+v) with an errant transaction; state:\n%s", w, reply, show(learned))
	} else {
		t.Logf("errant: set_online %s refused: %v", w, err)
	}
	time.Sleep(3 * time.Second) // no automatic ONLINE either
	final, _ := leaderSnapshot()
	if got := stateOf(final, w); got != fsm.StateAwaitingRecovery {
		t.Errorf("%s is %s, want AWAITING_RECOVERY", w, got)
	}
	f := finish(t, app, faultAt, "errant-rejoin", p, "db3")
	f.note = fmt.Sprintf("%s refused for %s; set_online refused", w, errant)
	t.Logf("errant: final state:\n%s\nactions:\n%s", show(final), actions(history(faultAt)))
	return f
}
