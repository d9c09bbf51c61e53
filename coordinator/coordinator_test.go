package coordinator

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

func hostState(c *Coordinator, host string) fsm.HostState {
	v := c.Replica().View()
	if h := v.State.Host(host); h != nil {
		return h.State
	}
	return fsm.StateUnknown
}

func command(t *testing.T, c *Coordinator, line string) fsm.Reply {
	t.Helper()
	cmd, err := fsm.ParseCommand(line)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Command(ctx, cmd)
	if err != nil {
		t.Fatalf("%s on %s: %v", line, c.Host(), err)
	}
	return r
}

// TestClusterReplicates: a leader is elected, the monitor starts the
// state machine (db1, the writable master, becomes the writer and its
// track file opens), a command applied on the leader is seen on every
// node, and a follower answers commands with *api.NotLeaderError.
func TestClusterReplicates(t *testing.T) {
	tc := newTestCluster(t, nil)
	l := tc.leader()
	eventually(t, 10*time.Second, "every node sees db1 ONLINE and writer", func() bool {
		for _, h := range []string{"db1", "db2", "db3"} {
			v := tc.node(h).Replica().View()
			if hostState(tc.node(h), "db1") != fsm.StateOnline || v.Writer != "db1" {
				return false
			}
		}
		return true
	})
	eventually(t, 5*time.Second, "db1's track file eligible", func() bool { return trackEligible(t, tc.cfg.Host("db1").TrackFile) })
	for _, h := range []string{"db2", "db3"} {
		if trackEligible(t, tc.cfg.Host(h).TrackFile) {
			t.Errorf("%s's track file is eligible", h)
		}
	}
	setOnline(t, l, "db3")
	if r := command(t, l, "set_offline db3"); !r.OK {
		t.Fatalf("set_offline db3: %+v", r)
	}
	eventually(t, 5*time.Second, "db3 ADMIN_OFFLINE on every node", func() bool {
		for _, h := range []string{"db1", "db2", "db3"} {
			if hostState(tc.node(h), "db3") != fsm.StateAdminOffline {
				return false
			}
		}
		return true
	})
	for _, h := range []string{"db1", "db2", "db3"} {
		c := tc.node(h)
		if c == l {
			continue
		}
		_, err := c.Command(context.Background(), fsm.Command{Op: fsm.OpMode})
		var nl *api.NotLeaderError
		if !errors.As(err, &nl) || nl.Leader != l.Host() || nl.LeaderAPI != tc.cfg.Host(l.Host()).APIAddress {
			t.Errorf("%s: Command = %v, want NotLeaderError naming %s", h, err, l.Host())
		}
		snap, err := c.Snapshot(context.Background())
		if err != nil || snap.Leader != l.Host() || len(snap.Members) != 3 {
			t.Errorf("%s: Snapshot = %+v, %v", h, snap, err)
		}
	}
	hist, _ := l.History(context.Background(), 0)
	if !hasHistory(hist, "command", "set_offline db3") || !hasHistory(hist, "action", "open-writer db1") {
		t.Errorf("history lacks the command or the open-writer action: %+v", hist)
	}
}

// setOnline waits for the startup and sets host ONLINE (it starts in
// AWAITING_RECOVERY: auto_set_online is off).
func setOnline(t *testing.T, c *Coordinator, host string) {
	t.Helper()
	eventually(t, 10*time.Second, host+" AWAITING_RECOVERY", func() bool { return hostState(c, host) == fsm.StateAwaitingRecovery })
	if r := command(t, c, "set_online "+host); !r.OK {
		t.Fatalf("set_online %s: %+v", host, r)
	}
}

func hasHistory(h []api.HistoryEntry, kind, text string) bool {
	for _, e := range h {
		if e.Kind == kind && len(e.Text) >= len(text) && e.Text[:len(text)] == text {
			return true
		}
	}
	return false
}

