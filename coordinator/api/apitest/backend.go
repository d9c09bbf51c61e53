// Package apitest provides an api.Backend for tests of the API server and
// its clients: the real MMM state machine (coordinator/fsm) on the lab
// topology, behind a mutex, with switches for leadership and failures.
// It plays one coordinator; several Backends sharing nothing play a
// leader and followers.
package apitest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config/configtest"
)

// Config is the lab topology in MMM's format: db1 and db2 masters (writer
// 198.18.0.100), db3 a replica, readers 198.18.0.101-103.
const Config = `active_master_role writer
<host default>
    cluster_interface eth0
</host>
` + configtest.Topology + `<keepalived>
    virtual_router_id 51
</keepalived>
`

// Start is the fake clock's first reading; every input advances it by a
// second.
var Start = time.Date(2026, 5, 27, 14, 0, 0, 0, time.UTC)

// Backend is a fake coordinator. Its methods are safe for concurrent use.
type Backend struct {
	mu        sync.Mutex
	m         *fsm.Machine
	now       time.Time
	index     uint64
	node      string
	leader    string
	leaderAPI string
	err       error
	obs       []api.HostObs
	history   []api.HistoryEntry
	commands  []fsm.Command
	vrrp      []api.VRRPReport
	fail      map[string]string // FailActions
	// LagReads: the next lag Snapshots answer with the state from before
	// the last command, as a follower that has not applied it yet.
	lag, pendingLag int
	before          *fsm.State
}

var _ api.Backend = (*Backend)(nil)

// New returns the leader db1 of a healthy cluster: every host ONLINE,
// db1 the writer, db3 replicating from db1; show says
//
//	db1(198.18.0.11) master/ONLINE. Roles: reader(198.18.0.101), writer(198.18.0.100)
//	db2(198.18.0.12) master/ONLINE. Roles: reader(198.18.0.103)
//	db3(198.18.0.13) slave/ONLINE. Roles: reader(198.18.0.102)
func New(t testing.TB) *Backend {
	t.Helper()
	cfg, err := config.Parse("mmm_common.conf", []byte(Config))
	if err != nil {
		t.Fatalf("apitest: config: %v", err)
	}
	m, err := fsm.New(fsm.SpecFromConfig(cfg))
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	b := &Backend{m: m, now: Start, node: "db1", leader: "db1"}
	for _, h := range []string{"db1", "db2", "db3"} {
		for _, c := range fsm.AllChecks {
			b.step(fsm.Probe{Host: h, Check: c, Result: fsm.ResultOK, Message: "OK"})
		}
	}
	b.step(fsm.Writable{Host: "db1", Writable: true})
	b.step(fsm.VRRP{Host: "db1", State: fsm.VRRPMaster})
	b.step(fsm.VRRP{Host: "db2", State: fsm.VRRPBackup})
	b.step(fsm.Follows{Host: "db1", Master: "db2"})
	b.step(fsm.Follows{Host: "db2", Master: "db1"})
	b.step(fsm.Follows{Host: "db3", Master: "db1"})
	b.step(fsm.VIPs{Host: "db1", IPs: []netip.Addr{netip.MustParseAddr("198.18.0.101")}})
	b.step(fsm.VIPs{Host: "db2", IPs: []netip.Addr{netip.MustParseAddr("198.18.0.102")}})
	b.step(fsm.Start{})
	if out := b.step(fsm.Command{Op: fsm.OpSetOnline, Host: "db3"}); out.Reply == nil || !out.Reply.OK {
		t.Fatalf("apitest: set_online db3: %+v", out.Reply)
	}
	yes, no, zero, one := true, false, int64(0), 1
	b.obs = []api.HostObs{
		{Host: "db1", Reachable: true, ReadOnly: &no, Master: "db2", IORunning: "Yes", SQLRunning: "Yes",
			SecondsBehind: &zero, GTIDExecuted: "0-1-100", SemisyncOn: &yes, SemisyncPeers: &one},
		{Host: "db2", Reachable: true, ReadOnly: &yes, Master: "db1", IORunning: "Yes", SQLRunning: "Yes",
			SecondsBehind: &zero, GTIDExecuted: "0-1-100", SemisyncOn: &no},
		{Host: "db3", Reachable: true, ReadOnly: &yes, Master: "db1", IORunning: "Yes", SQLRunning: "Yes",
			SecondsBehind: &zero, GTIDExecuted: "0-1-99"},
	}
	for i := range b.obs {
		b.obs[i].Observed = b.now
	}
	return b
}

// SetLeader makes this backend the node `node` and says who leads: when
// leader differs from node, writes return *api.NotLeaderError naming
// leader and leaderAPI (leader "" = no leader known).
func (b *Backend) SetLeader(node, leader, leaderAPI string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.node, b.leader, b.leaderAPI = node, leader, leaderAPI
}

// SetError makes every method fail with err (nil: work again).
func (b *Backend) SetError(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

// SetObservation replaces the leader's observation of obs.Host (status).
func (b *Backend) SetObservation(obs api.HostObs) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.obs {
		if b.obs[i].Host == obs.Host {
			b.obs[i] = obs
		}
	}
}

// Step feeds an observation (or command) to the state machine.
func (b *Backend) Step(in fsm.Input) fsm.Output {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.step(in)
}

