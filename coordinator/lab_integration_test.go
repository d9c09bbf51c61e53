//go:build integration

package coordinator_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

var dbHosts = []string{"db1", "db2", "db3"}

func client(t *testing.T, host string) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.ClientOptions{Socket: filepath.Join(theLab.StateDir(), host, "mmm.sock")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// snapshot reads host's view over its socket; ok is false when it does
// not answer.
func snapshot(t *testing.T, host string) (api.Snapshot, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := client(t, host).Snapshot(ctx)
	return s, err == nil
}

// poll calls cond every 10 ms until it holds; false after limit.
func poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// agreedLeader waits until every host in hosts names the same leader,
// one of hosts.
func agreedLeader(t *testing.T, limit time.Duration, hosts ...string) string {
	t.Helper()
	leader := ""
	if !poll(limit, func() bool {
		leader = ""
		for i, h := range hosts {
			s, ok := snapshot(t, h)
			if !ok || s.Leader == "" || (i > 0 && s.Leader != leader) {
				return false
			}
			leader = s.Leader
		}
		return slices.Contains(hosts, leader)
	}) {
		t.Fatalf("no leader agreed by %v within %v", hosts, limit)
	}
	return leader
}

func command(t *testing.T, host, line string) fsm.Reply {
	t.Helper()
	cmd, err := fsm.ParseCommand(line)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := client(t, host).Command(ctx, cmd)
	if err != nil {
		t.Fatalf("%s through %s: %v", line, host, err)
	}
	return r
}

func hostStatus(s api.Snapshot, host string) fsm.HostStatus {
	if h := s.State.Host(host); h != nil {
		return *h
	}
	return fsm.HostStatus{}
}

// online brings host to ONLINE (set_online while AWAITING_RECOVERY,
// retried until its replication is verified).
func online(t *testing.T, via, host string) {
	t.Helper()
	if !poll(60*time.Second, func() bool {
		s, ok := snapshot(t, via)
		if !ok || !s.State.Started {
			return false
		}
		switch hostStatus(s, host).State {
		case fsm.StateOnline:
			return true
		case fsm.StateAwaitingRecovery:
			command(t, via, "set_online "+host)
		}
		return false
	}) {
		s, _ := snapshot(t, via)
		t.Fatalf("%s not ONLINE:\n%s", host, fsm.Show(s.Spec, s.State))
	}
}

// TestLabSameStateEverywhere: the three coordinators agree on a leader
// and every node's socket shows the same committed state.
func TestLabSameStateEverywhere(t *testing.T) {
	agreedLeader(t, 30*time.Second, dbHosts...)
	// The monitor commits a round every second: compare views taken at
	// the same raft index.
	var views [3]api.Snapshot
	if !poll(30*time.Second, func() bool {
		for i, h := range dbHosts {
			s, ok := snapshot(t, h)
			if !ok || !s.State.Started {
				return false
			}
			views[i] = s
		}
		return views[0].Applied == views[1].Applied && views[1].Applied == views[2].Applied
	}) {
		t.Fatalf("no moment with one applied index: %d %d %d", views[0].Applied, views[1].Applied, views[2].Applied)
	}
	a, _ := json.Marshal(views[0].State)
	for i := 1; i < 3; i++ {
		b, _ := json.Marshal(views[i].State)
		if string(a) != string(b) {
			t.Errorf("%s and %s differ at index %d:\n%s\n%s", dbHosts[0], dbHosts[i], views[0].Applied, a, b)
		}
	}
	t.Logf("index %d, leader %s:\n%s", views[0].Applied, views[0].Leader, fsm.Show(views[0].Spec, views[0].State))
}

// TestLabLeaderKilled: db3's mysqld dies (a flap, reported at once by
// db3's own coordinator) and comes back, db3 is set ADMIN_OFFLINE; then
// the leader coordinator is killed. Another leads, the flap and the
// ADMIN_OFFLINE host are intact, and the killed one catches up when it is
// started again.
func TestLabLeaderKilled(t *testing.T) {
	leader := agreedLeader(t, 30*time.Second, dbHosts...)
	online(t, leader, "db2")
	online(t, leader, "db3")

	ctx := context.Background()
	killed := time.Now()
	undo, err := theLab.KillMySQL(ctx, "db3")
	if err != nil {
		t.Fatal(err)
	}
	if !poll(20*time.Second, func() bool {
		s, ok := snapshot(t, leader)
		return ok && hostStatus(s, "db3").State == fsm.StateHardOffline
	}) {
		t.Fatal("db3 not HARD_OFFLINE after its mysqld was killed")
	}
	t.Logf("db3 HARD_OFFLINE %v after its mysqld was killed (trap_period 2 s)", time.Since(killed).Round(time.Millisecond))
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	online(t, leader, "db3")
	if r := command(t, leader, "set_offline db3"); !r.OK {
		t.Fatalf("set_offline db3: %+v", r)
	}
	before, _ := snapshot(t, leader)
	flap := hostStatus(before, "db3")
	if flap.FlapCount != 1 || flap.FlapStart.IsZero() || flap.State != fsm.StateAdminOffline {
		t.Fatalf("db3 before: state %s, flaps %d since %v", flap.State, flap.FlapCount, flap.FlapStart)
	}
	hist, err := client(t, leader).History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}

	// The writer must keep its eligibility through the election: its
	// lease (1 s in the lab) has to outlast it. The leader leaves the
	// writer host 5 s into its term (leadership transfer).
	writer := before.State.Owner("writer")
	if leader == writer {
		if !poll(20*time.Second, func() bool {
			leader = agreedLeader(t, 10*time.Second, dbHosts...)
			return leader != writer
		}) {
			t.Fatalf("the leadership stayed on the writer host %s", writer)
		}
	}
	watch := make(chan struct{})
	closedAt := make(chan time.Duration, 1)
	start := time.Now()
	if writer != "" && writer != leader {
		go func() {
			defer close(closedAt)
			for {
				select {
				case <-watch:
					return
				case <-time.After(10 * time.Millisecond):
				}
				if ok, err := keepalived.ReadTrackFile(theLab.TrackFilePath(writer)); err == nil && !ok {
					closedAt <- time.Since(start)
					return
				}
			}
		}()
	} else {
		close(closedAt)
	}
	restart, err := theLab.KillDaemon(ctx, leader, "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for _, h := range dbHosts {
		if h != leader {
			rest = append(rest, h)
		}
	}
	next := agreedLeader(t, 15*time.Second, rest...)
	t.Logf("leader %s killed; %s leads after %v", leader, next, time.Since(start).Round(time.Millisecond))
	if writer != "" && writer != leader {
		// Watch until the writer itself follows the new leader: from then
		// on its lease runs from that leader's heartbeats.
		poll(5*time.Second, func() bool { s, ok := snapshot(t, writer); return ok && s.Leader == next })
	}
	close(watch)
	if d, closed := <-closedAt; closed {
		t.Errorf("the writer %s's track file closed %v into the election: its lease ran out before a new leader spoke", writer, d.Round(time.Millisecond))
	} else if writer != "" && writer != leader {
		t.Logf("the writer %s kept its eligibility through the election", writer)
	}
	after, _ := snapshot(t, next)
	got := hostStatus(after, "db3")
	if got.State != fsm.StateAdminOffline || got.FlapCount != flap.FlapCount || !got.FlapStart.Equal(flap.FlapStart) {
		t.Errorf("db3 on the new leader: state %s, flaps %d since %v; want ADMIN_OFFLINE, %d since %v",
			got.State, got.FlapCount, got.FlapStart, flap.FlapCount, flap.FlapStart)
	}
	// Entries the old leader committed last reach the new one's state
	// once it has committed an entry of its own term.
	var newHist []api.HistoryEntry
	if !poll(5*time.Second, func() bool {
		newHist, err = client(t, next).History(ctx, 0)
		return err == nil && len(hist) > 0 && containsEntry(newHist, hist[len(hist)-1])
	}) {
		t.Errorf("the new leader's history lost entries: %d before, %d after (%v)", len(hist), len(newHist), err)
	}

	if err := restart(ctx); err != nil {
		t.Fatal(err)
	}
	if !poll(30*time.Second, func() bool {
		a, ok1 := snapshot(t, leader)
		b, ok2 := snapshot(t, next)
		return ok1 && ok2 && a.Leader == next && a.Applied >= b.Applied-2 &&
			hostStatus(a, "db3").State == fsm.StateAdminOffline && hostStatus(a, "db3").FlapCount == flap.FlapCount
	}) {
		t.Fatalf("the restarted %s did not catch up", leader)
	}
	if r := command(t, next, "set_online db3"); !r.OK {
		t.Errorf("set_online db3: %+v", r)
	}
}