// TestLeaderKilled: after the leader dies another node leads, the
// ADMIN_OFFLINE host and the history survive, and the killed node
// catches up when it comes back.
func TestLeaderKilled(t *testing.T) {
	tc := newTestCluster(t, nil)
	l := tc.leader()
	setOnline(t, l, "db3")
	if r := command(t, l, "set_offline db3"); !r.OK {
		t.Fatalf("set_offline db3: %+v", r)
	}
	old := l.Host()
	start := time.Now()
	tc.kill(old)
	stopped := time.Since(start)
	nl := tc.leader()
	t.Logf("the leader stopped in %v; new leader %s %v after the kill began", stopped, nl.Host(), time.Since(start))
	if nl.Host() == old {
		t.Fatalf("the killed node %s leads", old)
	}
	// Intact = there once the new leader applied what it inherited (it
	// learns the commit of the old leader's last entries with its own
	// first one): a lost entry never shows up.
	eventually(t, 5*time.Second, "db3 ADMIN_OFFLINE on the new leader", func() bool {
		return hostState(nl, "db3") == fsm.StateAdminOffline
	})
	hist, _ := nl.History(context.Background(), 0)
	if !hasHistory(hist, "command", "set_offline db3") {
		t.Errorf("new leader's history lacks set_offline db3")
	}
	if r := command(t, nl, "set_online db3"); !r.OK {
		t.Fatalf("set_online db3 on the new leader: %+v", r)
	}
	// Caught up = has what was committed before it came back. Not
	// "applied the leader's index": the leader keeps committing a round
	// every check period, and a follower learns the commit index of an
	// entry only with the next one, so it is one behind most of the time.
	want := nl.Replica().Applied()
	back := tc.start(old)
	eventually(t, 10*time.Second, "the restarted node catches up", func() bool {
		return back.Replica().Applied() >= want && hostState(back, "db3") == fsm.StateOnline
	})
}

// TestStopHandsLeadershipOver: a leader that is stopped (not killed)
// hands the leadership to another member before raft stops: first to a
// host that cannot be writer (db3), then to a master that is not the
// writer (db2, not db1). The followers' heartbeat timeout is 5 s here,
// so a leader within 2 s of the stop can only come from the handoff,
// not from an election.
func TestStopHandsLeadershipOver(t *testing.T) {
	tc := newTestClusterWith(t, nil, func(c *config.Config) {
		c.Coordinator.RaftHeartbeatTimeout = 5 * time.Second
		c.Coordinator.RaftElectionTimeout = 5 * time.Second
		c.Coordinator.RaftLeaderLeaseTimeout = 2500 * time.Millisecond
		c.Coordinator.Lease = 20 * time.Second
	}, func(tc *testCluster) { tc.transfer = true })
	l := tc.leader()
	eventually(t, 10*time.Second, "db1 is the writer", func() bool {
		v := l.Replica().View()
		return v.State.Owner("writer") == "db1"
	})
	if l.Host() != "db2" {
		if err := l.node.raft.LeadershipTransferToServer("db2", raft.ServerAddress(tc.cfg.Host("db2").RaftAddress)).Error(); err != nil {
			t.Fatal(err)
		}
		l = tc.leader()
	}
	stopTo := func(from, want string) {
		t.Helper()
		start := time.Now()
		tc.kill(from)
		eventually(t, 2*time.Second, want+" leads (an election would take ≥ 5 s)", func() bool {
			for _, h := range []string{"db1", "db2", "db3"} {
				if n := tc.node(h); n != nil && n.IsLeader() {
					return h == want
				}
			}
			return false
		})
		t.Logf("%s stopped; %s leads %v after the stop began", from, want, time.Since(start).Round(time.Millisecond))
	}
	stopTo("db2", "db3")
	back := tc.start("db2")
	nl := tc.node("db3")
	eventually(t, 10*time.Second, "db2 back and heard from", func() bool {
		return back.Leader() == "db3" && nl.node.peerReachable("db2", time.Now(), tc.cfg.Coordinator.Lease/4)
	})
	stopTo("db3", "db2")
}

// blockingExecutor blocks every promote until released (all nodes share
// release) or its context ends (the leader is killed); it counts the
// promotes it finished.
type blockingExecutor struct {
	release chan struct{}
	started chan string
	ran     atomic.Int32
	host    string
}