// Commands lists the commands this backend applied.
func (b *Backend) Commands() []fsm.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]fsm.Command(nil), b.commands...)
}

// VRRPReports lists the reports this backend recorded.
func (b *Backend) VRRPReports() []api.VRRPReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.VRRPReport(nil), b.vrrp...)
}

// step applies one input and records its events and actions in the
// history, as the coordinator does (actions succeed at once here).
func (b *Backend) step(in fsm.Input) fsm.Output {
	b.now = b.now.Add(time.Second)
	b.index++
	out := b.m.Step(b.now, in)
	for _, e := range out.Events {
		b.history = append(b.history, api.HistoryEntry{Index: b.index, Time: b.now, Kind: "event", Text: e.String()})
	}
	if c, ok := in.(fsm.Command); ok && out.Reply != nil {
		b.history = append(b.history, api.HistoryEntry{Index: b.index, Time: b.now, Kind: "command",
			Text: c.String() + " => " + out.Reply.Text})
	}
	var seen []fsm.Input
	for _, a := range out.Actions {
		e := api.HistoryEntry{Index: b.index, Time: b.now, Kind: "action",
			Host: a.Subject(), Text: a.String(), Outcome: "ok", Duration: 120 * time.Millisecond}
		for prefix, msg := range b.fail {
			if strings.HasPrefix(e.Text, prefix) {
				e.Outcome, e.Error = "failed", msg
			}
		}
		b.history = append(b.history, e)
		// What the runtime would observe once the action ran.
		switch a := a.(type) {
		case fsm.Promote:
			if e.Outcome == "ok" {
				seen = append(seen, fsm.Writable{Host: a.Host, Writable: true})
			}
		case fsm.Fence:
			seen = append(seen, fsm.Writable{Host: a.Host, Writable: false})
		}
	}
	for _, in := range seen {
		b.now = b.now.Add(time.Second)
		b.m.Step(b.now, in)
	}
	return out
}

// FailActions makes every later action whose text starts with prefix
// fail for good with msg ("" to stop).
func (b *Backend) FailActions(prefix, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail == nil {
		b.fail = map[string]string{}
	}
	if msg == "" {
		delete(b.fail, prefix)
		return
	}
	b.fail[prefix] = msg
}

// LagReads makes the next n Snapshots after each command answer with
// the state from before it: a follower's read that the command's entry
// has not reached yet (0: none).
func (b *Backend) LagReads(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lag = n
}

// notLeader returns the error a follower's write gets, or nil on the leader.
func (b *Backend) notLeader() error {
	if b.leader == b.node {
		return nil
	}
	return &api.NotLeaderError{Leader: b.leader, LeaderAPI: b.leaderAPI, RetryAfter: 10 * time.Millisecond}
}

// Snapshot implements api.Backend.
func (b *Backend) Snapshot(ctx context.Context) (api.Snapshot, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return api.Snapshot{}, b.err
	}
	var members []api.Member
	for i, h := range []string{"db1", "db2", "db3"} {
		members = append(members, api.Member{Host: h, Address: fmt.Sprintf("198.18.0.1%d:9990", i+1),
			Voter: true, Leader: h == b.leader})
	}
	snap := api.Snapshot{Node: b.node, Leader: b.leader, Term: 3, Applied: b.index, Members: members,
		Spec: b.m.Spec(), State: b.m.State(), Taken: b.now}
	if b.before != nil && b.pendingLag > 0 {
		b.pendingLag--
		snap.State, snap.Applied = *b.before, b.index-1
	}
	// Only the leader observes MySQL; a follower names the leader's API.
	if b.leader == b.node {
		snap.Hosts = append([]api.HostObs(nil), b.obs...)
	} else {
		snap.LeaderAPI = b.leaderAPI
	}
	if b.leader == "" {
		snap.Warnings = append(snap.Warnings, "no raft leader: this state may be stale")
	}
	return snap, nil
}

// Command implements api.Backend.
func (b *Backend) Command(ctx context.Context, cmd fsm.Command) (fsm.Reply, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return fsm.Reply{}, b.err
	}
	if err := b.notLeader(); err != nil {
		return fsm.Reply{}, err
	}
	b.commands = append(b.commands, cmd)
	if b.lag > 0 {
		st := b.m.State()
		b.before, b.pendingLag = &st, b.lag
	}
	out := b.step(cmd)
	if out.Reply == nil {
		return fsm.Reply{}, fmt.Errorf("apitest: %s: no reply", cmd)
	}
	return *out.Reply, nil
}

// History implements api.Backend.
func (b *Backend) History(ctx context.Context, limit int) ([]api.HistoryEntry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	h := b.history
	if limit > 0 && len(h) > limit {
		h = h[len(h)-limit:]
	}
	return append([]api.HistoryEntry(nil), h...), nil
}

// ReportVRRP implements api.Backend.
func (b *Backend) ReportVRRP(ctx context.Context, r api.VRRPReport) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if err := b.notLeader(); err != nil {
		return err
	}
	st, err := fsm.ParseVRRPState(r.State)
	if err != nil { // DELETED: nothing to tell the state machine
		st = fsm.VRRPStop
	}
	b.vrrp = append(b.vrrp, r)
	b.step(fsm.VRRP{Host: r.Host, State: st})
	return nil
}