func containsEntry(h []api.HistoryEntry, e api.HistoryEntry) bool {
	for _, x := range h {
		if x.Index == e.Index && x.Text == e.Text {
			return true
		}
	}
	return false
}

// TestLabPartitionClosesTrackFile: the writer host's coordinator cut off
// from the leader (bridge port isolation, the lab's partition) closes
// its track file within the lease. It runs last: the majority then moves
// the writer role away from db1.
func TestLabPartitionClosesTrackFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(theLab.StateDir(), "db1", "writer.track")
	eligible := func() bool { ok, _ := keepalived.ReadTrackFile(path); return ok }
	var leader string
	// Leadership moves off the writer host by itself (leadership transfer).
	if !poll(90*time.Second, func() bool {
		leader = agreedLeader(t, 30*time.Second, dbHosts...)
		s, _ := snapshot(t, leader)
		return leader != "db1" && s.State.Owner("writer") == "db1" && eligible()
	}) {
		t.Fatalf("no moment with db1 the eligible writer and another leader (leader %s)", leader)
	}
	cut := time.Now()
	heal, err := theLab.Partition(ctx, "db1", leader)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := heal(ctx); err != nil {
			t.Error(err)
		}
	}()
	if !poll(15*time.Second, func() bool { return !eligible() }) {
		t.Fatal("db1's track file still eligible 15 s after the cut")
	}
	t.Logf("db1 cut from the leader %s: track file closed after %v (lease 2 s)", leader, time.Since(cut).Round(time.Millisecond))
}