func (b *blockingExecutor) Execute(ctx context.Context, a fsm.Action) error {
	select {
	case b.started <- b.host:
	default:
	}
	select {
	case <-b.release:
		b.ran.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestPendingActionRerunByNewLeader: the first leader dies while it
// executes the startup's promote; the next leader runs it again and the
// writer gate opens only after that.
func TestPendingActionRerunByNewLeader(t *testing.T) {
	started := make(chan string, 8)
	release := make(chan struct{})
	ex := map[string]*blockingExecutor{}
	execs := map[string]map[string]Executor{}
	for _, h := range []string{"db1", "db2", "db3"} {
		ex[h] = &blockingExecutor{release: release, started: started, host: h}
		execs[h] = map[string]Executor{KindPromote: ex[h]}
	}
	tc := newTestCluster(t, execs)
	first := tc.leader()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the leader never started the promote")
	}
	if w := first.Replica().Writer(); w != "" {
		t.Fatalf("writer gate %q open before the promote finished", w)
	}
	tc.kill(first.Host())
	close(release)
	nl := tc.leader()
	eventually(t, 10*time.Second, "the new leader finishes the promote and opens db1's gate", func() bool {
		return nl.Replica().Writer() == "db1" && len(nl.Replica().Pending()) == 0
	})
	if n := ex[first.Host()].ran.Load(); n != 0 {
		t.Errorf("the killed leader finished promote %d times", n)
	}
	total := int32(0)
	for _, e := range ex {
		total += e.ran.Load()
	}
	if total != 1 {
		t.Errorf("promote finished %d times, want once", total)
	}
}

// TestLeaseClosesTrackFile: the writer's node cut off from the others
// closes its track file within the lease, while the majority elects a
// leader without it.
func TestLeaseClosesTrackFile(t *testing.T) {
	tc := newTestCluster(t, nil)
	tc.leader()
	path := tc.cfg.Host("db1").TrackFile
	eventually(t, 10*time.Second, "db1's track file eligible", func() bool { return trackEligible(t, path) })
	cut := time.Now()
	tc.isolate("db1")
	lease := tc.cfg.Coordinator.Lease
	eventually(t, 10*lease, "db1's track file closed after the cut", func() bool { return !trackEligible(t, path) })
	t.Logf("closed %v after the cut (lease %v)", time.Since(cut).Round(time.Millisecond), lease)
}

// TestDispatcherSkipsWithoutExecutor: actions of a kind without an
// executor (promote, reader VIPs here) are recorded as skipped, not
// claimed done, and do not block the ones after them.
func TestDispatcherSkipsWithoutExecutor(t *testing.T) {
	tc := newTestCluster(t, nil)
	l := tc.leader()
	eventually(t, 10*time.Second, "no pending actions", func() bool {
		return l.Replica().Started() && len(l.Replica().Pending()) == 0
	})
	hist, _ := l.History(context.Background(), 0)
	found := false
	for _, e := range hist {
		if e.Kind == "action" && e.Outcome == OutcomeSkipped.String() && e.Error == "no executor" {
			found = true
		}
	}
	if !found {
		t.Errorf("no action recorded as skipped: %+v", hist)
	}
}

// TestNewLeaderKeepsSilentHostUnreachable: a host whose coordinator is
// cut off stays unreachable across a change of leader. The new leader
// counts every peer as heard from at the start of its term (for the
// lease, the safe side), which made it commit "Agent on host … is
// reachable again" for a host still cut off, then lose it again.
func TestNewLeaderKeepsSilentHostUnreachable(t *testing.T) {
	tc := newTestCluster(t, nil)
	l := tc.leader()
	victim := "db3"
	if l.Host() == victim {
		victim = "db2"
	}
	tc.isolate(victim)
	unreachable := func(c *Coordinator) bool {
		st := c.Replica().View().State
		h := st.Host(victim)
		return h != nil && h.Unreachable
	}
	eventually(t, 10*time.Second, victim+" unreachable in the committed state", func() bool { return unreachable(l) })
	if err := l.node.raft.LeadershipTransfer().Error(); err != nil {
		t.Fatalf("leadership transfer: %v", err)
	}
	var nl *Coordinator
	eventually(t, 10*time.Second, "a new leader", func() bool {
		for _, h := range []string{"db1", "db2", "db3"} {
			if c := tc.node(h); c != nil && h != victim && h != l.Host() && c.IsLeader() {
				nl = c
				return true
			}
		}
		return false
	})
	// It applies what it inherited first (the old leader's entries).
	eventually(t, 5*time.Second, "the new leader applied "+victim+"'s loss", func() bool { return unreachable(nl) })
	// Four lease-based losses' worth of rounds (lease 500 ms here).
	deadline := time.Now().Add(4 * lostAfter(tc.cfg.Coordinator.Lease))
	for time.Now().Before(deadline) {
		if !unreachable(nl) {
			t.Fatalf("the new leader %s has %s reachable while it is cut off", nl.Host(), victim)
		}
		time.Sleep(20 * time.Millisecond)
	}
	hist, _ := nl.History(context.Background(), 0)
	for _, e := range hist {
		if e.Kind == "event" && strings.Contains(e.Text, "Agent on host '"+victim+"' is reachable again") {
			t.Errorf("history: %s %s", e.Time.Format("15:04:05.000"), e.Text)
		}
	}
}
