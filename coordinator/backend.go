package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

var _ api.Backend = (*Coordinator)(nil)

// Snapshot returns the committed state as this node sees it, with the
// raft membership. Hosts (the leader's latest inspection of every host)
// is filled on the leader only; a follower names the leader's API
// instead (LeaderAPI), where the API server fetches them.
func (c *Coordinator) Snapshot(ctx context.Context) (api.Snapshot, error) {
	v := c.replica.View()
	leader := c.Leader()
	s := api.Snapshot{Node: c.host, Leader: leader, Term: c.node.raft.CurrentTerm(), Applied: v.Applied,
		Spec: c.replica.Spec(), State: v.State, Taken: c.now()}
	members, err := c.members(ctx, leader)
	if err != nil {
		s.Warnings = append(s.Warnings, err.Error())
	}
	s.Members = members
	switch {
	case leader == "":
		s.Warnings = append(s.Warnings, "no raft leader at the moment: this state may be stale")
	case leader == c.host:
		c.obsMu.Lock()
		for _, h := range c.spec.Hosts {
			if o, ok := c.obs[h.Name]; ok {
				s.Hosts = append(s.Hosts, o)
			}
		}
		c.obsMu.Unlock()
	default:
		if h := c.cfg.Host(leader); h != nil {
			s.LeaderAPI = h.APIAddress
		}
	}
	if ok, why := c.trusted(c.now()); !ok {
		s.Warnings = append(s.Warnings, why+": this state may be stale")
	}
	if n := len(v.Pending); n > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d action(s) pending, next: %s", n, v.Pending[0].Text))
	}
	s.Warnings = append(s.Warnings, c.readers.warnings()...)
	return s, nil
}

// members lists the raft configuration.
func (c *Coordinator) members(ctx context.Context, leader string) ([]api.Member, error) {
	f := c.node.raft.GetConfiguration()
	if err := waitFuture(ctx, f); err != nil {
		return nil, fmt.Errorf("coordinator: raft configuration: %w", err)
	}
	var out []api.Member
	for _, s := range f.Configuration().Servers {
		out = append(out, api.Member{Host: string(s.ID), Address: string(s.Address),
			Voter: s.Suffrage == raft.Voter, Leader: string(s.ID) == leader})
	}
	return out, nil
}

// Command applies an admin command through raft on the leader and
// returns the state machine's reply; a follower returns
// *api.NotLeaderError.
func (c *Coordinator) Command(ctx context.Context, cmd fsm.Command) (fsm.Reply, error) {
	if !c.node.isLeader() {
		return fsm.Reply{}, c.notLeader()
	}
	data, err := newEntry(c.now(), []fsm.Input{cmd}, nil)
	if err != nil {
		return fsm.Reply{}, err
	}
	res, err := c.node.apply(ctx, data)
	if errors.Is(err, ErrNotLeader) {
		return fsm.Reply{}, c.notLeader()
	}
	if err != nil {
		return fsm.Reply{}, err
	}
	if res.Reply == nil {
		return fsm.Reply{}, fmt.Errorf("coordinator: command %q: no reply", cmd)
	}
	return *res.Reply, nil
}

func (c *Coordinator) notLeader() *api.NotLeaderError {
	e := &api.NotLeaderError{Leader: c.Leader(), RetryAfter: c.cfg.Coordinator.RaftElectionTimeout}
	if h := c.cfg.Host(e.Leader); h != nil {
		e.LeaderAPI = h.APIAddress
	}
	if e.RetryAfter <= 0 {
		e.RetryAfter = 500 * time.Millisecond
	}
	return e
}

// History returns the newest limit entries of the replicated history.
func (c *Coordinator) History(ctx context.Context, limit int) ([]api.HistoryEntry, error) {
	return c.replica.History(limit), nil
}

// ReportVRRP records a keepalived transition of this host's instance
// (mmm-notify calls it through the local API) and reports it to the
// leader at once; it works on every node (the report travels over the
// raft port), so the API need not forward it.
func (c *Coordinator) ReportVRRP(ctx context.Context, r api.VRRPReport) error {
	if c.witness {
		return fmt.Errorf("%w: a witness runs no keepalived", ErrConfig)
	}
	if r.Host != "" && r.Host != c.host {
		return fmt.Errorf("%w: VRRP report for host %q sent to %q's coordinator", ErrConfig, r.Host, c.host)
	}
	st, err := keepalived.ParseState(strings.TrimSpace(r.State))
	if err != nil {
		return fmt.Errorf("coordinator: VRRP report: %w", err)
	}
	s, ok := vrrpState(keepalived.Transition{Kind: keepalived.KindInstance, Name: r.Instance, State: st, Priority: r.Priority})
	if !ok {
		return fmt.Errorf("coordinator: VRRP report: state %s says nothing", st)
	}
	c.local.setVRRP(s)
	return c.sendReport(ctx, c.local.report(true))
}

// Status is a one-line summary for systemd's STATUS=.
func (c *Coordinator) Status() string {
	v := c.replica.View()
	leader := c.Leader()
	if leader == "" {
		leader = "none"
	}
	var hosts []string
	for _, h := range v.State.Hosts {
		hosts = append(hosts, h.Name+"="+h.State.String())
	}
	slices.Sort(hosts)
	writer := v.Writer
	if writer == "" {
		writer = "none"
	}
	return fmt.Sprintf("leader %s; writer %s; %s", leader, writer, strings.Join(hosts, " "))
}
